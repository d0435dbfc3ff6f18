/*
** resolve.c: lineage_resolve(ref [, as_of]), what a reference meant then.
**
**   SELECT lineage_resolve('cnn:prod', '2026-01-08T00:00:00Z');   -- cnn:v2
**   SELECT lineage_resolve('cnn');                 -- cnn:latest now
**
** The version `ref` (`name:alias`, a bare `name` for latest, `name:vN`)
** named at time as_of (default now), as `name:vN` (qualified when ref was),
** or NULL when it named none then: an alias is read from its history
** (history.c: every assignment, with when it was made and ended); a vN is
** itself from its creation until its deletion. An unknown artifact is an
** error, as in use_artifact. On a database not yet migrated to schema
** version 2 there is no history: aliases resolve as they are now for an
** as_of from now on, to NULL before (the history starts at the migration).
*/
#include "lineage.h"
#include <string.h>

/* 1 when z is v<digits>; the number in *pV. */
static int version_label(const char *z, sqlite3_int64 *pV){
  sqlite3_int64 v = 0;
  if( z[0]!='v' || z[1]==0 ) return 0;
  for(z++; *z; z++){
    if( *z<'0' || *z>'9' || v>(sqlite3_int64)1e15 ) return 0;
    v = v*10 + (*z-'0');
  }
  *pV = v;
  return 1;
}

void lineage_fn_resolve(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  Lx x;
  LineageRef r;
  const char *zRef = lx_arg_text(argv[0]);
  const char *zAsOfIn = argc>1 ? lx_arg_text(argv[1]) : 0;
  char *zAt, *zNow, *zProj, *zResult = 0;
  const char *zSel;
  sqlite3_int64 v = -1, n;
  int iSchema;

  lx_init_fn(&x, ctx);
  zNow = lx_time(&x, 0, "now");
  zAt = zAsOfIn ? lx_time(&x, zAsOfIn, "as_of")
               : zNow ? lx_strdup(&x, zNow) : 0;   /* 0: out of memory */
  zProj = lineage_artifact_project(&x, zRef, &r);
  iSchema = lineage_schema_version(&x);
  zSel = r.zSel ? r.zSel : "latest";
  if( x.rc==SQLITE_OK && version_label(zSel, &n) ){
    v = lx_int(&x, -1, iSchema>=LINEAGE_SCHEMA_V2
        ? "SELECT n.version FROM main.lineage_node n JOIN main.lineage_version "
          "v ON v.node_id=n.node_id WHERE n.name=?1 AND n.project=?2 AND "
          "n.kind='artifact' AND n.version=?3 AND v.created_at<=?4 AND "
          "(n.state='committed' OR v.deleted_at>?4)"
        : "SELECT n.version FROM main.lineage_node n JOIN main.lineage_version "
          "v ON v.node_id=n.node_id WHERE n.name=?1 AND n.project=?2 AND "
          "n.kind='artifact' AND n.version=?3 AND v.created_at<=?4 AND "
          "n.state='committed'", "ttit", r.zName, zProj, n, zAt);
  }else if( x.rc==SQLITE_OK && iSchema>=LINEAGE_SCHEMA_V2 ){
    v = lx_int(&x, -1, "SELECT n.version FROM main.lineage_alias_assignment h "
        "JOIN main.lineage_node n ON n.node_id=h.node_id WHERE h.project=?2 "
        "AND h.name=?1 AND h.alias=?3 AND h.assigned_at<=?4 AND "
        "(h.removed_at IS NULL OR h.removed_at>?4) "
        "ORDER BY h.assigned_at DESC LIMIT 1", "tttt",
        r.zName, zProj, zSel, zAt);
  }else if( x.rc==SQLITE_OK && strcmp(zAt, zNow)>=0 ){
    v = lx_int(&x, -1, "SELECT n.version FROM main.lineage_alias a JOIN "
        "main.lineage_node n ON n.node_id=a.node_id WHERE a.project=?2 AND "
        "a.name=?1 AND a.alias=?3", "ttt", r.zName, zProj, zSel);
  }
  if( x.rc==SQLITE_OK && v>=0 ){
    zResult = r.zProject ? sqlite3_mprintf("%s/%s:v%lld", zProj, r.zName, v)
                         : sqlite3_mprintf("%s:v%lld", r.zName, v);
    if( zResult==0 ) x.rc = SQLITE_NOMEM;
  }
  if( x.rc==SQLITE_NOMEM ){
    sqlite3_result_error_nomem(ctx);
  }else if( x.rc ){
    sqlite3_result_error(ctx, x.zErr, -1);
  }else if( zResult ){
    sqlite3_result_text(ctx, zResult, -1, sqlite3_free);
    zResult = 0;
  }
  sqlite3_free(zResult);
  sqlite3_free(zAt);
  sqlite3_free(zNow);
  sqlite3_free(zProj);
  lineage_ref_clear(&r);
  lx_clear(&x);
}
