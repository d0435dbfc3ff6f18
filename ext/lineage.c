/*
** lineage.c: the entry point of sqlite-lineage.
**
**   .load ./build/lineage                      -- sqlite3 shell
**   SELECT load_extension('build/lineage');    -- any language
**
** sqlite3_lineage_init() checks the SQLite version, then registers the SQL
** functions and the virtual-table modules from the two tables below; each
** return code is checked and a failure names what could not be registered.
** Built with -DSQLITE_CORE the same function can be handed to
** sqlite3_auto_extension(). Loading writes nothing to the database: the
** tables are created by the first write (schema.c).
*/
#include "lineage.h"
SQLITE_EXTENSION_INIT1
#include "sqlite-lineage.h"
#include <string.h>

/* lineage_version(): the version from the VERSION file. */
static void fn_version(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  (void)argc; (void)argv;
  sqlite3_result_text(ctx, LINEAGE_VERSION, -1, SQLITE_STATIC);
}

/* Writers may change the database (and log_artifact reads files): they are
** DIRECTONLY, so no view, trigger or schema of an untrusted database can
** call them. Pure functions are DETERMINISTIC and INNOCUOUS. */
#define WRITER (SQLITE_UTF8 | SQLITE_DIRECTONLY)
#define PURE   (SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS)
/* The pictures only read, but read tables: INNOCUOUS, not DETERMINISTIC. */
#define READER (SQLITE_UTF8 | SQLITE_INNOCUOUS)

static const struct {
  const char *zName;
  int nArg;            /* -1: any number, checked by nMinArg..nMaxArg */
  int nMinArg, nMaxArg;
  int flags;
  void (*xFunc)(sqlite3_context*, int, sqlite3_value**);
} aFunc[] = {
  { "run_start",        1, 1, 3, WRITER, lineage_fn_run_start },
  { "run_finish",       1, 1, 3, WRITER, lineage_fn_run_finish },
  { "use_artifact",     2, 2, 3, WRITER, lineage_fn_use_artifact },
  { "log_artifact",     3, 3, 6, WRITER, lineage_fn_log_artifact },
  { "artifact_alias",   2, 2, 2, WRITER, lineage_fn_artifact_alias },
  { "artifact_unalias", 2, 2, 2, WRITER, lineage_fn_artifact_unalias },
  { "artifact_delete",  1, 1, 2, WRITER, lineage_fn_artifact_delete },
  { "artifact_digest",  1, 1, 1, PURE,   lineage_fn_artifact_digest },
  { "lineage_version",  0, 0, 0, PURE,   fn_version },
  { "lineage_debug",    0, 0, 0, PURE,   lineage_fn_debug },
  { "lineage_dot",      1, 1, 4, READER, lineage_fn_dot },
  { "lineage_mermaid",  1, 1, 4, READER, lineage_fn_mermaid },
  { "lineage_json",     1, 1, 4, READER, lineage_fn_json },
  { "lineage_html",     1, 1, 4, READER, lineage_fn_html },
  { "lineage_fingerprint", 1, 1, 1, READER, lineage_fn_fingerprint },
  { "lineage_resolve",  1, 1, 2, READER, lineage_fn_resolve },
  { "lineage_rebuild",  0, 0, 0, WRITER, lineage_fn_rebuild },
  { "lineage_check",    0, 0, 0, READER, lineage_fn_check },
  { "lineage_replicated", 0, 0, 1, WRITER, lineage_fn_replicated },
};

/* The modules; pAux is the connection's state for that direction. */
static const struct {
  const char *zName;
  sqlite3_module *pModule;
  int dir;
} aModule[] = {
  { "lineage_upstream",   &lineage_walk_module,     LINEAGE_UPSTREAM },
  { "lineage_downstream", &lineage_walk_module,     LINEAGE_DOWNSTREAM },
  { "lineage_clusters",   &lineage_clusters_module, LINEAGE_DOWNSTREAM },
  { "lineage_path",       &lineage_path_module,     LINEAGE_DOWNSTREAM },
  { "lineage_diff",       &lineage_diff_module,     LINEAGE_UPSTREAM },
  { "lineage_stale",      &lineage_stale_module,    LINEAGE_DOWNSTREAM },
};

/* 1 when this connection has sqlite-lineage's functions already. */
static int already_loaded(sqlite3 *db){
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_prepare_v2(db, "SELECT lineage_version()", -1, &pStmt, 0);
  sqlite3_finalize(pStmt);
  if( rc!=SQLITE_OK ){
    /* Leave no error behind: sqlite3_open() checks the connection's error
    ** code after running the auto-extensions. A statement that prepares
    ** resets it. */
    sqlite3_prepare_v2(db, "SELECT 1", -1, &pStmt, 0);
    sqlite3_finalize(pStmt);
  }
  return rc==SQLITE_OK;
}

LINEAGE_EXPORT
int sqlite3_lineage_init(sqlite3 *db, char **pzErrMsg,
                         const sqlite3_api_routines *pApi){
  size_t i;
  int n, rc = SQLITE_OK;
  LineageConn *conn;
  SQLITE_EXTENSION_INIT2(pApi);
  if( sqlite3_libversion_number()<LINEAGE_MIN_SQLITE ){
    if( pzErrMsg ){
      *pzErrMsg = sqlite3_mprintf("lineage: SQLite %s is too old; "
          "sqlite-lineage needs %s or newer", sqlite3_libversion(),
          LINEAGE_MIN_SQLITE_TEXT);
    }
    return SQLITE_ERROR;
  }
  /* Loaded already on this connection (e.g. load_extension() called twice):
  ** nothing to do. Registering again would fail while the statement that
  ** loads it runs, and would throw away the connection's cache. */
  if( already_loaded(db) ) return SQLITE_OK;

  /* Per-connection state (kept statements, the walk cache): every
  ** registration holds a reference and drops it in its xDestroy, which
  ** SQLite also calls when a registration fails. */
  conn = lineage_conn_new(db);
  if( conn==0 ) return SQLITE_NOMEM;
  for(i=0; rc==SQLITE_OK && i<sizeof(aFunc)/sizeof(aFunc[0]); i++){
    /* One registration per arity, so a wrong count is SQLite's own error. */
    for(n=aFunc[i].nMinArg; rc==SQLITE_OK && n<=aFunc[i].nMaxArg; n++){
      lineage_conn_ref(conn);
      rc = sqlite3_create_function_v2(db, aFunc[i].zName, n, aFunc[i].flags,
                                      conn, aFunc[i].xFunc, 0, 0,
                                      lineage_conn_unref);
    }
    if( rc!=SQLITE_OK && pzErrMsg ){
      *pzErrMsg = sqlite3_mprintf("lineage: cannot register function %s: %s",
                                  aFunc[i].zName, sqlite3_errmsg(db));
    }
  }
  for(n=0; rc==SQLITE_OK && n<=1; n++){
    lineage_conn_ref(conn);
    rc = sqlite3_create_function_v2(db, "lineage_cache", n, WRITER, conn,
                                    lineage_fn_cache, 0, 0, lineage_conn_unref);
    if( rc!=SQLITE_OK && pzErrMsg ){
      *pzErrMsg = sqlite3_mprintf("lineage: cannot register function "
                                  "lineage_cache: %s", sqlite3_errmsg(db));
    }
  }
  for(i=0; rc==SQLITE_OK && i<sizeof(aModule)/sizeof(aModule[0]); i++){
    lineage_conn_ref(conn);
    rc = sqlite3_create_module_v2(db, aModule[i].zName, aModule[i].pModule,
                                  lineage_conn_aux(conn, aModule[i].dir),
                                  lineage_aux_unref);
    if( rc!=SQLITE_OK && pzErrMsg ){
      *pzErrMsg = sqlite3_mprintf("lineage: cannot register module %s: %s",
                                  aModule[i].zName, sqlite3_errmsg(db));
    }
  }
  lineage_conn_unref(conn);
  if( rc==SQLITE_OK ){
    rc = lineage_register_placeholders(db);
    if( rc!=SQLITE_OK && pzErrMsg ){
      *pzErrMsg = sqlite3_mprintf("lineage: cannot register the view "
                                  "stand-ins: %s", sqlite3_errmsg(db));
    }
  }
  return rc;
}
