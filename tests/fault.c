/*
** fault.c: sqlite-lineage under allocation failures, in the spirit of
** SQLite's own fault tests ("fail every allocation in turn").
**
**   build/lineage_fault                 -- every fault point (persistent: 1/4)
**   LINEAGE_VALGRIND=1 lineage_fault    -- a sample of them (valgrind is slow)
**   LINEAGE_FAULT_ONLY=write lineage_fault   -- the scenarios so named
**   LINEAGE_FAULT_SHARD=2/3 lineage_fault    -- the 2nd of 3 interleaved
**                         thirds of the fault points (ctest -j runs the
**                         shards side by side; together they are all)
**   lineage_fault -v                    -- also the accepted oddities
**
** How it works: before sqlite3_initialize() the program wraps SQLite's
** allocator (SQLITE_CONFIG_GETMALLOC / SQLITE_CONFIG_MALLOC) with one that
** can be told to fail the Nth allocation from now ("transient") or the Nth
** and every one after it ("persistent"). Lookaside is turned off, so every
** allocation SQLite or the extension makes goes through the wrapper. The
** extension is linked in statically and registered with
** sqlite3_auto_extension.
**
** Each scenario is one SQL statement (or a few) run on a fresh connection
** whose database is copied (sqlite3_backup) from a template built without
** faults. A reference run without faults gives the expected output and,
** for writers, the lineage tables before and after. Then for N = 1, 2, ...
** until a run completes with no fault injected, in both modes:
**   - run the statement with fault N armed;
**   - it must either succeed with exactly the expected output, or fail
**     (SQLITE_NOMEM or an error message) -- never crash, never answer wrong;
**   - with the fault disarmed: the connection is not left in a transaction
**     (after SQLITE_NOMEM SQLite lets that happen, the application then
**     rolls back: counted in the summary), PRAGMA integrity_check is ok,
**     and the lineage tables are exactly the
**     "after" state on success or the "before" state on failure (a writer
**     does all of its work or none);
**   - the same statement, run again without faults, gives the expected
**     output (no per-connection state was broken by the failure);
**   - after sqlite3_close(), SQLite's memory in use is what it was before
**     the connection was opened (no leak of anything SQLite allocates).
** Valgrind and ASan (tests.cmake, .ci/run) catch what the last check cannot.
** Ends with "N passed, N failed", one test per scenario and mode.
*/
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sqlite3_lineage_init(sqlite3*, char**, const sqlite3_api_routines*);

/* ---- the faulty allocator ----------------------------------------------- */

static sqlite3_mem_methods gOrig;   /* SQLite's own allocator */
static struct {
  int bArmed;
  int bPersist;        /* fail every allocation after the Nth too */
  long iTarget;        /* the allocation to fail, counting from 1 */
  long nCall;          /* allocations since armed */
  long nFail;          /* failures injected since armed */
} gFault;

/* Where a debugger stops to see who failed: break fault_injected. */
static void __attribute__((noinline)) fault_injected(void){
  gFault.nFail++;
}

static int fault_now(void){
  if( !gFault.bArmed ) return 0;
  gFault.nCall++;
  if( gFault.nCall==gFault.iTarget
   || (gFault.bPersist && gFault.nCall>gFault.iTarget) ){
    fault_injected();
    return 1;
  }
  return 0;
}
static void *fault_malloc(int n){
  return fault_now() ? 0 : gOrig.xMalloc(n);
}
static void *fault_realloc(void *p, int n){
  return fault_now() ? 0 : gOrig.xRealloc(p, n);
}
static void fault_free(void *p){ gOrig.xFree(p); }
static int fault_size(void *p){ return gOrig.xSize(p); }
static int fault_roundup(int n){ return gOrig.xRoundup(n); }
static int fault_init(void *p){ return gOrig.xInit(p); }
static void fault_shutdown(void *p){ gOrig.xShutdown(p); }

static void fault_arm(long iTarget, int bPersist){
  gFault.bArmed = 1;
  gFault.bPersist = bPersist;
  gFault.iTarget = iTarget;
  gFault.nCall = 0;
  gFault.nFail = 0;
}
static void fault_disarm(void){ gFault.bArmed = 0; }

/* ---- text buffers (libc memory: never counted, never failed) ------------ */

typedef struct Str { char *z; size_t n, nAlloc; } Str;

static void str_append(Str *s, const char *z, size_t n){
  if( s->n+n+1>s->nAlloc ){
    s->nAlloc = (s->n+n+1)*2;
    s->z = realloc(s->z, s->nAlloc);
    if( s->z==0 ){ fputs("fault: out of (libc) memory\n", stderr); exit(2); }
  }
  memcpy(s->z+s->n, z, n);
  s->n += n;
  s->z[s->n] = 0;
}
static const char *str_text(const Str *s){ return s->z ? s->z : ""; }
static void str_free(Str *s){ free(s->z); memset(s, 0, sizeof(*s)); }

/* ---- running SQL ---------------------------------------------------------- */

/* What a piece of SQL gave: its rows, or the first error. */
typedef struct Result {
  int rc;             /* SQLITE_OK, or the (primary) error code */
  Str out;            /* rows: columns joined by '|', one line each */
  char *zErr;         /* the error message (libc), or NULL */
} Result;

static void result_clear(Result *r){
  str_free(&r->out);
  free(r->zErr);
  memset(r, 0, sizeof(*r));
}

static void result_fail(Result *r, sqlite3 *db, int rc){
  const char *z = sqlite3_errmsg(db);
  r->rc = rc & 0xff;
  free(r->zErr);
  r->zErr = strdup(z ? z : "(no message)");
}

/* Run every statement of zSql, collecting the rows. Values are formatted
** here from their type, so reading them allocates nothing. */
static int run_sql(sqlite3 *db, const char *zSql, Result *r){
  const char *zTail = zSql;
  memset(r, 0, sizeof(*r));
  while( zTail && zTail[0] ){
    sqlite3_stmt *p = 0;
    int rc = sqlite3_prepare_v2(db, zTail, -1, &p, &zTail);
    if( rc!=SQLITE_OK ){ result_fail(r, db, rc); break; }
    if( p==0 ) continue;
    while( (rc = sqlite3_step(p))==SQLITE_ROW ){
      int i, n = sqlite3_column_count(p);
      for(i=0; i<n; i++){
        char buf[64];
        const char *z = buf;
        switch( sqlite3_column_type(p, i) ){
          case SQLITE_NULL: z = "NULL"; break;
          case SQLITE_INTEGER:
            snprintf(buf, sizeof(buf), "%lld", sqlite3_column_int64(p, i));
            break;
          case SQLITE_FLOAT:
            snprintf(buf, sizeof(buf), "%.17g", sqlite3_column_double(p, i));
            break;
          default:
            z = (const char*)sqlite3_column_text(p, i);
            break;
        }
        if( z==0 ){ rc = SQLITE_NOMEM; break; }
        if( i>0 ) str_append(&r->out, "|", 1);
        str_append(&r->out, z, strlen(z));
      }
      if( rc!=SQLITE_ROW ) break;
      str_append(&r->out, "\n", 1);
    }
    if( rc!=SQLITE_DONE ){
      result_fail(r, db, rc==SQLITE_ROW ? SQLITE_NOMEM : rc);
      sqlite3_finalize(p);
      break;
    }
    rc = sqlite3_finalize(p);
    if( rc!=SQLITE_OK ){ result_fail(r, db, rc); break; }
  }
  return r->rc;
}

/* Run SQL that must work (no fault armed); exits when it does not. */
static void must(sqlite3 *db, const char *zSql, Str *pOut){
  Result r;
  if( run_sql(db, zSql, &r)!=SQLITE_OK ){
    fprintf(stderr, "fault: setup failed: %s\n  in: %.200s\n", r.zErr, zSql);
    exit(2);
  }
  if( pOut ) str_append(pOut, str_text(&r.out), r.out.n);
  result_clear(&r);
}

static sqlite3 *open_db(void){
  sqlite3 *db = 0;
  if( sqlite3_open(":memory:", &db)!=SQLITE_OK ){
    fprintf(stderr, "fault: cannot open a database: %s\n", sqlite3_errmsg(db));
    exit(2);
  }
  return db;
}

/* A fresh connection with a copy of template pTmpl (NULL: empty). */
static sqlite3 *open_copy(sqlite3 *pTmpl){
  sqlite3 *db = open_db();
  if( pTmpl ){
    sqlite3_backup *b = sqlite3_backup_init(db, "main", pTmpl, "main");
    if( b==0 || sqlite3_backup_step(b, -1)!=SQLITE_DONE
     || sqlite3_backup_finish(b)!=SQLITE_OK ){
      fprintf(stderr, "fault: backup failed: %s\n", sqlite3_errmsg(db));
      exit(2);
    }
  }
  return db;
}

/* Everything the extension stores (as writer_helpers.tcl's lineage_dump),
** but the times that are always "now" (edges' created_at, deleted_at, the
** alias history's times other than the scenarios' 2026-01-01) only as
** being there. */
static void dump(sqlite3 *db, Str *pOut){
  Str s = {0, 0, 0};
  must(db, "SELECT type, name, sql FROM sqlite_schema ORDER BY name", pOut);
  must(db, "SELECT count(*) FROM sqlite_schema WHERE name='lineage_meta'", &s);
  if( strcmp(str_text(&s), "1\n")==0 ){    /* the tables come together */
    must(db,
      "SELECT * FROM lineage_meta ORDER BY key;"
      "SELECT * FROM lineage_node ORDER BY node_id;"
      "SELECT * FROM lineage_run ORDER BY node_id;"
      "SELECT node_id, digest, size, file_count, description, metadata, "
      "tags, created_at, logged_by FROM lineage_version ORDER BY node_id;"
      "SELECT * FROM lineage_alias ORDER BY project, name, alias;"
      "SELECT * FROM lineage_file ORDER BY node_id, path;"
      "SELECT src, dst FROM lineage_edge ORDER BY src, dst;", pOut);
    str_free(&s);
    must(db, "SELECT value FROM lineage_meta WHERE key='schema_version'", &s);
  }
  if( strcmp(str_text(&s), "2\n")==0 ){
    must(db,
      "SELECT node_id, deleted_at IS NOT NULL FROM lineage_version "
      "ORDER BY node_id;"
      "SELECT src, dst, requested FROM lineage_edge ORDER BY src, dst;"
      "SELECT assignment_id, project, name, alias, node_id, "
      "CASE WHEN assigned_at LIKE '2026-01-01T%' THEN assigned_at ELSE 'now' END, "
      "how, CASE WHEN removed_at LIKE '2026-01-01T%' THEN removed_at "
      "WHEN removed_at IS NOT NULL THEN 'now' END, removed_how "
      "FROM lineage_alias_assignment ORDER BY assignment_id;"
      "SELECT block_key, hex(data) FROM lineage_adj ORDER BY block_key;"
      "SELECT node_key, bound, n, hex(data) FROM lineage_adj_long "
      "ORDER BY node_key;"
      "SELECT node_key FROM lineage_adj_dirty ORDER BY node_key;", pOut);
  }
  str_free(&s);
}

/* ---- reporting ---------------------------------------------------------- */

static int gVerbose;
static int gSample = 1;     /* test every gSample-th fault point */
static int gShard = 0;      /* of those, every gShards-th from the gShard-th */
static int gShards = 1;
static int nPass, nFail;    /* tests: one per scenario and mode */
static long nPoint;         /* fault points run */

/* The state of the scenario being run, for messages. */
static struct {
  const char *zName;
  const char *zMode;
  long iFault;
  int nBad;            /* failures in this scenario and mode */
} gCur;

static void bad(const char *zFmt, ...){
  va_list ap;
  gCur.nBad++;
  if( gCur.nBad>5 ) return;
  fprintf(stdout, "\n  FAIL %s, %s fault %ld: ", gCur.zName, gCur.zMode,
          gCur.iFault);
  va_start(ap, zFmt);
  vfprintf(stdout, zFmt, ap);
  va_end(ap);
  fputc('\n', stdout);
}

/* The first line where two texts differ, for messages. */
static void show_diff(const char *zWant, const char *zGot){
  int iLine = 1;
  while( *zWant && *zWant==*zGot ){
    if( *zWant=='\n' ) iLine++;
    zWant++; zGot++;
  }
  fprintf(stdout, "    line %d: expected '%.*s'\n              got '%.*s'\n",
          iLine, (int)strcspn(zWant, "\n"), zWant,
          (int)strcspn(zGot, "\n"), zGot);
}

/* Any error is an acceptable answer to an allocation failure; one that
** does not say "out of memory" (a message that could not be formatted in
** full, say) is counted, and shown with -v. */
static long nOtherErr;       /* errors that do not say out of memory */
static long nOpenTxn;        /* SQLITE_NOMEM left a transaction open */
static void check_error(const Result *r, const Result *pRef){
  if( r->rc==SQLITE_NOMEM ) return;
  if( r->zErr && strstr(r->zErr, "out of memory") ) return;
  if( pRef->rc && r->zErr && pRef->zErr && strcmp(r->zErr, pRef->zErr)==0 ){
    return;
  }
  nOtherErr++;
  if( gVerbose ){
    printf("\n  note: %s, %s fault %ld: (%d) %s", gCur.zName, gCur.zMode,
           gCur.iFault, r->rc, r->zErr ? r->zErr : "(no message)");
  }
}

/* ---- one scenario ------------------------------------------------------- */

typedef struct Scenario {
  const char *zName;
  sqlite3 *pTmpl;        /* the database it starts from (NULL: empty) */
  const char *zPre;      /* SQL run without faults first (may be NULL) */
  const char *zSql;      /* the SQL under test */
  int bOwnName;          /* zName is malloc'd */
  int bWrite;            /* compare the lineage tables before and after */
  int bInTxn;            /* zSql runs between BEGIN IMMEDIATE and COMMIT (or
                         ** ROLLBACK on an error): replicated mode's recipe */
  /* filled by the reference run */
  Result ref;
  Str before, after;
} Scenario;

/* Run the scenario's SQL, inside its own transaction when bInTxn (the
** transaction's ends run without faults: what is tested is the SQL). */
static void scenario_sql(Scenario *s, sqlite3 *db, Result *r, long iFault,
                         int bPersist){
  if( s->bInTxn ) must(db, "BEGIN IMMEDIATE", 0);
  if( iFault ) fault_arm(iFault, bPersist);
  run_sql(db, s->zSql, r);
  fault_disarm();
  if( s->bInTxn ){
    sqlite3_exec(db, r->rc==SQLITE_OK ? "COMMIT" : "ROLLBACK", 0, 0, 0);
  }
}

/* The SQL of the scenario with fault iFault (0: none) in mode bPersist.
** Returns 1 when a fault was injected (so there may be a next one). */
static int scenario_run(Scenario *s, long iFault, int bPersist){
  sqlite3 *db;
  Result r;
  int bInjected;
  sqlite3_int64 nMem = sqlite3_memory_used();

  db = open_copy(s->pTmpl);
  /* Load the schema now: parsing it is SQLite's work, not the extension's. */
  must(db, "SELECT count(*) FROM sqlite_schema", 0);
  if( s->zPre ) must(db, s->zPre, 0);
  if( iFault==0 && s->bWrite ) dump(db, &s->before);
  scenario_sql(s, db, &r, iFault, bPersist);
  bInjected = gFault.nFail>0;
  if( iFault==0 ){
    s->ref = r;
    if( s->bWrite ) dump(db, &s->after);
    sqlite3_close(db);
    return 0;
  }
  nPoint++;

  /* The answer: the expected one, or an error. */
  if( r.rc==SQLITE_OK ){
    if( s->ref.rc!=SQLITE_OK ){
      bad("succeeded, but without faults it fails with: %s", s->ref.zErr);
    }else if( strcmp(str_text(&r.out), str_text(&s->ref.out))!=0 ){
      bad("succeeded with a wrong result");
      show_diff(str_text(&s->ref.out), str_text(&r.out));
    }
  }else{
    if( !bInjected && (s->ref.rc==SQLITE_OK || r.zErr==0 || s->ref.zErr==0
                       || strcmp(r.zErr, s->ref.zErr)!=0) ){
      bad("failed with no fault injected: %s", r.zErr);
    }
    check_error(&r, &s->ref);
  }

  /* The connection and the database after it. */
  if( !sqlite3_get_autocommit(db) ){
    if( strncmp(s->zSql, "BEGIN;", 6)==0 && r.rc ){
      /* The user's own transaction, stopped by the failure: theirs to end. */
    }else if( r.rc==SQLITE_NOMEM ){
      /* SQLite's rule after SQLITE_NOMEM: the transaction may or may not
      ** have been rolled back, the application issues ROLLBACK. Counted:
      ** a writer should not need it (see the summary line). */
      nOpenTxn++;
      if( gVerbose ){
        printf("\n  note: %s, %s fault %ld: a transaction was left open",
               gCur.zName, gCur.zMode, gCur.iFault);
      }
    }else{
      bad("left a transaction open (%s)", r.rc ? r.zErr : "after success");
    }
    sqlite3_exec(db, "ROLLBACK", 0, 0, 0);
  }
  {
    Result ic;
    run_sql(db, "PRAGMA integrity_check", &ic);
    if( ic.rc || strcmp(str_text(&ic.out), "ok\n")!=0 ){
      bad("integrity_check: %s", ic.rc ? ic.zErr : str_text(&ic.out));
    }
    result_clear(&ic);
  }
  if( s->bWrite ){
    Str now = {0, 0, 0};
    const Str *pWant = r.rc==SQLITE_OK ? &s->after : &s->before;
    dump(db, &now);
    if( strcmp(str_text(&now), str_text(pWant))!=0 ){
      bad("the lineage tables are not the %s state",
          r.rc==SQLITE_OK ? "after" : "before");
      show_diff(str_text(pWant), str_text(&now));
    }
    str_free(&now);
  }

  /* Without faults, the statement works again (when it did not change
  ** what it reads: a writer that succeeded would now be a second call). */
  if( r.rc!=SQLITE_OK ){
    Result again;
    scenario_sql(s, db, &again, 0, 0);
    if( again.rc!=s->ref.rc
     || strcmp(str_text(&again.out), str_text(&s->ref.out))!=0 ){
      bad("run again without faults: %s",
          again.rc ? again.zErr : "a different result");
    }
    if( s->bWrite ){
      Str now = {0, 0, 0};
      dump(db, &now);
      if( strcmp(str_text(&now), str_text(&s->after))!=0 ){
        bad("run again without faults: the tables are not the after state");
        show_diff(str_text(&s->after), str_text(&now));
      }
      str_free(&now);
    }
    result_clear(&again);
  }
  result_clear(&r);

  if( sqlite3_close(db)!=SQLITE_OK ){
    bad("sqlite3_close: %s", sqlite3_errmsg(db));
  }else if( sqlite3_memory_used()!=nMem ){
    bad("leaked %lld bytes", (long long)(sqlite3_memory_used()-nMem));
  }
  return bInjected;
}

static void scenario(Scenario *s){
  int bPersist;
  long nFault = 0;
  scenario_run(s, 0, 0);
  printf("%-34s", s->zName);
  fflush(stdout);
  for(bPersist=0; bPersist<=1; bPersist++){
    long i;
    gCur.zName = s->zName;
    gCur.zMode = bPersist ? "persistent" : "transient";
    gCur.nBad = 0;
    /* Transient faults at every point; persistent ones, which mostly end
    ** the same way, at every 4th (LINEAGE_VALGRIND: fewer of both). */
    long nStep = bPersist ? gSample*4 : gSample;
    for(i=1+nStep*gShard; ; i+=nStep*gShards){
      gCur.iFault = i;
      if( !scenario_run(s, i, bPersist) ) break;
    }
    if( i>nFault ) nFault = i;
    if( gCur.nBad ){
      nFail++;
      printf("\n  %s: %d failure(s)\n%-34s", gCur.zMode, gCur.nBad, "");
    }else{
      nPass++;
    }
  }
  printf(" %5ld fault points%s\n", nFault-1,
         s->ref.rc ? " (an error without faults too)" : "");
  fflush(stdout);
  result_clear(&s->ref);
  str_free(&s->before);
  str_free(&s->after);
}

/* ---- the data ------------------------------------------------------------ */

/* Writers, in order: each starts from the database the ones before it left.
** Every time is given, so that the states are reproducible. */
static const char *azWrite[] = {
  /* the first write creates the schema */
  "SELECT run_start('vision/prep', 'preprocess', '{\"name\":\"Prep\","
  "\"author\":\"ana\",\"group\":\"g1\",\"config\":{\"lr\":0.1,\"k\":[1,2]},"
  "\"started_at\":\"2026-01-01T00:00:00Z\"}')",
  "SELECT log_artifact('vision/prep', 'raw', 'dataset', "
  "'[{\"path\":\"b.csv\",\"digest\":\"xyz\",\"size\":3},"
  "{\"path\":\"a.csv\",\"ref\":\"s3://bucket/a.csv\"},"
  "{\"path\":\"c.csv\",\"ref\":\"s3://bucket/c.csv\",\"digest\":\"d1\",\"size\":7}]',"
  " '[\"best\",\"prod\"]', '{\"description\":\"raw data\","
  "\"metadata\":{\"rows\":10,\"src\":\"web\"},\"tags\":[\"t1\",\"t2\"],"
  "\"created_at\":\"2026-01-01T00:00:01Z\"}')",
  "SELECT run_start('vision/train', 'train', "
  "'{\"started_at\":\"2026-01-01T00:01:00Z\"}')",
  "SELECT use_artifact('vision/train', 'raw:best', 'dataset')",
  "SELECT use_artifact('vision/train', 'vision/raw')",
  "SELECT log_artifact('vision/train', 'model', 'model', "
  "'[{\"path\":\"w.bin\",\"digest\":\"abc\",\"size\":10}]', '[\"candidate\"]', "
  "'{\"created_at\":\"2026-01-01T00:02:00Z\"}')",
  /* the same digest: W&B's dedup, aliases merged */
  "SELECT log_artifact('vision/train', 'model', 'model', "
  "'[{\"path\":\"w.bin\",\"digest\":\"abc\",\"size\":10}]', '[\"again\"]', "
  "'{\"created_at\":\"2026-01-01T00:03:00Z\"}')",
  "SELECT log_artifact('vision/train', 'model', 'model', "
  "'[{\"path\":\"w.bin\",\"digest\":\"def\",\"size\":11}]', NULL, "
  "'{\"created_at\":\"2026-01-01T00:04:00Z\"}')",
  "SELECT log_artifact(NULL, 'loose', 'misc', NULL, NULL, "
  "'{\"created_at\":\"2026-01-01T00:05:00Z\"}')",
  "SELECT artifact_alias('vision/model:v0', 'prod')",
  "SELECT artifact_alias('model:v1', 'prod')",
  "SELECT artifact_unalias('model:v0', 'candidate')",
  "SELECT artifact_delete('model:v1', 1)",
  "SELECT artifact_delete('loose:latest', 1)",
  "SELECT run_finish('vision/train', 'failed', '2026-01-01T01:00:00Z')",
  "SELECT run_finish('prep', NULL, '2026-01-01T00:30:00.5Z')",
  /* errors: nothing may change, and the message stays the same */
  "SELECT use_artifact('vision/train', 'nosuch:v0')",
  "SELECT artifact_unalias('model:v0', 'nope')",
  "SELECT log_artifact('vision/train', 'raw', 'model')",
  "SELECT run_start('x', NULL, '{\"colour\":1}')",
  /* pure */
  "SELECT artifact_digest('[{\"path\":\"b\",\"digest\":\"x\"},"
  "{\"path\":\"a\",\"ref\":\"s3://b/a\"}]'), artifact_digest(NULL), "
  "lineage_version() IS NOT NULL",
};

/* What a host in replicated mode runs first on a connection. */
static const char zReplicated[] = "SELECT lineage_replicated(1)";

/* A graph for the reads: raw:v0 used by six training runs (a cluster of
** runs downstream, one of models after it), an evaluation that uses three
** models, a run that uses and logs the same version (a 2-cycle). */
static const char zGraph[] =
  "SELECT run_start('p/r0', 'prep', '{\"started_at\":\"2026-01-01T00:00:00Z\"}');"
  "SELECT log_artifact('p/r0', 'raw', 'dataset', "
  "  '[{\"path\":\"a\",\"digest\":\"1\",\"size\":5}]', '[\"gold\"]', "
  "  '{\"created_at\":\"2026-01-01T00:00:00Z\"}');"
  "WITH RECURSIVE i(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM i WHERE n<6) "
  "SELECT run_start('p/t' || n, 'train', "
  "  '{\"started_at\":\"2026-01-01T00:00:00Z\"}') FROM i;"
  "WITH RECURSIVE i(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM i WHERE n<6) "
  "SELECT use_artifact('p/t' || n, 'raw:v0') FROM i;"
  "WITH RECURSIVE i(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM i WHERE n<6) "
  "SELECT log_artifact('p/t' || n, 'model', 'model', "
  "  '[{\"path\":\"w\",\"digest\":\"' || n || '\"}]', NULL, "
  "  '{\"created_at\":\"2026-01-01T00:00:00Z\"}') FROM i;"
  "SELECT run_start('p/eval', 'eval', '{\"started_at\":\"2026-01-01T00:00:00Z\"}');"
  "SELECT use_artifact('p/eval', 'model:v' || n) FROM (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 4);"
  "SELECT log_artifact('p/eval', 'report', 'report', NULL, NULL, "
  "  '{\"created_at\":\"2026-01-01T00:00:00Z\"}');"
  "SELECT run_start('p/cyc', 'fix', '{\"started_at\":\"2026-01-01T00:00:00Z\"}');"
  "SELECT use_artifact('p/cyc', 'report:v0');"
  "SELECT log_artifact('p/cyc', 'report', 'report', NULL, NULL, "
  "  '{\"created_at\":\"2026-01-01T00:00:00Z\"}');"
  "SELECT use_artifact('p/cyc', 'report:v0');"
  "SELECT run_start('q/other', NULL, '{\"started_at\":\"2026-01-01T00:00:00Z\"}');"
  "SELECT log_artifact('q/other', 'raw', 'dataset', NULL, NULL, "
  "  '{\"created_at\":\"2026-01-01T00:00:00Z\"}');";

static const char *azRead[] = {
  "SELECT node_id, kind, project, ref, name, version, type, state, depth, "
  "parent_id, start, max_depth FROM lineage_upstream('report:v0')",
  "SELECT * FROM lineage_downstream('p/raw:v0')",
  "SELECT ref, depth, parent_id FROM lineage_downstream('p/r0', 2)",
  "SELECT ref, kind FROM lineage_downstream('p/raw:gold') WHERE depth <= 1",
  "SELECT ref FROM lineage_downstream(1) WHERE depth < 3 AND kind = 'artifact'",
  "SELECT ref FROM lineage_upstream('p/report:latest') LIMIT 3",
  /* no metadata column: the metadata cursor is never opened */
  "SELECT node_id, depth, parent_id FROM lineage_downstream(1)",
  "SELECT v.ref, d.ref, d.depth FROM lineage_versions v, "
  "lineage_downstream(v.node_id) d WHERE v.project = 'p'",
  "SELECT r.run_id, count(*) FROM lineage_runs r, "
  "lineage_upstream(r.node_id) u GROUP BY r.run_id ORDER BY r.run_id",
  "SELECT level, kind, ref, cluster, cluster_size FROM lineage_clusters('p/raw:v0')",
  "SELECT ref, level, cluster FROM lineage_clusters('model:v2', 1, 2)",
  "SELECT * FROM lineage_clusters('p/t3')",
  /* the pictures: options, layout, every format */
  "SELECT lineage_json('p/raw:v0', 'both', NULL, "
  "  '{\"expand\":[2],\"hide\":[3],\"rankdir\":\"TB\",\"max_nodes\":12}')",
  "SELECT lineage_dot('model:v2', 'up', 2)",
  "SELECT length(lineage_html('p/t3'))",
  "SELECT lineage_dot('p/raw:v0', 'both', NULL, '{\"expand\":[1, \"x\"]}')",
  /* errors */
  /* the walks' options, many starts, paths, diffs, staleness, time */
  "SELECT ref, depth FROM lineage_downstream('p/raw:v0', NULL, "
  "'{\"prune\":{\"job_type\":[\"eval\"]},\"stop\":{\"type\":[\"model\"]}}')",
  "SELECT ref, state FROM lineage_upstream('p/report:v1', NULL, "
  "'{\"as_of\":\"2026-01-01T00:00:00Z\"}')",
  "SELECT ref, depth, parent_id FROM lineage_downstream('[\"p/t1\",\"p/t2\",5]')",
  "SELECT level, ref, cluster FROM lineage_clusters('p/raw:v0', NULL, 2, "
  "'{\"prune\":{\"name\":[\"t1\"]}}')",
  "SELECT step, ref FROM lineage_path('p/raw:v0', 'report:v1')",
  "SELECT step, ref FROM lineage_path('model:v1', 'model:v3', '{\"undirected\":true}')",
  "SELECT step, ref FROM lineage_path('p/raw:v0', 'report:v0', '{\"all\":true}')",
  "SELECT * FROM lineage_diff('report:v0', 'model:v2')",
  "SELECT * FROM lineage_stale()",
  "SELECT * FROM lineage_stale('p/raw:v0') LIMIT 2",
  "SELECT lineage_fingerprint('report:v1'), lineage_fingerprint('p/r0')",
  "SELECT lineage_resolve('report'), lineage_resolve('p/raw:gold', "
  "'2026-01-01T00:00:00Z'), lineage_resolve('model:v2', '2025-01-01')",
  "SELECT count(*) FROM lineage_alias_history",
  /* errors */
  "SELECT * FROM lineage_upstream('p/nosuch:v0')",
  "SELECT node_id FROM lineage_upstream(999)",
  "SELECT * FROM lineage_upstream('raw:v0')",
  "SELECT * FROM lineage_upstream",
  "SELECT * FROM lineage_upstream('report:v0', NULL, '{\"stop\":{\"x\":[]}}')",
  "SELECT * FROM lineage_path('report:v0', 'nope')",
};

/* The graph's database as the previous release (schema version 1) wrote
** it: the columns and tables of version 2 taken away again. */
static const char zToVersion1[] =
  "DROP VIEW main.lineage_alias_history; DROP VIEW main.lineage_edges;"
  "DROP TRIGGER main.lineage_edge_adj_insert;"
  "DROP TRIGGER main.lineage_edge_adj_delete;"
  "DROP TRIGGER main.lineage_edge_adj_update;"
  "DROP TABLE main.lineage_adj; DROP TABLE main.lineage_adj_dirty;"
  "DELETE FROM main.lineage_meta WHERE key='adj_blocks';"
  "DROP TABLE main.lineage_alias_assignment;"
  "ALTER TABLE main.lineage_edge DROP COLUMN requested;"
  "ALTER TABLE main.lineage_version DROP COLUMN deleted_at;"
  "CREATE VIEW main.lineage_edges AS SELECT e.src, e.dst,"
  " CASE WHEN s.kind = 'run' THEN s.name ELSE d.name END AS run_id,"
  " CASE WHEN s.kind = 'run' THEN d.name || ':v' || d.version"
  " ELSE s.name || ':v' || s.version END AS artifact_ref,"
  " CASE WHEN s.kind = 'run' THEN 'output' ELSE 'input' END AS direction,"
  " e.created_at FROM lineage_edge e"
  " JOIN lineage_node s ON s.node_id = e.src"
  " JOIN lineage_node d ON d.node_id = e.dst;"
  "UPDATE main.lineage_meta SET value=1 WHERE key='schema_version';";

/* A chain for the packed blocks: c0 -> ch:v0 -> c1 -> ch:v1 -> ..., every
** run also using base:v0: 302 nodes, so ids 0-255 are one packed block
** per direction (ext/adjacency.c) and the rest the unpacked tail. */
#define CHAIN_RUNS 150
static const char zChainWalks[] =
  "SELECT lineage_cache(1048576) IS NOT NULL;"
  "SELECT count(*), max(depth), sum(node_id*depth) FROM lineage_downstream('base:v0');"
  "SELECT group_concat(node_id || '<' || parent_id, ' ') FROM lineage_upstream('ch:latest');"
  "SELECT group_concat(ref, ' ') FROM lineage_downstream('ch:v0') WHERE depth <= 40;"
  "SELECT level, count(*), max(cluster_size) FROM lineage_clusters('ch:v75', 20) "
  "GROUP BY level;"
  "SELECT count(*), sum(depth) FROM lineage_upstream('ch:latest');"
  "SELECT count(*), sum(node_id*depth) FROM lineage_downstream('base:v0');";

/* A graph for the walker's visited bitmap (ext/walker.c), by plain SQL:
** a chain 1..1100, then 1100 -> 5000..5100 (the window widens, into a
** larger allocation), then 5100 -> 10^9..10^9+100 (too far: back to the
** hash set), whose last node feeds 500 (a cycle). Walked either way, the
** queue takes the bitmap at 1,024 nodes; the join restarts one walker on
** each start. */
static const char zBitmapWalks[] =
  "SELECT count(*), max(depth), sum(node_id % 1000 * depth) "
  "FROM lineage_downstream(1);"
  "SELECT count(*), max(depth), sum(node_id % 1000 * depth) "
  "FROM lineage_upstream(1000000100);"
  "SELECT s.column1, count(*) FROM (VALUES(1100),(1000000000),(1)) s, "
  "lineage_upstream(s.column1) GROUP BY s.column1;";

static sqlite3 *make_bitmap_graph(void){
  sqlite3 *db = open_db();
  must(db, "SELECT run_start('t/r0');"
       "BEGIN;"
       "DELETE FROM lineage_node;"
       "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM c WHERE i<1100),"
       " ids(id) AS (SELECT i FROM c UNION ALL SELECT 4999+i FROM c WHERE i<=101"
       "  UNION ALL SELECT 999999999+i FROM c WHERE i<=101)"
       " INSERT INTO lineage_node(node_id, kind, project, name, type, state)"
       " SELECT id, 'run', 't', 'r' || id, 'step', 'finished' FROM ids;"
       "INSERT INTO lineage_edge(src, dst, created_at)"
       " SELECT a.node_id, b.node_id, 'x' FROM lineage_node a, lineage_node b"
       " WHERE b.node_id = a.node_id+1 OR (a.node_id%5=0 AND b.node_id=a.node_id+7);"
       "INSERT INTO lineage_edge(src, dst, created_at) VALUES"
       " (1100, 5000, 'x'), (5100, 1000000000, 'x'), (1000000100, 500, 'x');"
       "COMMIT;", 0);
  return db;
}

static sqlite3 *make_chain(void){
  sqlite3 *db = open_db();
  int i;
  must(db, "BEGIN;"
       "SELECT log_artifact(NULL, 'base', 'dataset', NULL, NULL, "
       "  '{\"created_at\":\"2026-01-01T00:00:00Z\"}');", 0);
  for(i=0; i<CHAIN_RUNS; i++){
    char *z = sqlite3_mprintf(
        "SELECT run_start('c%d', 'step', '{\"started_at\":\"2026-01-01T00:00:00Z\"}');"
        "SELECT use_artifact('c%d', 'base:v0');"
        "SELECT CASE WHEN %d THEN use_artifact('c%d', 'ch:latest') END;"
        "SELECT log_artifact('c%d', 'ch', 'chain', "
        "  '[{\"path\":\"f\",\"digest\":\"%d\"}]', NULL, "
        "  '{\"created_at\":\"2026-01-01T00:00:00Z\"}');",
        i, i, i>0, i, i, i);
    must(db, z, 0);
    sqlite3_free(z);
  }
  /* base:v0 also feeds every chain version, by hand: 300 downstream
  ** neighbours, a list too long for its block, which the walks keep. */
  must(db, "INSERT INTO lineage_edge(src, dst, created_at) "
           "SELECT (SELECT node_id FROM lineage_node WHERE name='base'), "
           "node_id, 'h' FROM lineage_node WHERE name='ch';"
           "SELECT run_start('packer', 'step', "
           "  '{\"started_at\":\"2026-01-01T00:00:00Z\"}');", 0);
  must(db, "COMMIT", 0);
  return db;
}

/* Room for the scenarios main() lists; one more is a failure of the test
** itself, not a write past the table. */
#define MAX_SCENARIOS 160
#define NEXT_SCENARIO(n) do{ \
  if( ++(n)>=MAX_SCENARIOS ){ \
    fprintf(stderr, "fault.c: more than %d scenarios: raise MAX_SCENARIOS\n", \
            MAX_SCENARIOS-1); \
    exit(1); \
  } }while(0)

int main(int argc, char **argv){
  static Scenario aS[MAX_SCENARIOS];
  int nS = 0, i;
  sqlite3 *pGraph, *pChain, *pV1, *pChainV1, *pBitmap;
  sqlite3 **apWrite;
  const char *zEnv = getenv("LINEAGE_VALGRIND");
  int nWrite = (int)(sizeof(azWrite)/sizeof(azWrite[0]));

  for(i=1; i<argc; i++){
    if( strcmp(argv[i], "-v")==0 ) gVerbose = 1;
  }
  if( zEnv && zEnv[0] && strcmp(zEnv, "0")!=0 ){
    /* Under valgrind every run costs ~50 times more: test a sample. */
    gSample = 29;
  }
  zEnv = getenv("LINEAGE_FAULT_SHARD");
  if( zEnv && zEnv[0] ){
    if( sscanf(zEnv, "%d/%d", &gShard, &gShards)!=2
     || gShards<1 || gShard<1 || gShard>gShards ){
      fprintf(stderr, "fault: LINEAGE_FAULT_SHARD is K/N with 1<=K<=N, "
                      "not \"%.20s\"\n", zEnv);
      return 2;
    }
    gShard--;
  }
  setvbuf(stdout, 0, _IOLBF, 0);

  /* The faulty allocator, before SQLite initializes; no lookaside, so that
  ** every allocation goes through it. */
  if( sqlite3_config(SQLITE_CONFIG_GETMALLOC, &gOrig)!=SQLITE_OK ){
    fputs("fault: SQLITE_CONFIG_GETMALLOC failed\n", stderr);
    return 2;
  }
  {
    sqlite3_mem_methods m = gOrig;
    m.xMalloc = fault_malloc;
    m.xRealloc = fault_realloc;
    m.xFree = fault_free;
    m.xSize = fault_size;
    m.xRoundup = fault_roundup;
    m.xInit = fault_init;
    m.xShutdown = fault_shutdown;
    if( sqlite3_config(SQLITE_CONFIG_MALLOC, &m)!=SQLITE_OK
     || sqlite3_config(SQLITE_CONFIG_LOOKASIDE, 0, 0)!=SQLITE_OK
     || sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 1)!=SQLITE_OK ){
      fputs("fault: sqlite3_config failed\n", stderr);
      return 2;
    }
  }
  if( sqlite3_initialize()!=SQLITE_OK
   || sqlite3_auto_extension((void(*)(void))sqlite3_lineage_init)!=SQLITE_OK ){
    fputs("fault: cannot initialize SQLite\n", stderr);
    return 2;
  }
  printf("lineage_fault: SQLite %s, %s", sqlite3_libversion(),
         gSample>1 ? "every 29th fault point, 116th persistent (LINEAGE_VALGRIND)"
                   : "every fault point, every 4th persistent");
  if( gShards>1 ) printf(", shard %d of %d", gShard+1, gShards);
  printf("\n");

  /* (1) the writers, each from the state the ones before it left */
  apWrite = calloc((size_t)nWrite, sizeof(sqlite3*));
  {
    sqlite3 *db = open_db();
    for(i=0; i<nWrite; i++){
      Result r;
      apWrite[i] = open_copy(i ? db : 0);
      run_sql(db, azWrite[i], &r);     /* errors expected for some */
      result_clear(&r);
      aS[nS].zName = 0;
      aS[nS].pTmpl = i ? apWrite[i] : 0;
      aS[nS].zSql = azWrite[i];
      aS[nS].bWrite = 1;
      NEXT_SCENARIO(nS);
    }
    sqlite3_close(db);
  }
  /* (1b) writers inside the user's transaction: their savepoint path */
  aS[nS].zName = "write: inside BEGIN ... COMMIT";
  aS[nS].pTmpl = apWrite[nWrite-1];
  aS[nS].zSql = "BEGIN; SELECT run_start('tx1', NULL, "
                "'{\"started_at\":\"2026-01-01T00:00:00Z\"}');"
                "SELECT log_artifact('tx1', 'txa', 'dataset', "
                "'[{\"path\":\"a\",\"digest\":\"1\"}]', '[\"best\"]', "
                "'{\"created_at\":\"2026-01-01T00:00:00Z\"}');"
                "SELECT artifact_alias('txa:v0', 'prod'); COMMIT;";
  aS[nS].bWrite = 1;
  NEXT_SCENARIO(nS);
  /* (2) reads of a small graph */
  pGraph = open_db();
  must(pGraph, zGraph, 0);
  for(i=0; i<(int)(sizeof(azRead)/sizeof(azRead[0])); i++){
    aS[nS].pTmpl = pGraph;
    aS[nS].zSql = azRead[i];
    NEXT_SCENARIO(nS);
  }
  /* (3) a version 1 database: read as it is, migrated by its first write */
  pV1 = open_copy(pGraph);
  must(pV1, zToVersion1, 0);
  aS[nS].zName = "migration: reads of version 1";
  aS[nS].pTmpl = pV1;
  aS[nS].zSql = "SELECT ref, state FROM lineage_downstream('p/raw:v0', NULL, "
                "'{\"as_of\":\"2026-01-01T00:00:00Z\"}');"
                "SELECT lineage_resolve('p/raw:gold'), count(*) FROM lineage_edges;";
  NEXT_SCENARIO(nS);
  aS[nS].zName = "migration: the first write";
  aS[nS].pTmpl = pV1;
  aS[nS].zSql = "SELECT use_artifact('p/eval', 'raw:gold')";
  aS[nS].bWrite = 1;
  NEXT_SCENARIO(nS);
  /* (4) the adjacency cache */
  pChain = make_chain();
  aS[nS].zName = "cache: loads during walks";
  aS[nS].pTmpl = pChain;
  aS[nS].zSql = zChainWalks;
  NEXT_SCENARIO(nS);
  /* a write with the cache loaded (a cycle: c5 uses a later version) */
  aS[nS].zName = "cache: a write when loaded";
  aS[nS].pTmpl = pChain;
  aS[nS].zPre = zChainWalks;
  aS[nS].zSql = "SELECT use_artifact('c5', 'ch:v100')";
  aS[nS].bWrite = 1;
  NEXT_SCENARIO(nS);
  /* block maintenance: hand edits make nodes dirty, base:v0's long list
  ** among them, the write folds them back (its row rewritten), and a walk
  ** reads dirty, packed, long and tail nodes */
#define HAND_EDITS "INSERT INTO main.lineage_edge(src, dst, created_at) " \
                   "VALUES (3, 200, 'x'), (200, 7, 'x');" \
                   "DELETE FROM main.lineage_edge WHERE src=10;" \
                   "DELETE FROM main.lineage_edge WHERE (src, dst) IN " \
                   "(SELECT src, max(dst) FROM main.lineage_edge WHERE src=" \
                   "(SELECT node_id FROM main.lineage_node WHERE name='base'));"
  aS[nS].zName = "blocks: walks over dirty nodes";
  aS[nS].pTmpl = pChain;
  aS[nS].zPre = HAND_EDITS;
  aS[nS].zSql = "SELECT count(*), sum(depth) FROM lineage_downstream('base:v0');"
                "SELECT count(*), sum(depth) FROM lineage_upstream('ch:latest');"
                "SELECT lineage_check();";
  NEXT_SCENARIO(nS);
  aS[nS].zName = "blocks: a write folds hand edits";
  aS[nS].pTmpl = pChain;
  aS[nS].zPre = HAND_EDITS;
  aS[nS].zSql = "SELECT run_start('folder', NULL, "
                "  '{\"started_at\":\"2026-01-01T00:00:00Z\"}');";
  aS[nS].bWrite = 1;
  NEXT_SCENARIO(nS);
  aS[nS].zName = "blocks: lineage_rebuild";
  aS[nS].pTmpl = pChain;
  aS[nS].zPre = HAND_EDITS;
  aS[nS].zSql = "SELECT lineage_rebuild();";
  aS[nS].bWrite = 1;
  NEXT_SCENARIO(nS);
  /* a hub no new node used: 300 ids by hand past base:v0's bound, and
  ** the write that packs their blocks moves its bound, not rewriting it */
  aS[nS].zName = "blocks: a static hub's bound moves";
  aS[nS].pTmpl = pChain;
  aS[nS].zPre = "WITH RECURSIVE c(i) AS (SELECT 5001 UNION ALL SELECT i+1 "
                "FROM c WHERE i<5300) INSERT INTO main.lineage_node(node_id, "
                "kind, project, name, version, type, state) SELECT i, 'run', "
                "'p', 'plain'||i, NULL, 't', 'committed' FROM c;";
  aS[nS].zSql = "SELECT run_start('mover', NULL, "
                "  '{\"started_at\":\"2026-01-01T00:00:00Z\"}');";
  aS[nS].bWrite = 1;
  NEXT_SCENARIO(nS);
  /* a version 1 database with a full block: its first write packs it */
  pChainV1 = open_copy(pChain);
  must(pChainV1, zToVersion1, 0);
  aS[nS].zName = "migration: the first write packs";
  aS[nS].pTmpl = pChainV1;
  aS[nS].zSql = "SELECT use_artifact('c5', 'ch:v100');";
  aS[nS].bWrite = 1;
  NEXT_SCENARIO(nS);
  /* walks after the data changed under a loaded cache */
  aS[nS].zName = "cache: walks after a write";
  aS[nS].pTmpl = pChain;
  aS[nS].zPre = "SELECT lineage_cache(1048576);"
                "SELECT count(*) FROM lineage_downstream('base:v0');"
                "SELECT count(*) FROM lineage_upstream('ch:latest');"
                "SELECT run_start('late', NULL, "
                "  '{\"started_at\":\"2026-01-01T00:00:00Z\"}');"
                "SELECT use_artifact('late', 'ch:v3');";
  aS[nS].zSql = "SELECT count(*), max(depth) FROM lineage_downstream('base:v0');"
                "SELECT group_concat(ref, ' ') FROM lineage_upstream('late');"
                "SELECT count(*), max(depth) FROM lineage_downstream('ch:v2');";
  NEXT_SCENARIO(nS);

  /* the visited bitmap: placed, widened, given up for the hash set */
  pBitmap = make_bitmap_graph();
  aS[nS].zName = "walks: the visited bitmap";
  aS[nS].pTmpl = pBitmap;
  aS[nS].zSql = zBitmapWalks;
  NEXT_SCENARIO(nS);

  /* (4) replicated mode: the switch, a writer refused outside a
  ** transaction, one inside it, a retry (vision/train logs model:v0's
  ** digest again after v1: v0 comes back) and a local_path refused */
  {
    static const struct {
      const char *zName, *zPre, *zSql;
      int bWrite, bInTxn;
    } aRep[] = {
      { "replicated: the switch", 0, "SELECT lineage_replicated(), "
        "lineage_replicated(1), lineage_replicated()", 0, 0 },
      { "replicated: outside a transaction", zReplicated, 0, 1, 0 },
      { "replicated: log_artifact", zReplicated, 0, 1, 1 },
      { "replicated: a retry", zReplicated, 0, 1, 1 },
      { "replicated: local_path", zReplicated,
        "SELECT log_artifact('vision/train', 'disk', 'dataset', "
        "'[{\"path\":\"a\",\"local_path\":\"/etc/hostname\"}]')", 1, 1 },
    };
    /* the writers they run: loose's log (write 9), and model's digest
    ** 'abc' again (write 7) after v1: the retry gives v0 back */
    const char *azRepSql[] = { 0, azWrite[8], azWrite[8], azWrite[6], 0 };
    for(i=0; i<(int)(sizeof(aRep)/sizeof(aRep[0])); i++){
      aS[nS].zName = aRep[i].zName;
      aS[nS].pTmpl = apWrite[8];
      aS[nS].zPre = aRep[i].zPre;
      aS[nS].zSql = aRep[i].zSql ? aRep[i].zSql : azRepSql[i];
      aS[nS].bWrite = aRep[i].bWrite;
      aS[nS].bInTxn = aRep[i].bInTxn;
      NEXT_SCENARIO(nS);
    }
  }

  for(i=0; i<nS; i++){
    char zName[64];
    const char *zOnly = getenv("LINEAGE_FAULT_ONLY");
    if( aS[i].zName==0 ){
      const char *z = aS[i].zSql;
      const char *zFrom = strstr(z, "FROM ");
      if( strncmp(z, "SELECT ", 7)==0 && aS[i].bWrite ){
        snprintf(zName, sizeof(zName), "write %d: %.*s", i+1,
                 (int)strcspn(z+7, "("), z+7);
      }else if( zFrom ){
        snprintf(zName, sizeof(zName), "read %d: %.22s", i+1, zFrom+5);
      }else if( strncmp(z, "SELECT ", 7)==0 ){
        snprintf(zName, sizeof(zName), "read %d: %.22s", i+1, z+7);
      }else{
        snprintf(zName, sizeof(zName), "read %d", i+1);
      }
      aS[i].zName = strdup(zName);
      aS[i].bOwnName = 1;
    }
    if( zOnly==0 || strstr(aS[i].zName, zOnly) ) scenario(&aS[i]);
  }
  printf("%ld fault points run; accepted but shown with -v: %ld errors "
         "other than out-of-memory, %ld transactions left open after "
         "SQLITE_NOMEM\n", nPoint, nOtherErr, nOpenTxn);
  printf("%d passed, %d failed\n", nPass, nFail);

  for(i=0; i<nWrite; i++) sqlite3_close(apWrite[i]);
  free(apWrite);
  sqlite3_close(pGraph);
  sqlite3_close(pV1);
  sqlite3_close(pChain);
  sqlite3_close(pChainV1);
  sqlite3_close(pBitmap);
  for(i=0; i<nS; i++){
    if( aS[i].bOwnName ) free((char*)aS[i].zName);
  }
  sqlite3_shutdown();
  return nFail ? 1 : 0;
}
