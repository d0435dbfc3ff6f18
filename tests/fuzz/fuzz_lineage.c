/*
** fuzz_lineage.c: a libFuzzer harness for the extension (built with
** -DLINEAGE_FUZZ=ON and clang; run by .ci/run for a bounded time).
**
** Each input is a little program run on a fresh in-memory database: a
** sequence of operations, each one byte of opcode and then its operands,
** that call the writers with names drawn from a small set (so that they
** meet) or with raw bytes from the input (references, JSON arguments, walk
** starts and depths: anything), add hand-made edges (cycles, self-loops,
** dangling ids), and walk. Every walk that succeeds is compared with a
** recursive CTE over lineage_edge run in the same transaction; every error
** must be a "lineage: " message (or one of SQLite's own argument errors)
** and leave no transaction open. A difference aborts: a finding.
**
** tests/fuzz/corpus/ holds seeds, tests/fuzz/lineage.dict the tokens.
*/
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sqlite3_lineage_init(sqlite3*, char**, const sqlite3_api_routines*);

/* Operations per input, and bytes of a raw operand: enough to build small
** graphs with cycles, little enough that every input runs in milliseconds. */
#define MAX_OPS        64
#define MAX_RAW        96

typedef struct Input { const uint8_t *p; size_t n; } Input;

static unsigned next_byte(Input *in){
  if( in->n==0 ) return 0;
  in->n--;
  return *in->p++;
}

/* A name from the small set, or (high bit) raw bytes of the input. */
static const char *const azName[] = {
  "a", "b", "c", "r1", "r2", "r3", "p/r1", "q/a", "ds", "m"
};
static const char *const azSel[] = {
  "", ":latest", ":v0", ":v1", ":v2", ":best", ":v99999999999999999999",
  ":v9223372036854775807", ":prod"
};
static char *operand(Input *in, int bRef){
  unsigned b = next_byte(in);
  if( b & 0x80 ){
    size_t n = b & 0x7f;
    char *z;
    if( n>MAX_RAW ) n = MAX_RAW;
    if( n>in->n ) n = in->n;
    z = sqlite3_malloc64(n + 1);
    if( z==0 ) abort();
    memcpy(z, in->p, n);
    z[n] = 0;
    in->p += n;
    in->n -= n;
    return z;
  }
  if( bRef ){
    return sqlite3_mprintf("%s%s", azName[b % 10], azSel[(b/10) % 9]);
  }
  return sqlite3_mprintf("%s", azName[b % 10]);
}

/* An error is acceptable when it is the extension's own. */
static void check_message(sqlite3 *db, const char *zSql){
  const char *z = sqlite3_errmsg(db);
  if( strncmp(z, "lineage: ", 9)!=0 ){
    fprintf(stderr, "not a lineage: error for %s: %s\n", zSql, z);
    abort();
  }
}

/* ... and a failed writer in autocommit mode leaves no transaction. */
static void check_error(sqlite3 *db, const char *zSql){
  check_message(db, zSql);
  if( !sqlite3_get_autocommit(db) ){
    fprintf(stderr, "a transaction was left open by %s\n", zSql);
    abort();
  }
}

/* Run zSql with up to five text binds (NULL binds NULL). */
static int exec_bound(sqlite3 *db, const char *zSql, char **az, int nBind){
  sqlite3_stmt *p = 0;
  int rc, i;
  rc = sqlite3_prepare_v2(db, zSql, -1, &p, 0);
  if( rc!=SQLITE_OK ){
    fprintf(stderr, "prepare %s: %s\n", zSql, sqlite3_errmsg(db));
    abort();
  }
  for(i=0; i<nBind; i++){
    /* The length is the C string's: a NUL inside would be the input's. */
    sqlite3_bind_text(p, i+1, az[i], az[i] ? -1 : 0, SQLITE_STATIC);
  }
  while( (rc = sqlite3_step(p))==SQLITE_ROW ){}
  sqlite3_finalize(p);
  if( rc!=SQLITE_DONE ) check_error(db, zSql);
  return rc;
}

/* The walk of dir from zStart (text, or an integer when bInt) up to
** maxDepth (-1: none) as "id:depth,..." ordered by id, or NULL on an error.
** And the same from a recursive CTE. Both in one read transaction. */
static char *walk_rows(sqlite3 *db, const char *zSql, int bInt,
                       sqlite3_int64 iStart, const char *zStart,
                       sqlite3_int64 maxDepth, int *pRc){
  sqlite3_stmt *p = 0;
  char *zOut = sqlite3_mprintf("");
  int rc = sqlite3_prepare_v2(db, zSql, -1, &p, 0);
  if( rc!=SQLITE_OK ){
    fprintf(stderr, "prepare %s: %s\n", zSql, sqlite3_errmsg(db));
    abort();
  }
  if( bInt ) sqlite3_bind_int64(p, 1, iStart);
  else sqlite3_bind_text(p, 1, zStart, -1, SQLITE_STATIC);
  if( maxDepth>=0 ) sqlite3_bind_int64(p, 2, maxDepth);
  while( (rc = sqlite3_step(p))==SQLITE_ROW ){
    zOut = sqlite3_mprintf("%z%lld:%lld,", zOut, sqlite3_column_int64(p, 0),
                           sqlite3_column_int64(p, 1));
  }
  sqlite3_finalize(p);
  *pRc = rc;
  if( rc!=SQLITE_DONE ){
    sqlite3_free(zOut);
    return 0;
  }
  return zOut;
}

/* Set once an input has written a block by hand: from then on its walks
** run (they must not misbehave) but are not compared, since a well-formed
** block holding other lists than lineage_edge is a tampered shadow table
** no reader can tell from a real one. */
static int gTampered;

/* A packed block of direction (op & 1) for ids 0..255 made from the input:
** the format byte, 256 slot lengths (the first 24 from the input, the rest
** 0; now and then one made wrong), the slots' bytes from the input. */
static void tamper_block(sqlite3 *db, Input *in){
  unsigned char a[1 + 256 + 24*8];
  unsigned op = next_byte(in);
  int i, n = 0, nSlots = 0;
  sqlite3_stmt *p = 0;
  a[n++] = 2;
  for(i=0; i<256; i++){
    unsigned len = i<24 ? next_byte(in) % 8 : 0;
    a[n++] = (unsigned char)len;
    nSlots += (int)len;
  }
  if( op & 2 ) a[1 + next_byte(in) % 256] ^= 0x81;
  for(i=0; i<nSlots; i++) a[n++] = (unsigned char)next_byte(in);
  if( op & 4 ) n -= (int)(next_byte(in) % 4);
  gTampered = 1;
  sqlite3_exec(db, "UPDATE main.lineage_meta SET value=1 WHERE key='adj_blocks'",
               0, 0, 0);
  if( sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO main.lineage_adj"
                         "(block_key, data) VALUES (?1, ?2)", -1, &p, 0)==SQLITE_OK ){
    sqlite3_bind_int(p, 1, (int)(op & 1));
    sqlite3_bind_blob(p, 2, a, n, SQLITE_TRANSIENT);
    sqlite3_step(p);
  }
  sqlite3_finalize(p);
  /* lineage_check() reads every block: text or a lineage: error. */
  if( sqlite3_prepare_v2(db, "SELECT lineage_check()", -1, &p, 0)==SQLITE_OK
   && sqlite3_step(p)!=SQLITE_ROW ){
    check_error(db, "SELECT lineage_check()");
  }
  sqlite3_finalize(p);
}

static void walk_check(sqlite3 *db, Input *in){
  static const char *azWalk[2] = {
    "SELECT node_id, depth FROM lineage_upstream(?1, ?2) ORDER BY node_id",
    "SELECT node_id, depth FROM lineage_downstream(?1, ?2) ORDER BY node_id",
  };
  /* Shortest depths by a recursive CTE: (id, depth) pairs up to the node
  ** count (no shortest path is longer), the minimum per id. */
  static const char *azCte[2] = {
    "WITH RECURSIVE w(id, d) AS (SELECT ?1, 0 UNION SELECT e.src, w.d+1 "
    "FROM main.lineage_edge e JOIN w ON e.dst=w.id WHERE w.d < coalesce(?2, "
    "(SELECT count(*) FROM main.lineage_edge))) "
    "SELECT id, min(d) FROM w GROUP BY id ORDER BY id",
    "WITH RECURSIVE w(id, d) AS (SELECT ?1, 0 UNION SELECT e.dst, w.d+1 "
    "FROM main.lineage_edge e JOIN w ON e.src=w.id WHERE w.d < coalesce(?2, "
    "(SELECT count(*) FROM main.lineage_edge))) "
    "SELECT id, min(d) FROM w GROUP BY id ORDER BY id",
  };
  unsigned op = next_byte(in);
  int dir = op & 1, bInt = (op & 2)!=0, rc = 0, rc2 = 0;
  sqlite3_int64 maxDepth = (op & 4) ? (sqlite3_int64)(next_byte(in) % 8) : -1;
  sqlite3_int64 iStart = (sqlite3_int64)(next_byte(in) % 24) - 2;
  char *zStart = bInt ? 0 : operand(in, 1);
  char *zA, *zB;
  sqlite3_exec(db, "BEGIN", 0, 0, 0);
  zA = walk_rows(db, azWalk[dir], bInt, iStart, zStart, maxDepth, &rc);
  if( zA==0 ){
    check_message(db, azWalk[dir]);
  }else{
    /* The start resolves: compare from its node_id. */
    sqlite3_int64 id = bInt ? iStart : 0;
    if( !bInt ){
      sqlite3_stmt *p = 0;
      sqlite3_prepare_v2(db, dir ? "SELECT node_id FROM lineage_downstream(?1, 0)"
                                 : "SELECT node_id FROM lineage_upstream(?1, 0)",
                         -1, &p, 0);
      sqlite3_bind_text(p, 1, zStart, -1, SQLITE_STATIC);
      if( sqlite3_step(p)==SQLITE_ROW ) id = sqlite3_column_int64(p, 0);
      sqlite3_finalize(p);
    }
    zB = walk_rows(db, azCte[dir], 1, id, 0, maxDepth, &rc2);
    if( !gTampered && (zB==0 || strcmp(zA, zB)!=0) ){
      fprintf(stderr, "walk %s from %lld (%s) depth %lld:\n  walk %s\n  CTE  %s\n",
              dir ? "downstream" : "upstream", id, zStart ? zStart : "int",
              maxDepth, zA, zB ? zB : "(error)");
      abort();
    }
    sqlite3_free(zB);
  }
  sqlite3_exec(db, "COMMIT", 0, 0, 0);
  sqlite3_free(zA);
  sqlite3_free(zStart);
}

/* An empty database with the lineage tables: most inputs start from a
** copy of it (creating the tables costs more than a whole input), the rest
** from an empty one, where the first write creates them. */
static sqlite3 *gTemplate;

int LLVMFuzzerInitialize(int *argc, char ***argv){
  (void)argc; (void)argv;
  sqlite3_auto_extension((void(*)(void))sqlite3_lineage_init);
  if( sqlite3_open(":memory:", &gTemplate)!=SQLITE_OK
   || sqlite3_exec(gTemplate, "SELECT run_start('x'); DELETE FROM lineage_run;"
                   "DELETE FROM lineage_node;", 0, 0, 0)!=SQLITE_OK ){
    abort();
  }
  return 0;
}

static sqlite3 *fresh_db(int bTables){
  sqlite3 *db = 0;
  if( sqlite3_open(":memory:", &db)!=SQLITE_OK ) abort();
  if( bTables ){
    sqlite3_backup *b = sqlite3_backup_init(db, "main", gTemplate, "main");
    if( b==0 || sqlite3_backup_step(b, -1)!=SQLITE_DONE ) abort();
    sqlite3_backup_finish(b);
  }
  return db;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size){
  static const char *const azWriter[] = {
    "SELECT run_start(?1, ?2)",
    "SELECT log_artifact(?1, ?2, ?3, ?4)",
    "SELECT use_artifact(?1, ?2)",
    "SELECT artifact_alias(?1, ?2)",
    "SELECT artifact_unalias(?1, ?2)",
    "SELECT artifact_delete(?1, ?2)",
    "SELECT run_finish(?1, ?2)",
    "SELECT artifact_digest(?1)",
    "SELECT log_artifact(?1, ?2, 'dataset', ?3, ?4, ?5)",
    "SELECT run_start(?1, 'job', ?2)",
  };
  static const int anBind[] = { 2, 4, 2, 2, 2, 2, 2, 1, 5, 2 };
  static const int abRef[][5] = {
    {0,0,0,0,0}, {0,0,0,0,0}, {0,1,0,0,0}, {1,0,0,0,0}, {1,0,0,0,0},
    {1,0,0,0,0}, {0,0,0,0,0}, {0,0,0,0,0}, {0,0,0,0,0}, {0,0,0,0,0}
  };
  Input in;
  sqlite3 *db = 0;
  int nOp;
  in.p = data;
  in.n = size;
  gTampered = 0;
  db = fresh_db((next_byte(&in) & 7)!=0);
  for(nOp=0; nOp<MAX_OPS && in.n>0; nOp++){
    unsigned op = next_byte(&in) % 13;
    if( op<10 ){
      char *az[5] = {0, 0, 0, 0, 0};
      int i;
      for(i=0; i<anBind[op]; i++){
        az[i] = (next_byte(&in) & 1) ? operand(&in, abRef[op][i]) : 0;
      }
      exec_bound(db, azWriter[op], az, anBind[op]);
      for(i=0; i<5; i++) sqlite3_free(az[i]);
    }else if( op==10 ){
      walk_check(db, &in);
    }else if( op==12 ){
      tamper_block(db, &in);
    }else{
      /* A hand-made edge between small ids (cycles, self-loops, ids with
      ** no node): the walks must still equal the CTE. */
      char *zSql = sqlite3_mprintf("INSERT OR IGNORE INTO main.lineage_edge "
                                   "VALUES (%d, %d, 'x')", next_byte(&in) % 20,
                                   next_byte(&in) % 20);
      sqlite3_exec(db, zSql, 0, 0, 0);   /* no table yet: nothing */
      sqlite3_free(zSql);
    }
  }
  sqlite3_close(db);
  return 0;
}
