/*
** runs.c: run_start, run_finish and use_artifact.
**
**   SELECT run_start('vision/train-1', 'train', '{"author":"ana"}');
**   SELECT use_artifact('vision/train-1', 'mnist:latest');
**   SELECT run_finish('vision/train-1', 'finished');
**
** Each is one savepoint: it validates, resolves references (names.c), writes,
** and either releases the savepoint or rolls all of it back and reports the
** first error.
*/
#include "lineage.h"
#include <string.h>

void lineage_check_options(Lx *x, sqlite3_value *pOpts, const char *zFunc,
                           const char *const *azAllowed){
  sqlite3_stmt *pStmt;
  char *zType;
  if( x->rc || pOpts==0 || sqlite3_value_type(pOpts)==SQLITE_NULL ) return;
  zType = lx_json_type(x, pOpts);
  if( x->rc==SQLITE_OK && (zType==0 || strcmp(zType, "object")!=0) ){
    lx_fail(x, "%s options must be a JSON object, not %s", zFunc,
            sqlite3_value_text(pOpts));
  }
  sqlite3_free(zType);
  if( x->rc ) return;
  pStmt = lx_prepare(x, "SELECT key FROM main.json_each(?1)", "v", pOpts);
  while( pStmt && lx_step(x, pStmt)==SQLITE_ROW ){
    const char *zKey = lx_column_text(x, pStmt, 0);
    int i;
    char *zList = 0;
    if( zKey==0 ) break;
    for(i=0; azAllowed[i] && strcmp(azAllowed[i], zKey)!=0; i++){}
    if( azAllowed[i] ) continue;
    for(i=0; azAllowed[i]; i++){
      zList = sqlite3_mprintf("%z%s%s", zList, i ? ", " : "", azAllowed[i]);
    }
    lx_fail(x, "unknown %s option '%s' (options: %s)", zFunc, zKey, zList);
    sqlite3_free(zList);
    break;
  }
  lx_finalize(x, pStmt);
}

/* An option's value as text (JSON text for objects/arrays), or NULL. */
static char *option_text(Lx *x, sqlite3_value *pOpts, const char *zPath,
                         const char *zWantType, const char *zFunc){
  char *zType;
  if( x->rc || pOpts==0 || sqlite3_value_type(pOpts)==SQLITE_NULL ) return 0;
  zType = lx_text(x, "SELECT json_type(?1, ?2)", "vt", pOpts, zPath);
  if( zType==0 || strcmp(zType, "null")==0 ){ sqlite3_free(zType); return 0; }
  if( strcmp(zType, zWantType)!=0 ){
    lx_fail(x, "%s option '%s' must be %s%s, not %s", zFunc, zPath+2,
            zWantType[0]=='o' || zWantType[0]=='a' ? "an " : "",
            zWantType, zType);
    sqlite3_free(zType);
    return 0;
  }
  sqlite3_free(zType);
  if( zWantType[0]=='t' ){
    return lx_text(x, "SELECT json_extract(?1, ?2)", "vt", pOpts, zPath);
  }
  return lx_text(x, "SELECT json(json_extract(?1, ?2))", "vt", pOpts, zPath);
}

/* 8 characters of [a-z0-9], as W&B's generated run ids. */
static void random_run_id(char *z){
  static const char az[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  unsigned char r[8];
  int i;
  sqlite3_randomness(sizeof(r), r);
  for(i=0; i<8; i++) z[i] = az[r[i] % 36];
  z[8] = 0;
}

static char *run_ref(const char *zProject, const char *zRunId){
  if( strcmp(zProject, LINEAGE_DEFAULT_PROJECT)==0 ){
    return sqlite3_mprintf("%s", zRunId);
  }
  return sqlite3_mprintf("%s/%s", zProject, zRunId);
}

/* run_start(run [, job_type [, options]]) */
void lineage_fn_run_start(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  static const char *const azOpt[] = {
    "name", "author", "group", "config", "started_at", "project", 0
  };
  Lx x;
  LineageRef r;
  sqlite3_value *pOpts = argc>2 ? argv[2] : 0;
  const char *zRun = lx_arg_text(argv[0]);
  const char *zJobType = argc>1 ? lx_arg_text(argv[1]) : 0;
  char zGen[9];
  char *zOptProject = 0, *zName = 0, *zAuthor = 0, *zGroup = 0, *zConfig = 0;
  char *zStartedIn = 0, *zStarted = 0, *zRef = 0;
  const char *zProject, *zRunId;
  sqlite3_int64 id;

  memset(&r, 0, sizeof(r));
  lx_init_fn(&x, ctx);
  lx_check_args(&x, "run_start", argc, argv);
  lineage_check_options(&x, pOpts, "run_start", azOpt);
  zOptProject = option_text(&x, pOpts, "$.project", "text", "run_start");
  zName = option_text(&x, pOpts, "$.name", "text", "run_start");
  zAuthor = option_text(&x, pOpts, "$.author", "text", "run_start");
  zGroup = option_text(&x, pOpts, "$.group", "text", "run_start");
  zConfig = option_text(&x, pOpts, "$.config", "object", "run_start");
  zStartedIn = option_text(&x, pOpts, "$.started_at", "text", "run_start");
  if( zJobType && !lineage_valid_type(zJobType) ){
    lx_fail(&x, "invalid job_type '%s': use 1-128 characters without '/' "
                "or ':'", zJobType);
  }
  if( zOptProject && !lineage_valid_project(zOptProject) ){
    lx_fail(&x, "invalid project '%s': use 'project' or 'entity/project'",
            zOptProject);
  }
  if( zRun ){
    lineage_ref_parse(&x, zRun, 0, &r);
    if( x.rc==SQLITE_OK && r.zProject && zOptProject
     && strcmp(r.zProject, zOptProject)!=0 ){
      lx_fail(&x, "run '%s' names project '%s' but the project option "
                  "says '%s'", zRun, r.zProject, zOptProject);
    }
    zRunId = r.zName;
    zProject = r.zProject ? r.zProject : zOptProject;
  }else{
    random_run_id(zGen);
    zRunId = zGen;
    zProject = zOptProject;
  }
  if( zProject==0 ) zProject = LINEAGE_DEFAULT_PROJECT;
  zStarted = lx_time(&x, zStartedIn, "started_at");

  lx_begin(&x, "run_start");
  lineage_schema_ensure(&x);
  if( x.rc==SQLITE_OK && lx_int(&x, 0, "SELECT 1 FROM main.lineage_node WHERE "
        "name=?1 AND project=?2 AND kind='run'", "tt", zRunId, zProject) ){
    lx_fail(&x, "run '%s' already exists in project '%s'", zRunId, zProject);
  }
  lx_exec(&x, "INSERT INTO main.lineage_node(kind, project, name, type, state) "
              "VALUES ('run', ?1, ?2, ?3, 'running')", "ttt",
          zProject, zRunId, zJobType);
  id = sqlite3_last_insert_rowid(x.db);
  lx_exec(&x, "INSERT INTO main.lineage_run(node_id, display_name, author, "
              "group_name, config, started_at) VALUES (?1,?2,?3,?4,?5,?6)",
          "itttt" "t", id, zName, zAuthor, zGroup, zConfig, zStarted);
  if( x.rc==SQLITE_OK ){
    zRef = run_ref(zProject, zRunId);
    if( zRef==0 ) x.rc = SQLITE_NOMEM;
  }
  lineage_adj_sync(&x);
  if( lx_end(&x, ctx)==SQLITE_OK ){
    /* Handed over, not copied: nothing may fail after the commit. */
    sqlite3_result_text(ctx, zRef, -1, sqlite3_free);
    zRef = 0;
  }
  sqlite3_free(zRef);
  sqlite3_free(zOptProject); sqlite3_free(zName); sqlite3_free(zAuthor);
  sqlite3_free(zGroup); sqlite3_free(zConfig); sqlite3_free(zStartedIn);
  sqlite3_free(zStarted);
  lineage_ref_clear(&r);
}

/* run_finish(run [, state [, finished_at]]) */
void lineage_fn_run_finish(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  static const char *const azState[] = {
    "finished", "failed", "crashed", "killed", 0
  };
  Lx x;
  LineageNode run;
  const char *zState = argc>1 ? lx_arg_text(argv[1]) : 0;
  const char *zAt = argc>2 ? lx_arg_text(argv[2]) : 0;
  char *zFinished = 0, *zRef = 0;
  int i;

  memset(&run, 0, sizeof(run));
  lx_init_fn(&x, ctx);
  lx_check_args(&x, "run_finish", argc, argv);
  if( zState==0 ) zState = "finished";
  for(i=0; azState[i] && strcmp(azState[i], zState)!=0; i++){}
  if( azState[i]==0 ){
    lx_fail(&x, "invalid run state '%s' (finished, failed, crashed, killed)",
            zState);
  }
  zFinished = lx_time(&x, zAt, "finished_at");
  lx_begin(&x, "run_finish");
  lineage_schema_check(&x);
  lineage_resolve_run(&x, lx_arg_text(argv[0]), &run);
  if( x.rc==SQLITE_OK && lx_int(&x, 0, "SELECT julianday(?1) < "
        "julianday(started_at) FROM main.lineage_run WHERE node_id=?2", "ti",
        zFinished, run.id) ){
    lx_fail(&x, "finished_at '%s' is before the run '%s' started", zFinished,
            run.zName);
  }
  lx_exec(&x, "UPDATE main.lineage_node SET state=?1 WHERE node_id=?2", "ti",
          zState, run.id);
  lx_exec(&x, "UPDATE main.lineage_run SET finished_at=?1 WHERE node_id=?2", "ti",
          zFinished, run.id);
  if( x.rc==SQLITE_OK ){
    zRef = run_ref(run.zProject, run.zName);
    if( zRef==0 ) x.rc = SQLITE_NOMEM;
  }
  if( lx_end(&x, ctx)==SQLITE_OK ){
    /* Handed over, not copied: nothing may fail after the commit. */
    sqlite3_result_text(ctx, zRef, -1, sqlite3_free);
    zRef = 0;
  }
  sqlite3_free(zRef);
  sqlite3_free(zFinished);
  lineage_node_clear(&run);
}

/* use_artifact(run, artifact [, type]) */
void lineage_fn_use_artifact(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  Lx x;
  LineageNode run, ver;
  const char *zType = argc>2 ? lx_arg_text(argv[2]) : 0;
  char *zRef = 0;

  memset(&run, 0, sizeof(run));
  memset(&ver, 0, sizeof(ver));
  lx_init_fn(&x, ctx);
  lx_check_args(&x, "use_artifact", argc, argv);
  if( sqlite3_value_type(argv[0])==SQLITE_NULL ){
    lx_fail(&x, "use_artifact needs a run: a version used by no run is no edge");
  }
  if( zType ) lineage_check_type(&x, zType);
  lx_begin(&x, "use_artifact");
  lineage_schema_check(&x);
  lineage_resolve_run(&x, lx_arg_text(argv[0]), &run);
  lineage_resolve_version(&x, lx_arg_text(argv[1]), run.zProject, &ver);
  if( x.rc==SQLITE_OK && strcmp(ver.zState, "deleted")==0 ){
    lx_fail(&x, "artifact '%s:v%lld' in project '%s' is deleted", ver.zName,
            ver.version, ver.zProject);
  }
  if( x.rc==SQLITE_OK && zType && strcmp(zType, ver.zType)!=0 ){
    lx_fail(&x, "artifact '%s' has type '%s', not '%s'", ver.zName,
            ver.zType, zType);
  }
  if( x.rc==SQLITE_OK ){
    /* requested: the reference as the run asked for it (model:prod); the
    ** first use of a version by a run keeps its edge. */
    lx_exec(&x, "INSERT OR IGNORE INTO main.lineage_edge(src, dst, created_at, "
                "requested) VALUES (?1, ?2, "
                "strftime('%Y-%m-%dT%H:%M:%fZ','now'), ?3)", "iit",
            ver.id, run.id, lx_arg_text(argv[1]));
    zRef = lineage_version_ref(&ver, strcmp(ver.zProject, run.zProject)!=0);
    if( zRef==0 ) x.rc = SQLITE_NOMEM;
  }
  lineage_adj_sync(&x);
  if( lx_end(&x, ctx)==SQLITE_OK ){
    /* Handed over, not copied: nothing may fail after the commit. */
    sqlite3_result_text(ctx, zRef, -1, sqlite3_free);
    zRef = 0;
  }
  sqlite3_free(zRef);
  lineage_node_clear(&run);
  lineage_node_clear(&ver);
}
