/*
** filter.c: the options of the walks, and which nodes they let through.
**
**   SELECT * FROM lineage_downstream('mnist:v0', NULL,
**     '{"prune": {"job_type": ["evaluate"]}}');     -- not through eval runs
**   SELECT * FROM lineage_upstream('cnn:prod', NULL,
**     '{"stop": {"type": ["dataset"]}}');           -- down to the datasets
**   SELECT * FROM lineage_upstream('cnn:prod', NULL,
**     '{"as_of": "2026-01-07T00:00:00Z"}');         -- the graph back then
**
** lineage_filter_open() parses the options object (SQLite's JSON functions
** read it; an unknown key is an error naming it). The walker asks
** lineage_filter_verdict() once about every node it discovers, start
** excepted: the node's row is read with one index seek (kind, type, state,
** name, and with as_of its times), and the answer is LINEAGE_VISIT_HIDDEN
** (a `prune` match, or a node created after as_of: neither returned nor
** walked through), LINEAGE_VISIT_STOP (a `stop` match: returned, not
** walked past) or 0. So a filtered walk costs one seek more per node it
** discovers, and nothing for the nodes behind a pruned or stopped one.
**
** Time: a run exists from its started_at, a version from its created_at; an
** edge exists once both its ends do. A run's state as of T is `running`
** until its finished_at, then its state; a version is `committed` until its
** deleted_at, then `deleted`. A version deleted before schema version 2
** has no deleted_at: it counts as deleted from its creation on.
*/
#include "lineage.h"
#include <string.h>

/* The keys of a stop or prune object, in the order of aKey. */
#define FILTER_KIND      0
#define FILTER_TYPE      1
#define FILTER_JOB_TYPE  2
#define FILTER_STATE     3
#define FILTER_NAME      4
#define FILTER_NKEY      5
static const char *const azFilterKey[FILTER_NKEY+1] = {
  "kind", "type", "job_type", "state", "name", 0
};

/* A stop or prune predicate: a node matches when, for every key given,
** its value is one of the key's values. */
typedef struct FilterPred {
  int bGiven;                   /* the option was given */
  int anVal[FILTER_NKEY];       /* -1: key not given */
  char **aazVal[FILTER_NKEY];
} FilterPred;

struct LineageFilter {
  sqlite3 *db;
  LineageConn *conn;
  char *zAsOf;                  /* normalized ISO-8601, or NULL */
  FilterPred stop, prune;
  const char *zNodeSql;         /* the node row statement (a literal) */
};

/* The node row: kind, type, state, name, created, finished, deleted_at. */
static const char zNodeSqlPlain[] =
  "SELECT kind, type, state, name FROM main.lineage_node WHERE node_id=?1";
static const char zNodeSqlTime[] =
  "SELECT n.kind, n.type, n.state, n.name, "
  "coalesce(r.started_at, v.created_at), r.finished_at, v.deleted_at "
  "FROM main.lineage_node n "
  "LEFT JOIN main.lineage_run r ON r.node_id=n.node_id AND n.kind='run' "
  "LEFT JOIN main.lineage_version v ON v.node_id=n.node_id "
  "AND n.kind='artifact' WHERE n.node_id=?1";
/* The same on a database not migrated yet (no deleted_at). */
static const char zNodeSqlTimeV1[] =
  "SELECT n.kind, n.type, n.state, n.name, "
  "coalesce(r.started_at, v.created_at), r.finished_at, NULL "
  "FROM main.lineage_node n "
  "LEFT JOIN main.lineage_run r ON r.node_id=n.node_id AND n.kind='run' "
  "LEFT JOIN main.lineage_version v ON v.node_id=n.node_id "
  "AND n.kind='artifact' WHERE n.node_id=?1";

static void pred_clear(FilterPred *p){
  int k, i;
  for(k=0; k<FILTER_NKEY; k++){
    for(i=0; i<p->anVal[k]; i++) sqlite3_free(p->aazVal[k][i]);
    sqlite3_free(p->aazVal[k]);
  }
  memset(p, 0, sizeof(*p));
}

void lineage_filter_free(LineageFilter *f){
  if( f==0 ) return;
  pred_clear(&f->stop);
  pred_clear(&f->prune);
  sqlite3_free(f->zAsOf);
  sqlite3_free(f);
}

/* Parse option zOpt ("stop" or "prune") of pOpts into p. */
static void pred_parse(Lx *x, sqlite3_value *pOpts, const char *zFunc,
                       const char *zOpt, FilterPred *p){
  char zPath[16];
  char *zType;
  sqlite3_stmt *pStmt;
  int k;
  for(k=0; k<FILTER_NKEY; k++) p->anVal[k] = -1;
  sqlite3_snprintf(sizeof(zPath), zPath, "$.%s", zOpt);
  zType = lx_text(x, "SELECT json_type(?1, ?2)", "vt", pOpts, zPath);
  if( zType==0 ) return;
  if( strcmp(zType, "object")!=0 ){
    lx_fail(x, "%s option '%s' must be an object such as "
               "{\"job_type\":[\"evaluate\"]}, not %s", zFunc, zOpt, zType);
    sqlite3_free(zType);
    return;
  }
  sqlite3_free(zType);
  p->bGiven = 1;
  pStmt = lx_prepare(x, "SELECT o.key, o.type, e.type, e.value, "
                        "CASE o.type WHEN 'array' THEN json_array_length(o.value) END "
                        "FROM main.json_each(?1, ?2) o "
                        "LEFT JOIN main.json_each(CASE o.type WHEN 'array' THEN o.value "
                        "ELSE '[]' END) e "
                        "ORDER BY o.id, e.id", "vt", pOpts, zPath);
  while( pStmt && lx_step(x, pStmt)==SQLITE_ROW ){
    const char *zKey = lx_column_text(x, pStmt, 0);
    const char *zOType = lx_column_text(x, pStmt, 1);
    const char *zEType = lx_column_text(x, pStmt, 2);
    if( x->rc || zKey==0 || zOType==0 ) break;
    for(k=0; k<FILTER_NKEY && strcmp(azFilterKey[k], zKey)!=0; k++){}
    if( k==FILTER_NKEY ){
      lx_fail(x, "unknown key '%s' in %s option '%s' (keys: kind, type, "
                 "job_type, state, name)", zKey, zFunc, zOpt);
      break;
    }
    if( strcmp(zOType, "array")!=0 || (zEType && strcmp(zEType, "text")!=0) ){
      lx_fail(x, "%s option '%s': '%s' must be an array of text, such as "
                 "[\"evaluate\"]", zFunc, zOpt, zKey);
      break;
    }
    if( p->anVal[k]<0 ){
      int n = sqlite3_column_int(pStmt, 4);
      p->anVal[k] = 0;
      p->aazVal[k] = sqlite3_malloc64(sizeof(char*)*(sqlite3_uint64)(n+1));
      if( p->aazVal[k]==0 ){ x->rc = SQLITE_NOMEM; break; }
    }
    if( zEType ){
      char *z = lx_column_dup(x, pStmt, 3);
      if( z==0 ) break;
      p->aazVal[k][p->anVal[k]++] = z;
    }
  }
  lx_finalize(x, pStmt);
}

int lineage_filter_open(sqlite3 *db, LineageConn *conn, sqlite3_value *pOpts,
                        const char *zFunc, const char *const *azExtra,
                        LineageFilter **ppFilter, char **pzErr){
  static const char *const azWalk[] = { "as_of", "stop", "prune" };
  const char *azAllowed[16];
  LineageFilter *f;
  Lx x;
  int i, n = 0;
  *ppFilter = 0;
  if( pOpts==0 || sqlite3_value_type(pOpts)==SQLITE_NULL ) return SQLITE_OK;
  for(i=0; i<3; i++) azAllowed[n++] = azWalk[i];
  for(i=0; azExtra && azExtra[i] && n<15; i++) azAllowed[n++] = azExtra[i];
  azAllowed[n] = 0;
  f = sqlite3_malloc(sizeof(*f));
  if( f==0 ) return SQLITE_NOMEM;
  memset(f, 0, sizeof(*f));
  f->db = db;
  f->conn = conn;
  lx_init(&x, db, conn);
  lineage_check_options(&x, pOpts, zFunc, azAllowed);
  if( x.rc==SQLITE_OK ){
    char *zType = lx_text(&x, "SELECT json_type(?1, '$.as_of')", "v", pOpts);
    if( zType && strcmp(zType, "text")!=0 ){
      lx_fail(&x, "%s option 'as_of' must be an ISO-8601 time such as "
                  "'2026-11-27T07:26:34Z', not %s", zFunc, zType);
    }else if( zType ){
      char *zIn = lx_text(&x, "SELECT ?1 ->> '$.as_of'", "v", pOpts);
      if( zIn ) f->zAsOf = lx_time(&x, zIn, "as_of");
      sqlite3_free(zIn);
    }
    sqlite3_free(zType);
  }
  pred_parse(&x, pOpts, zFunc, "stop", &f->stop);
  pred_parse(&x, pOpts, zFunc, "prune", &f->prune);
  if( f->zAsOf ){
    f->zNodeSql = lineage_schema_version(&x)==1 ? zNodeSqlTimeV1 : zNodeSqlTime;
  }else{
    f->zNodeSql = zNodeSqlPlain;
  }
  if( x.rc ){
    lineage_filter_free(f);
    *pzErr = x.zErr;
    return x.rc;
  }
  *ppFilter = f;
  return SQLITE_OK;
}

int lineage_filter_active(const LineageFilter *f){
  return f && (f->zAsOf || f->stop.bGiven || f->prune.bGiven);
}

const char *lineage_filter_as_of(const LineageFilter *f){
  return f ? f->zAsOf : 0;
}

static int in_list(const FilterPred *p, int k, const char *z){
  int i;
  if( p->anVal[k]<0 ) return 1;          /* key not given: any value */
  if( z==0 ) return 0;
  for(i=0; i<p->anVal[k]; i++){
    if( strcmp(p->aazVal[k][i], z)==0 ) return 1;
  }
  return 0;
}

static int pred_match(const FilterPred *p, const char *zKind,
                      const char *zType, const char *zState,
                      const char *zName){
  if( !p->bGiven ) return 0;
  if( p->anVal[FILTER_JOB_TYPE]>=0
   && (strcmp(zKind, "run")!=0 || !in_list(p, FILTER_JOB_TYPE, zType)) ){
    return 0;
  }
  return in_list(p, FILTER_KIND, zKind) && in_list(p, FILTER_TYPE, zType)
      && in_list(p, FILTER_STATE, zState) && in_list(p, FILTER_NAME, zName);
}

/* The state of the node the statement holds, as of f->zAsOf; *pbExists 0
** when it was created later. */
static const char *state_as_of(const LineageFilter *f, sqlite3_stmt *pStmt,
                               int *pbExists){
  const char *zKind = (const char*)sqlite3_column_text(pStmt, 0);
  const char *zState = (const char*)sqlite3_column_text(pStmt, 2);
  const char *zCreated, *zFinished, *zDeleted;
  *pbExists = 1;
  if( f->zAsOf==0 || zKind==0 ) return zState;
  zCreated = (const char*)sqlite3_column_text(pStmt, 4);
  if( zCreated && strcmp(zCreated, f->zAsOf)>0 ){
    *pbExists = 0;
    return 0;
  }
  if( zKind[0]=='r' ){
    zFinished = (const char*)sqlite3_column_text(pStmt, 5);
    return zFinished==0 || strcmp(zFinished, f->zAsOf)>0 ? "running" : zState;
  }
  zDeleted = (const char*)sqlite3_column_text(pStmt, 6);
  if( zDeleted && strcmp(zDeleted, f->zAsOf)>0 ) return "committed";
  return zState;
}

/* Position the node statement on id: SQLITE_ROW, SQLITE_DONE, or an error.
** The statement is given back with lineage_conn_stmt_done. */
static sqlite3_stmt *node_row(LineageFilter *f, sqlite3_int64 id, int *pRc){
  sqlite3_stmt *pStmt = lineage_conn_stmt(f->conn, f->zNodeSql, pRc);
  if( *pRc ) return pStmt;
  sqlite3_bind_int64(pStmt, 1, id);
  *pRc = sqlite3_step(pStmt);
  return pStmt;
}

int lineage_filter_verdict(LineageFilter *f, sqlite3_int64 id,
                           unsigned int *pFlags){
  int rc, bExists;
  sqlite3_stmt *pStmt = node_row(f, id, &rc);
  *pFlags = 0;
  if( rc==SQLITE_ROW ){
    const char *zKind = (const char*)sqlite3_column_text(pStmt, 0);
    const char *zType = (const char*)sqlite3_column_text(pStmt, 1);
    const char *zName = (const char*)sqlite3_column_text(pStmt, 3);
    const char *zState = state_as_of(f, pStmt, &bExists);
    rc = SQLITE_OK;
    if( zKind==0 ){
      rc = SQLITE_NOMEM;
    }else if( !bExists || pred_match(&f->prune, zKind, zType, zState, zName) ){
      *pFlags = LINEAGE_VISIT_HIDDEN;
    }else if( pred_match(&f->stop, zKind, zType, zState, zName) ){
      *pFlags = LINEAGE_VISIT_STOP;
    }
  }else if( rc==SQLITE_DONE ){
    rc = SQLITE_OK;              /* an edge to a node deleted by hand */
  }
  lineage_conn_stmt_done(f->conn, pStmt);
  return rc;
}

int lineage_filter_exists(LineageFilter *f, sqlite3_int64 id, int *pbExists){
  int rc;
  sqlite3_stmt *pStmt;
  *pbExists = 1;
  if( f==0 || f->zAsOf==0 ) return SQLITE_OK;
  pStmt = node_row(f, id, &rc);
  if( rc==SQLITE_ROW ){
    state_as_of(f, pStmt, pbExists);
    rc = SQLITE_OK;
  }else if( rc==SQLITE_DONE ){
    rc = SQLITE_OK;
  }
  lineage_conn_stmt_done(f->conn, pStmt);
  return rc;
}

int lineage_filter_state_text(LineageFilter *f, sqlite3_int64 id,
                              char **pzState){
  int rc, bExists;
  sqlite3_stmt *pStmt = node_row(f, id, &rc);
  *pzState = 0;
  if( rc==SQLITE_ROW ){
    const char *zState = state_as_of(f, pStmt, &bExists);
    rc = SQLITE_OK;
    if( zState ){
      *pzState = sqlite3_mprintf("%s", zState);
      if( *pzState==0 ) rc = SQLITE_NOMEM;
    }
  }else if( rc==SQLITE_DONE ){
    rc = SQLITE_OK;
  }
  lineage_conn_stmt_done(f->conn, pStmt);
  return rc;
}

int lineage_filter_state(LineageFilter *f, sqlite3_int64 id,
                         sqlite3_context *ctx){
  char *zState;
  int rc = lineage_filter_state_text(f, id, &zState);
  if( zState ) sqlite3_result_text(ctx, zState, -1, sqlite3_free);
  return rc;
}
