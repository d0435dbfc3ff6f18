/*
** stress.c: many processes on one database, and writers killed mid-call.
**
**   lineage_stress DIR
**
** Concurrency, in WAL and in rollback-journal mode: WRITERS processes call
** the writers (autocommit calls with a busy timeout, and BEGIN IMMEDIATE
** batches) while READERS processes walk. Each writer appends every call it
** got success for to its own log. Afterwards every acknowledged call is in
** the database exactly once, the versions of the shared artifact are
** exactly v0..vN-1 with latest on the newest, every producer edge is
** there, a failed call left nothing, the readers saw no error but
** SQLITE_BUSY and every walk equalled a recursive CTE run in the same read
** transaction, and PRAGMA integrity_check says ok.
**
** Crash: a writer is killed with SIGKILL after a random few milliseconds,
** KILL_ROUNDS times, alternating autocommit calls and batches and the two
** journal modes. After each kill the database opens, passes
** integrity_check and holds exactly the calls acknowledged before the kill,
** plus at most the one unit (call or whole batch) that was committing.
**
** Linked with the static library, like fault.c. Prints the figures.
*/
#include <sqlite3.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int sqlite3_lineage_init(sqlite3*, char**, const sqlite3_api_routines*);

#define WRITERS      8     /* writer processes per journal mode */
#define READERS      2     /* reader processes per journal mode */
#define CALLS        60    /* autocommit log_artifact calls per writer */
#define BATCHES      10    /* BEGIN IMMEDIATE batches per writer */
#define BATCH_CALLS  3     /* log_artifact calls per batch */
#define BUSY_MS      20000 /* the writers' and readers' busy timeout */
#define IMPATIENT_MS 2     /* the odd writers' timeout: some calls fail */
#define KILL_ROUNDS  100   /* SIGKILLs of a writer */
#define KILL_MAX_MS  60    /* a kill comes 1..KILL_MAX_MS ms after the start */

static const char *gDir;
static int nBad;
static long nFailed;       /* failed calls checked to have left nothing */

static void bad(const char *zFmt, const char *z1, const char *z2){
  printf("FAIL: ");
  printf(zFmt, z1, z2);
  printf("\n");
  fflush(stdout);
  nBad++;
}

/* Busy handler: counts its calls, sleeps 1 ms, gives up after gBusyMs. */
static long nBusyWait;
static int gBusyMs = BUSY_MS;
static int busy_handler(void *p, int n){
  (void)p;
  nBusyWait++;
  if( n>=gBusyMs ) return 0;
  usleep(1000);
  return 1;
}

static sqlite3 *open_db(const char *zMode){
  sqlite3 *db = 0;
  char zPath[512], zSql[64];
  snprintf(zPath, sizeof(zPath), "%s/stress.db", gDir);
  if( sqlite3_open(zPath, &db)!=SQLITE_OK ){
    fprintf(stderr, "cannot open %s\n", zPath);
    exit(2);
  }
  sqlite3_busy_handler(db, busy_handler, 0);
  if( zMode ){
    snprintf(zSql, sizeof(zSql), "PRAGMA journal_mode=%s", zMode);
    sqlite3_exec(db, zSql, 0, 0, 0);
  }
  return db;
}

/* Every connection is closed before the next fork: a child must not
** inherit SQLite's bookkeeping of a file the parent still has open. */
static void close_db(sqlite3 *db){
  int rc = sqlite3_close(db);
  if( rc!=SQLITE_OK ) bad("sqlite3_close: %s%s", sqlite3_errstr(rc), "");
}

/* Run one statement; SQLite's result code; *pzOut gets the first column
** of the first row (malloc'd) when asked. */
static int run(sqlite3 *db, const char *zSql, char **pzOut){
  sqlite3_stmt *p = 0;
  int rc = sqlite3_prepare_v2(db, zSql, -1, &p, 0);
  if( pzOut ) *pzOut = 0;
  if( rc==SQLITE_OK ){
    while( (rc = sqlite3_step(p))==SQLITE_ROW ){
      if( pzOut && *pzOut==0 && sqlite3_column_text(p, 0) ){
        *pzOut = strdup((const char*)sqlite3_column_text(p, 0));
      }
    }
    if( rc==SQLITE_DONE ) rc = SQLITE_OK;
  }
  sqlite3_finalize(p);
  return rc;
}

/* Call i of writer w: a run that uses the newest version of 'shared' (when
** there is one) and logs the next, so that the versions form one long
** chain for the readers to walk. Three statements, each a writer call in
** autocommit mode (or in the batch's transaction), none with a FROM clause
** (a connection that is reading cannot wait for the write lock); the
** log_artifact is the acknowledged unit, its result in *pzRef. */
static int run(sqlite3 *db, const char *zSql, char **pzOut);
static int do_call(sqlite3 *db, const char *zTag, int w, int i, char **pzRef){
  char *zRun = sqlite3_mprintf("%s%d-%d", zTag, w, i);
  char *zSql = sqlite3_mprintf("SELECT run_start(%Q)", zRun);
  int rc = run(db, zSql, 0);
  sqlite3_free(zSql);
  *pzRef = 0;
  if( rc==SQLITE_OK ){
    zSql = sqlite3_mprintf("SELECT use_artifact(%Q, 'shared:latest')", zRun);
    rc = run(db, zSql, 0);
    sqlite3_free(zSql);
    if( rc==SQLITE_ERROR && (strstr(sqlite3_errmsg(db), "no artifact 'shared")
                          || strstr(sqlite3_errmsg(db), "no lineage yet")) ){
      rc = SQLITE_OK;                   /* the first version is not there yet */
    }
  }
  if( rc==SQLITE_OK ){
    zSql = sqlite3_mprintf("SELECT log_artifact(%Q, 'shared', 'dataset', "
                           "json_array(json_object('path', 'f', 'digest', %Q)))",
                           zRun, zRun);
    rc = run(db, zSql, pzRef);
    sqlite3_free(zSql);
  }
  sqlite3_free(zRun);
  return rc;
}

/* Append "tag w-i version" to writer w's log: the call was acknowledged.
** The log is unbuffered up to the line: one write per acknowledgement. */
static void ack(FILE *pLog, const char *zTag, int w, int i, const char *zRef){
  fprintf(pLog, "%s%d-%d %s\n", zTag, w, i, zRef ? zRef : "?");
  fflush(pLog);
}

/* A writer process: CALLS autocommit calls, then BATCHES batches (or, with
** bForever, one kind of unit until it is killed). Exit status: 0, or 1 on
** an error other than SQLITE_BUSY. */
static int writer(const char *zTag, int w, int bBatch, int bForever){
  sqlite3 *db = open_db(0);
  char zLog[512];
  FILE *pLog;
  int i, nOk = 0, nBusy = 0, nErr = 0;
  snprintf(zLog, sizeof(zLog), "%s/%s%d.log", gDir, zTag, w);
  pLog = fopen(zLog, "w");
  if( pLog==0 ) return 1;
  setvbuf(pLog, 0, _IOFBF, 4096);
  for(i=0; bForever || i<CALLS+BATCHES; i++){
    int bThisBatch = bForever ? bBatch : i>=CALLS;
    char *zRef = 0;
    int rc;
    if( !bThisBatch ){
      rc = do_call(db, zTag, w, i, &zRef);
      if( rc==SQLITE_OK ){ ack(pLog, zTag, w, i, zRef); nOk++; }
      else if( rc==SQLITE_BUSY ) ack(pLog, zTag, w, i, "failed");
    }else{
      int k;
      rc = run(db, "BEGIN IMMEDIATE", 0);
      for(k=0; rc==SQLITE_OK && k<BATCH_CALLS; k++){
        free(zRef);
        rc = do_call(db, zTag, w, i*BATCH_CALLS + k + 1000000, &zRef);
      }
      if( rc==SQLITE_OK ) rc = run(db, "COMMIT", 0);
      if( rc==SQLITE_OK ){
        /* One write for the whole batch, so that a kill cannot land
        ** between its lines. */
        char zAck[BATCH_CALLS*64];
        size_t n = 0;
        for(k=0; k<BATCH_CALLS; k++){
          n += (size_t)snprintf(zAck+n, sizeof(zAck)-n, "%s%d-%d batch\n",
                                zTag, w, i*BATCH_CALLS + k + 1000000);
        }
        fputs(zAck, pLog);
        fflush(pLog);
        nOk += BATCH_CALLS;
      }else{
        run(db, "ROLLBACK", 0);
        if( rc==SQLITE_BUSY ){
          for(k=0; k<BATCH_CALLS; k++){
            ack(pLog, zTag, w, i*BATCH_CALLS + k + 1000000, "rolledback");
          }
        }
      }
    }
    free(zRef);
    if( rc==SQLITE_BUSY ) nBusy++;
    else if( rc!=SQLITE_OK ){
      nErr++;
      bad("writer error: %s (%s)", sqlite3_errmsg(db), zTag);
    }
    if( !sqlite3_get_autocommit(db) ){
      bad("writer %s left a transaction open%s", zTag, "");
      nErr++;
    }
  }
  fclose(pLog);
  printf("  writer %d: %d calls acknowledged, %d busy, %ld busy waits\n",
         w, nOk, nBusy, nBusyWait);
  close_db(db);
  return nErr || nBad ? 1 : 0;
}

/* A reader process: walks until the file "done" exists. Every walk from
** the newest version must equal a recursive CTE over the edges in the same
** read transaction. Exit status 1 on any error but SQLITE_BUSY. */
static const char zWalk[] =
  "SELECT group_concat(node_id) FROM (SELECT node_id FROM "
  "lineage_upstream('shared:latest') ORDER BY node_id)";
static const char zCte[] =
  "WITH RECURSIVE up(id) AS (SELECT node_id FROM lineage_versions "
  "WHERE ref=(SELECT name || ':v' || version FROM lineage_node "
  "WHERE node_id=(SELECT node_id FROM lineage_alias WHERE name='shared' "
  "AND alias='latest'))"
  " UNION SELECT src FROM lineage_edge JOIN up ON dst=id) "
  "SELECT group_concat(id) FROM (SELECT id FROM up ORDER BY id)";
static int reader(int r){
  sqlite3 *db = open_db(0);
  char zDone[512];
  long nWalk = 0, nBusy = 0, nNodes = 0;
  int nErr = 0;
  snprintf(zDone, sizeof(zDone), "%s/done", gDir);
  while( access(zDone, F_OK)!=0 ){
    char *zA = 0, *zB = 0;
    int rc = run(db, "BEGIN", 0);
    if( rc==SQLITE_OK ) rc = run(db, zWalk, &zA);
    if( rc==SQLITE_OK ) rc = run(db, zCte, &zB);
    if( rc==SQLITE_OK ){
      nWalk++;
      if( (zA==0)!=(zB==0) || (zA && strcmp(zA, zB)!=0) ){
        bad("reader: walk %s != CTE %s", zA ? zA : "NULL", zB ? zB : "NULL");
        nErr++;
      }
      if( zA ){
        const char *z;
        nNodes++;
        for(z=zA; *z; z++) nNodes += *z==',';
      }
    }else if( rc==SQLITE_BUSY ){
      nBusy++;
    }else if( !strstr(sqlite3_errmsg(db), "no artifact")
              && !strstr(sqlite3_errmsg(db), "no lineage yet") ){
      bad("reader error: %s%s", sqlite3_errmsg(db), "");
      nErr++;
    }
    run(db, "COMMIT", 0);
    if( !sqlite3_get_autocommit(db) ) run(db, "ROLLBACK", 0);
    free(zA);
    free(zB);
  }
  printf("  reader %d: %ld walks checked (%ld nodes), %ld busy, %ld busy "
         "waits\n", r, nWalk, nNodes, nBusy, nBusyWait);
  close_db(db);
  return nErr ? 1 : 0;
}

static void reset_dir(void){
  char z[600];
  const char *az[] = { "stress.db", "stress.db-journal", "stress.db-wal",
                       "stress.db-shm", "done" };
  size_t i;
  int w;
  for(i=0; i<sizeof(az)/sizeof(az[0]); i++){
    snprintf(z, sizeof(z), "%s/%s", gDir, az[i]);
    unlink(z);
  }
  for(w=0; w<WRITERS; w++){
    snprintf(z, sizeof(z), "%s/w%d.log", gDir, w);
    unlink(z);
    snprintf(z, sizeof(z), "%s/d%d.log", gDir, w);
    unlink(z);
  }
}

/* Read the acknowledged calls of log zTag<w>.log: their count; each run id
** must be in the database once, with the version its log says. */
static int check_log(sqlite3 *db, const char *zTag, int w){
  char zLog[512], zRun[128], zRef[128];
  FILE *f;
  int n = 0;
  snprintf(zLog, sizeof(zLog), "%s/%s%d.log", gDir, zTag, w);
  f = fopen(zLog, "r");
  if( f==0 ) return 0;
  while( fscanf(f, "%127s %127s", zRun, zRef)==2 ){
    char *zSql = sqlite3_mprintf(
      "SELECT count(*) || ' ' || coalesce(max(v.ref), 'none') FROM lineage_edges e "
      "JOIN lineage_versions v ON v.node_id=e.dst WHERE e.run_id=%Q "
      "AND e.direction='output'", zRun);
    char *zGot = 0;
    char zWant[160];
    if( run(db, zSql, &zGot)!=SQLITE_OK ){
      bad("reading the acknowledged calls: %s%s", sqlite3_errmsg(db), "");
    }
    sqlite3_free(zSql);
    if( strcmp(zRef, "failed")==0 || strcmp(zRef, "rolledback")==0 ){
      /* A failed log_artifact left no version (its run_start, a call of
      ** its own, may have succeeded); a rolled-back batch left no run. */
      char *zRuns = 0;
      char *zQ = sqlite3_mprintf("SELECT count(*) FROM lineage_runs WHERE "
                                 "run_id=%Q", zRun);
      run(db, zQ, &zRuns);
      sqlite3_free(zQ);
      if( zGot==0 || strcmp(zGot, "0 none")!=0
       || (zRef[0]=='r' && (zRuns==0 || strcmp(zRuns, "0")!=0)) ){
        bad("failed call %s left something behind: %s", zRun, zGot ? zGot : "?");
      }
      free(zRuns);
      free(zGot);
      nFailed++;
      continue;
    }
    if( strcmp(zRef, "batch")==0 ){
      if( zGot==0 || strncmp(zGot, "1 shared:v", 10)!=0 ){
        bad("acknowledged batch call %s: %s", zRun, zGot ? zGot : "?");
      }
    }else{
      snprintf(zWant, sizeof(zWant), "1 %s", zRef);
      if( zGot==0 || strcmp(zGot, zWant)!=0 ){
        bad("acknowledged call %s: %s", zRun, zGot ? zGot : "?");
      }
    }
    free(zGot);
    n++;
  }
  fclose(f);
  return n;
}

/* The invariants of the database as a whole. nAck: calls acknowledged;
** nExtraMax: how many more versions may exist (units that committed but
** were killed before they logged). */
static void check_db(sqlite3 *db, long nAck, long nExtraMax, const char *zWhat){
  char *z = 0;
  long nVer;
  run(db, "PRAGMA integrity_check", &z);
  if( z==0 || strcmp(z, "ok")!=0 ){
    bad("%s: integrity_check: %s", zWhat, z ? z : sqlite3_errmsg(db));
  }
  free(z);
  run(db, "SELECT count(*) FROM lineage_versions WHERE name='shared'", &z);
  nVer = z ? atol(z) : -1;
  free(z);
  if( nVer<nAck || nVer>nAck+nExtraMax ){
    char zN[64];
    snprintf(zN, sizeof(zN), "%ld versions, %ld acknowledged", nVer, nAck);
    bad("%s: %s", zWhat, zN);
  }
  /* Versions exactly 0..N-1, latest on the newest, one producer each,
  ** every run but a failed one's with exactly one output. */
  run(db, "SELECT (SELECT count(*) = coalesce(max(version)+1, 0) AND "
          "count(DISTINCT version) = count(*) FROM lineage_versions "
          "WHERE name='shared') || (SELECT coalesce(max(v.version), -1) = "
          "(SELECT coalesce(max(version), -1) FROM lineage_versions WHERE "
          "name='shared') FROM lineage_alias a JOIN lineage_versions v ON "
          "v.node_id=a.node_id WHERE a.alias='latest') || (SELECT count(*)=0 "
          "FROM lineage_versions v WHERE name='shared' AND (SELECT count(*) "
          "FROM lineage_edge WHERE dst=v.node_id)<>1) || (SELECT count(*)=0 "
          "FROM lineage_runs r WHERE (SELECT count(*) FROM lineage_edge "
          "WHERE src=r.node_id)>1)", &z);
  if( z==0 || strcmp(z, "1111")!=0 ){
    bad("%s: invariants %s (want 1111)", zWhat, z ? z : sqlite3_errmsg(db));
  }
  free(z);
}

static int wait_all(pid_t *a, int n){
  int i, nFail = 0;
  for(i=0; i<n; i++){
    int st = 0;
    waitpid(a[i], &st, 0);
    if( !WIFEXITED(st) || WEXITSTATUS(st)!=0 ) nFail++;
  }
  return nFail;
}

static void concurrency(const char *zMode){
  pid_t aW[WRITERS], aR[READERS];
  sqlite3 *db;
  int i;
  long nAck = 0;
  char zDone[512], zTag[16];
  nFailed = 0;
  time_t t0 = time(0);
  reset_dir();
  snprintf(zTag, sizeof(zTag), "%c", zMode[0]);
  db = open_db(zMode);            /* sets the journal mode for everyone */
  close_db(db);
  printf("%s mode: %d writers x (%d calls + %d batches of %d), %d readers\n",
         zMode, WRITERS, CALLS, BATCHES, BATCH_CALLS, READERS);
  fflush(stdout);
  for(i=0; i<READERS; i++){
    if( (aR[i] = fork())==0 ) exit(reader(i));
  }
  for(i=0; i<WRITERS; i++){
    if( (aW[i] = fork())==0 ){
      if( i%2 ) gBusyMs = IMPATIENT_MS;
      exit(writer(zTag, i, 0, 0));
    }
  }
  if( wait_all(aW, WRITERS) ) bad("%s: a writer failed%s", zMode, "");
  snprintf(zDone, sizeof(zDone), "%s/done", gDir);
  fclose(fopen(zDone, "w"));
  if( wait_all(aR, READERS) ) bad("%s: a reader failed%s", zMode, "");
  db = open_db(0);
  for(i=0; i<WRITERS; i++) nAck += check_log(db, zTag, i);
  check_db(db, nAck, 0, zMode);
  printf("  %ld calls acknowledged and found; %ld failed with SQLITE_BUSY "
         "and left nothing; %lds\n", nAck, nFailed, (long)(time(0)-t0));
  close_db(db);
}

/* KILL_ROUNDS rounds: a writer of units of one kind, killed. */
static void crash(void){
  int round;
  long nAck = 0, nKill = 0, nUnitsLost = 0;
  time_t t0 = time(0);
  reset_dir();
  srand(12345);
  {
    /* The tables exist before the first kill, which may come before the
    ** writer's first commit. */
    sqlite3 *db = open_db(0);
    if( run(db, "SELECT run_start('setup')", 0)!=SQLITE_OK ){
      bad("setup: %s%s", sqlite3_errmsg(db), "");
    }
    close_db(db);
  }
  for(round=0; round<KILL_ROUNDS; round++){
    const char *zMode = round%4<2 ? "wal" : "delete";
    int bBatch = round%2;
    char zTag[16];
    pid_t pid;
    sqlite3 *db;
    long nRound;
    snprintf(zTag, sizeof(zTag), "k%d-", round);
    {
      /* A writer killed before it opened its log must leave none: a log
      ** of an earlier run in DIR would be read as its acknowledgements. */
      char zLog[512];
      snprintf(zLog, sizeof(zLog), "%s/%s0.log", gDir, zTag);
      unlink(zLog);
    }
    db = open_db(zMode);
    close_db(db);
    if( (pid = fork())==0 ) exit(writer(zTag, 0, bBatch, 1));
    usleep(1000 * (1 + rand()%KILL_MAX_MS));
    kill(pid, SIGKILL);
    waitpid(pid, 0, 0);
    nKill++;
    db = open_db(0);
    nRound = check_log(db, zTag, 0);
    nAck += nRound;
    check_db(db, nAck, bBatch ? BATCH_CALLS : 1, "after a kill");
    /* Units committed but not logged are part of what is kept from now
    ** on: count them in, so the next round's bound stays one unit. */
    {
      char *z = 0;
      long nVer;
      run(db, "SELECT count(*) FROM lineage_versions WHERE name='shared'", &z);
      nVer = z ? atol(z) : 0;
      free(z);
      if( bBatch && nVer-nAck!=0 && nVer-nAck!=BATCH_CALLS ){
        bad("a killed batch was kept in part%s%s", "", "");
      }
      nUnitsLost += nVer - nAck > 0;
      nAck = nVer;
    }
    close_db(db);
  }
  printf("crash: %ld SIGKILLs (autocommit calls and batches, WAL and "
         "rollback journal), %ld calls kept, %ld kills landed between a "
         "commit and its acknowledgement; %lds\n", nKill, nAck, nUnitsLost,
         (long)(time(0)-t0));
}

int main(int argc, char **argv){
  if( argc<2 ){
    fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  gDir = argv[1];
  setvbuf(stdout, 0, _IOLBF, 0);
  sqlite3_auto_extension((void(*)(void))sqlite3_lineage_init);
  concurrency("wal");
  concurrency("delete");
  crash();
  printf("%s\n", nBad ? "FAILED" : "ok");
  return nBad ? 1 : 0;
}
