/*
** schema.c: the lineage tables, created on the first write, and migrated.
**
** sql/schema.sql (the tables), sql/adjacency.sql and
** sql/adjacency-triggers.sql (the walks' packed adjacency: ext/adjacency.c)
** and sql/views.sql (the views) are embedded at build time. A writer calls
** lineage_schema_ensure() or lineage_schema_check() inside its
** transaction: when lineage_meta is missing the first runs the four
** scripts; otherwise both check the recorded
** schema_version. A newer one is refused. An older one is migrated there and
** then, inside the writer's savepoint, so the migration and the write are
** kept or lost together (inside the writer's transaction or savepoint):
** every step of aStep[] that belongs to a newer
** version runs in order (sql/migrate-N.sql), then sql/views.sql makes the
** views anew, then schema_version is set. Readers never migrate: they read
** an older schema as it is (lineage_schema_version() tells them which).
** Loading the extension itself writes nothing, so it works on read-only and
** empty databases.
**
** Until the first write creates them, the views lineage_runs,
** lineage_versions, lineage_files, lineage_edges and lineage_alias_history
** do not exist. So that a read on such a database returns no rows rather
** than "no such table", the extension registers eponymous virtual tables of
** the same names and columns that are always empty. A real table or view of
** the same name takes precedence in SQLite's name lookup, so once the
** schema exists they are never seen again.
*/
#include "lineage.h"
#include "lineage_schema_sql.h"
#include "lineage_adjacency_sql.h"
#include "lineage_adjacency_triggers_sql.h"
#include "lineage_views_sql.h"
#include "lineage_migrate_1_sql.h"
#include <string.h>

#define LINEAGE_SCHEMA_VERSION 2

/* The migration steps, oldest first. A database of version v gets every
** step whose iVersion is above v. Several steps may belong to one version. */
static const struct {
  int iVersion;               /* the schema version the step is part of */
  const char *zName;          /* for the error message */
  const char *zSql;
} aStep[] = {
  { 2, "sql/migrate-1.sql", lineage_migrate_1_sql },
  { 2, "sql/adjacency.sql", lineage_adjacency_sql },
  { 2, "sql/adjacency-triggers.sql", lineage_adjacency_triggers_sql },
};

int lineage_schema_exists(Lx *x){
  if( x->bSchema ) return 1;
  return lx_int(x, 0, "SELECT 1 FROM main.sqlite_schema WHERE type='table' "
                      "AND name='lineage_meta'", 0)!=0;
}

/* The recorded schema version, or -1 when there is no lineage_meta (or it
** cannot be read: lineage_schema_exists tells which). A value that is not
** an integer ('1abc', 1.9) fails x: it is no version this build knows. */
static sqlite3_int64 schema_version(Lx *x){
  Lx probe;
  sqlite3_stmt *pStmt;
  sqlite3_int64 v = -1;
  lx_init(&probe, x->db, x->conn);
  pStmt = lx_prepare(&probe, "SELECT value FROM main.lineage_meta "
                             "WHERE key='schema_version'", 0);
  if( pStmt && lx_step(&probe, pStmt)==SQLITE_ROW ){
    if( sqlite3_column_type(pStmt, 0)==SQLITE_INTEGER ){
      v = sqlite3_column_int64(pStmt, 0);
    }else{
      const char *z = lx_column_text(x, pStmt, 0);
      if( x->rc==SQLITE_OK ){
        lx_fail(x, "the database's lineage schema_version is %s%.40s%s, not "
                   "a version number", z ? "'" : "", z ? z : "NULL",
                z ? "'" : "");
      }
    }
  }else if( probe.rc==SQLITE_OK && x->rc==SQLITE_OK ){
    v = -2;                               /* the table, but no version */
  }
  lx_finalize(&probe, pStmt);
  if( probe.rc ) v = -1;
  lx_keep_failure(x, &probe);
  if( v==-2 ){
    lx_fail(x, "the database's lineage_meta has no schema_version");
  }
  return v;
}

int lineage_schema_version(Lx *x){
  sqlite3_int64 v = schema_version(x);
  return v<0 ? 0 : v>LINEAGE_SCHEMA_VERSION ? LINEAGE_SCHEMA_VERSION+1 : (int)v;
}

/* Run a script of several statements; its error names zWhat. */
static void schema_exec(Lx *x, const char *zSql, const char *zWhat){
  char *zErr = 0;
  int rc;
  if( x->rc ) return;
  rc = sqlite3_exec(x->db, zSql, 0, 0, &zErr);
  if( rc!=SQLITE_OK ){
    lx_fail(x, "%s: %s", zWhat, zErr ? zErr : sqlite3_errstr(rc));
    /* SQLITE_BUSY and the like stay what they are: a lock conflict is
    ** retried by callers that look for SQLITE_BUSY. */
    if( x->rc==SQLITE_ERROR || rc==SQLITE_NOMEM ) x->rc = rc;
  }
  sqlite3_free(zErr);
}

static void schema_drop_views(Lx *x);

void lineage_schema_adjacency(Lx *x){
  schema_exec(x, lineage_adjacency_sql, "cannot create the lineage tables");
  lineage_schema_triggers(x);
}

void lineage_schema_triggers(Lx *x){
  schema_exec(x, lineage_adjacency_triggers_sql,
              "cannot create the lineage triggers");
}

/* Bring a database of version v up to this build's version. */
static void schema_migrate(Lx *x, sqlite3_int64 v){
  size_t i;
  schema_drop_views(x);
  for(i=0; i<sizeof(aStep)/sizeof(aStep[0]); i++){
    if( aStep[i].iVersion>v ){
      char *zWhat = sqlite3_mprintf("cannot migrate the lineage tables from "
                                    "schema version %lld (%s)", v,
                                    aStep[i].zName);
      if( zWhat==0 ){ x->rc = SQLITE_NOMEM; return; }
      schema_exec(x, aStep[i].zSql, zWhat);
      sqlite3_free(zWhat);
    }
  }
  schema_exec(x, lineage_views_sql, "cannot make the lineage views");
  lx_exec(x, "UPDATE main.lineage_meta SET value=?1 "
             "WHERE key='schema_version'", "i",
          (sqlite3_int64)LINEAGE_SCHEMA_VERSION);
}

/* Migrate an older version; fail x on one this build does not know. */
static void schema_upgrade(Lx *x, sqlite3_int64 v){
  if( x->rc ) return;
  if( v>=1 && v<LINEAGE_SCHEMA_VERSION ){
    schema_migrate(x, v);
  }else if( v!=LINEAGE_SCHEMA_VERSION ){
    lx_fail(x, "the database has lineage schema version %lld; this build "
               "(sqlite-lineage %s) reads versions 1 to %d", v, LINEAGE_VERSION,
               LINEAGE_SCHEMA_VERSION);
  }
}

void lineage_schema_ensure(Lx *x){
  sqlite3_int64 v;
  if( x->rc ) return;
  v = schema_version(x);
  if( v<0 && !lineage_schema_exists(x) && x->rc==SQLITE_OK ){
    schema_exec(x, lineage_schema_sql, "cannot create the lineage tables");
    lineage_schema_adjacency(x);
    schema_exec(x, lineage_views_sql, "cannot create the lineage views");
    x->bSchema = x->rc==SQLITE_OK;
    return;
  }
  schema_upgrade(x, v);
  x->bSchema = x->rc==SQLITE_OK;
}

void lineage_schema_check(Lx *x){
  sqlite3_int64 v;
  if( x->rc ) return;
  v = schema_version(x);
  if( v<0 && !lineage_schema_exists(x) ) return;
  schema_upgrade(x, v);
  x->bSchema = x->rc==SQLITE_OK;
}

/* ---- empty stand-ins for the views -------------------------------------- */

typedef struct EmptyCursor { sqlite3_vtab_cursor base; } EmptyCursor;

/* pAux is the CREATE TABLE statement that gives the view's columns. */
static int emptyConnect(sqlite3 *db, void *pAux, int argc,
                        const char *const *argv, sqlite3_vtab **ppVtab,
                        char **pzErr){
  sqlite3_vtab *p;
  int rc;
  (void)argc; (void)argv; (void)pzErr;
  rc = sqlite3_declare_vtab(db, (const char*)pAux);
  if( rc!=SQLITE_OK ) return rc;
  sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
  p = sqlite3_malloc(sizeof(*p));
  if( p==0 ) return SQLITE_NOMEM;
  memset(p, 0, sizeof(*p));
  *ppVtab = p;
  return SQLITE_OK;
}
static int emptyDisconnect(sqlite3_vtab *p){ sqlite3_free(p); return SQLITE_OK; }
static int emptyBestIndex(sqlite3_vtab *p, sqlite3_index_info *pInfo){
  (void)p;
  pInfo->estimatedCost = 1.0;
  pInfo->estimatedRows = 0;
  return SQLITE_OK;
}
static int emptyOpen(sqlite3_vtab *p, sqlite3_vtab_cursor **ppCur){
  EmptyCursor *c = sqlite3_malloc(sizeof(*c));
  (void)p;
  if( c==0 ) return SQLITE_NOMEM;
  memset(c, 0, sizeof(*c));
  *ppCur = &c->base;
  return SQLITE_OK;
}
static int emptyClose(sqlite3_vtab_cursor *c){ sqlite3_free(c); return SQLITE_OK; }
static int emptyFilter(sqlite3_vtab_cursor *c, int idxNum, const char *idxStr,
                       int argc, sqlite3_value **argv){
  (void)c; (void)idxNum; (void)idxStr; (void)argc; (void)argv;
  return SQLITE_OK;
}
static int emptyNext(sqlite3_vtab_cursor *c){ (void)c; return SQLITE_OK; }
static int emptyEof(sqlite3_vtab_cursor *c){ (void)c; return 1; }
static int emptyColumn(sqlite3_vtab_cursor *c, sqlite3_context *ctx, int i){
  (void)c; (void)ctx; (void)i;
  return SQLITE_OK;
}
static int emptyRowid(sqlite3_vtab_cursor *c, sqlite_int64 *pRowid){
  (void)c; *pRowid = 0;
  return SQLITE_OK;
}

static sqlite3_module emptyModule = {
  0, 0, emptyConnect, emptyBestIndex, emptyDisconnect, 0, emptyOpen,
  emptyClose, emptyFilter, emptyNext, emptyEof, emptyColumn, emptyRowid,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
};

/* The views' columns, as sql/schema.sql defines them (a test compares the
** two on every build). */
static const struct { const char *zName; const char *zDecl; } aView[] = {
  { "lineage_runs",
    "CREATE TABLE x(node_id, project, run_id, name, job_type, state, author,"
    " group_name, config, started_at, finished_at, duration_s)" },
  { "lineage_versions",
    "CREATE TABLE x(node_id, project, name, type, version, ref, aliases,"
    " digest, size, file_count, description, metadata, tags, state,"
    " created_at, logged_by)" },
  { "lineage_files",
    "CREATE TABLE x(node_id, ref, path, digest, size, ref_uri)" },
  { "lineage_edges",
    "CREATE TABLE x(src, dst, run_id, artifact_ref, direction, created_at,"
    " requested)" },
  { "lineage_alias_history",
    "CREATE TABLE x(project, name, alias, ref, assigned_at, removed_at, how,"
    " removed_how)" },
};

/* Drop the lineage views that exist (sql/views.sql makes them anew). */
static void schema_drop_views(Lx *x){
  size_t i;
  for(i=0; x->rc==SQLITE_OK && i<sizeof(aView)/sizeof(aView[0]); i++){
    if( lx_int(x, 0, "SELECT 1 FROM main.sqlite_schema WHERE type='view' "
                     "AND name=?1", "t", aView[i].zName) ){
      char *zSql = sqlite3_mprintf("DROP VIEW main.\"%w\"", aView[i].zName);
      if( zSql==0 ){ x->rc = SQLITE_NOMEM; return; }
      schema_exec(x, zSql, "cannot drop the old lineage views");
      sqlite3_free(zSql);
    }
  }
}

int lineage_register_placeholders(sqlite3 *db){
  size_t i;
  int rc = SQLITE_OK;
  for(i=0; rc==SQLITE_OK && i<sizeof(aView)/sizeof(aView[0]); i++){
    rc = sqlite3_create_module(db, aView[i].zName, &emptyModule,
                               (void*)aView[i].zDecl);
  }
  return rc;
}
