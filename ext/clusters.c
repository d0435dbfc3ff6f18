/*
** clusters.c: the lineage_clusters virtual table, W&B's lineage tab as rows.
**
**   SELECT level, kind, ref, cluster, cluster_size
**   FROM lineage_clusters('mnist:v2');            -- max_depth, min_size too
**   SELECT * FROM lineage_clusters('mnist:v2')
**   WHERE cluster = 3 AND ref LIKE 'sweep-%';     -- search a cluster
**   SELECT * FROM lineage_clusters('mnist:v2', NULL, NULL,
**     '{"as_of":"2026-01-07T00:00:00Z"}');       -- the walks' options
**
** One row per node upstream or downstream of the start, and the start. A
** node's level is -depth upstream, +depth downstream, 0 for the start; a
** node reachable both ways (a cycle) takes the smaller distance, upstream
** on a tie. All nodes of one kind at one level form a cluster when there
** are at least min_size (default 5) of them; the start is never in one.
**
** How it works: the graph around the start is built whole by graph.c
** (both walks merged, levels, clusters); the rows are its nodes, and the
** metadata columns are read by meta.c for the rows a query asks for. The
** options (filter.c) apply to both walks: hidden nodes are left out before
** levels are counted, and with as_of the state column is the state then.
*/
#include "lineage.h"
#include <string.h>

/* Columns 0-7 are LINEAGE_NODE_COLUMNS (lineage.h). */
#define CLU_COL_LEVEL         8
#define CLU_COL_CLUSTER       9
#define CLU_COL_CLUSTER_SIZE 10
#define CLU_COL_START        11   /* hidden: the arguments */
#define CLU_COL_MAX_DEPTH    12
#define CLU_COL_MIN_SIZE     13
#define CLU_COL_OPTIONS      14
#define CLU_NARG              4
#define CLU_NO_START       0x08   /* idxNum: no start, xFilter fails */


typedef struct CluVtab {
  sqlite3_vtab base;
  sqlite3 *db;
  LineageConn *conn;          /* the connection: statements and blocks */
} CluVtab;

typedef struct CluCursor {
  sqlite3_vtab_cursor base;
  LineageGraph g;
  unsigned int iRow;
  sqlite3_value *apArg[CLU_NARG];  /* start, max_depth, min_size, options */
  LineageFilter *pFilter;          /* the parsed options, or NULL */
} CluCursor;

static int cluConnect(sqlite3 *db, void *pAux, int argc,
                      const char *const *argv, sqlite3_vtab **ppVtab,
                      char **pzErr){
  CluVtab *p;
  int rc;
  (void)argc; (void)argv; (void)pzErr;
  rc = sqlite3_declare_vtab(db, "CREATE TABLE x(" LINEAGE_NODE_COLUMNS ", "
      "level INTEGER, cluster INTEGER, cluster_size INTEGER, start HIDDEN, "
      "max_depth HIDDEN, min_size HIDDEN, options HIDDEN)");
  if( rc!=SQLITE_OK ) return rc;
  sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
  p = sqlite3_malloc(sizeof(*p));
  if( p==0 ) return SQLITE_NOMEM;
  memset(p, 0, sizeof(*p));
  p->db = db;
  p->conn = ((LineageModAux*)pAux)->conn;
  *ppVtab = &p->base;
  return SQLITE_OK;
}

static int cluDisconnect(sqlite3_vtab *pVtab){
  sqlite3_free(pVtab);
  return SQLITE_OK;
}

static int cluOpen(sqlite3_vtab *pVtab, sqlite3_vtab_cursor **ppCur){
  CluCursor *c = sqlite3_malloc(sizeof(*c));
  (void)pVtab;
  if( c==0 ) return SQLITE_NOMEM;
  memset(c, 0, sizeof(*c));
  *ppCur = &c->base;
  return SQLITE_OK;
}

static void cluReset(CluCursor *c){
  int i;
  lineage_graph_reset(&c->g);
  c->iRow = 0;
  for(i=0; i<CLU_NARG; i++){
    sqlite3_value_free(c->apArg[i]);
    c->apArg[i] = 0;
  }
  lineage_filter_free(c->pFilter);
  c->pFilter = 0;
  c->g.pFilter = 0;
}

static int cluClose(sqlite3_vtab_cursor *cur){
  CluCursor *c = (CluCursor*)cur;
  cluReset(c);
  lineage_graph_close(&c->g);
  sqlite3_free(c);
  return SQLITE_OK;
}

static int cluNext(sqlite3_vtab_cursor *cur){
  ((CluCursor*)cur)->iRow++;
  return SQLITE_OK;
}

static int cluEof(sqlite3_vtab_cursor *cur){
  CluCursor *c = (CluCursor*)cur;
  return c->iRow>=c->g.nNode;
}

static int cluColumn(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i){
  CluCursor *c = (CluCursor*)cur;
  const LineageGraphNode *r = &c->g.aNode[c->iRow];
  switch( i ){
    case LINEAGE_COL_NODE_ID: sqlite3_result_int64(ctx, r->id); break;
    case CLU_COL_LEVEL:       sqlite3_result_int(ctx, r->level); break;
    case CLU_COL_CLUSTER:
      if( r->cluster ) sqlite3_result_int(ctx, r->cluster);
      break;
    case CLU_COL_CLUSTER_SIZE:
      if( r->cluster ) sqlite3_result_int64(ctx, r->clusterSize);
      break;
    case CLU_COL_START: case CLU_COL_MAX_DEPTH: case CLU_COL_MIN_SIZE:
      if( c->apArg[i-CLU_COL_START] ){
        sqlite3_result_value(ctx, c->apArg[i-CLU_COL_START]);
      }
      break;
    case LINEAGE_COL_STATE:
      if( lineage_filter_as_of(c->pFilter) ){
        return lineage_filter_state(c->pFilter, r->id, ctx);
      }
      /* fall through */
    default:
      return lineage_meta_result(&c->g.meta, r->id, i, ctx);
  }
  return SQLITE_OK;
}

static int cluRowid(sqlite3_vtab_cursor *cur, sqlite_int64 *pRowid){
  *pRowid = ((CluCursor*)cur)->iRow + 1;
  return SQLITE_OK;
}

/*
** xFilter: argv[0] is the start; idxNum bit 1 says argv holds max_depth
** next, bit 2 that min_size follows, bit 4 that options follow.
*/
static int cluFilter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr,
                     int argc, sqlite3_value **argv){
  CluCursor *c = (CluCursor*)cur;
  CluVtab *p = (CluVtab*)cur->pVtab;
  sqlite3_int64 maxDepth = -1, minSize = LINEAGE_DEFAULT_MIN_SIZE, startId;
  int i, iArg = 1, rc;
  (void)idxStr; (void)argc;

  cluReset(c);
  if( idxNum & CLU_NO_START ){
    sqlite3_free(p->base.zErrMsg);
    p->base.zErrMsg = sqlite3_mprintf("lineage: lineage_clusters needs a "
        "start: SELECT * FROM lineage_clusters('name:alias' or run id or "
        "node_id)");
    return SQLITE_ERROR;
  }
  sqlite3_free(p->base.zErrMsg);
  p->base.zErrMsg = 0;
  c->apArg[0] = sqlite3_value_dup(argv[0]);
  for(i=1; i<CLU_NARG; i++){
    if( idxNum & (1<<(i-1)) ) c->apArg[i] = sqlite3_value_dup(argv[iArg++]);
  }
  for(i=0; i<CLU_NARG; i++){
    if( (i==0 || (idxNum & (1<<(i-1)))) && c->apArg[i]==0 ) return SQLITE_NOMEM;
  }
  rc = lineage_int_arg(c->apArg[1], "max_depth", 0, -1, &maxDepth,
                       &p->base.zErrMsg);
  if( rc==SQLITE_OK ){
    rc = lineage_int_arg(c->apArg[2], "min_size", 1, LINEAGE_DEFAULT_MIN_SIZE,
                         &minSize, &p->base.zErrMsg);
  }
  if( rc==SQLITE_OK ){
    rc = lineage_filter_open(p->db, p->conn, c->apArg[3], "lineage_clusters",
                             0, &c->pFilter, &p->base.zErrMsg);
  }
  if( rc ) return rc;

  rc = lineage_start_node(p->db, p->conn, &c->g.meta, argv[0], &startId,
                          &p->base.zErrMsg);
  if( rc ) return rc;
  if( !c->g.bOpen ){
    rc = lineage_graph_open(&c->g, p->db, p->conn, &p->base.zErrMsg);
    if( rc ) return rc;
  }
  c->g.pFilter = lineage_filter_active(c->pFilter) ? c->pFilter : 0;
  rc = lineage_graph_build(&c->g, startId, LINEAGE_GRAPH_BOTH, maxDepth,
                           minSize);
  if( rc!=SQLITE_OK && rc!=SQLITE_NOMEM && p->base.zErrMsg==0 ){
    p->base.zErrMsg = lineage_graph_errmsg(&c->g, p->db);
  }
  return rc;
}

/*
** xBestIndex: start (required), max_depth, min_size and options
** (optional) must be equalities on the hidden columns. argv order: start,
** max_depth, min_size, options; idxNum bit 1: max_depth given, bit 2:
** min_size given, bit 4: options given.
*/
static int cluBestIndex(sqlite3_vtab *pVtab, sqlite3_index_info *pInfo){
  int aIdx[CLU_NARG] = {-1, -1, -1, -1};
  int bStartSeen = 0, i, n = 0;
  const struct sqlite3_index_constraint *pC = pInfo->aConstraint;
  for(i=0; i<pInfo->nConstraint; i++, pC++){
    int iArg = pC->iColumn - CLU_COL_START;
    if( iArg==0 && pC->op==SQLITE_INDEX_CONSTRAINT_EQ ) bStartSeen = 1;
    if( iArg<0 || iArg>=CLU_NARG || !pC->usable ) continue;
    if( pC->op==SQLITE_INDEX_CONSTRAINT_EQ && aIdx[iArg]<0 ) aIdx[iArg] = i;
  }
  (void)pVtab;
  if( aIdx[0]<0 ){
    if( bStartSeen ) return SQLITE_CONSTRAINT;
    /* As in walk.c: a plan never chosen when another exists; xFilter
    ** reports the missing start. */
    pInfo->idxNum = CLU_NO_START;
    pInfo->estimatedCost = 1e300;
    pInfo->estimatedRows = 2147483647;
    return SQLITE_OK;
  }
  pInfo->idxNum = 0;
  for(i=0; i<CLU_NARG; i++){
    if( aIdx[i]<0 ) continue;
    pInfo->aConstraintUsage[aIdx[i]].argvIndex = ++n;
    pInfo->aConstraintUsage[aIdx[i]].omit = 1;
    if( i>0 ) pInfo->idxNum |= 1<<(i-1);
  }
  pInfo->estimatedCost = 1000.0;
  pInfo->estimatedRows = 1000;
  if( pInfo->nOrderBy==1 && pInfo->aOrderBy[0].iColumn==CLU_COL_LEVEL
   && !pInfo->aOrderBy[0].desc ){
    pInfo->orderByConsumed = 1;
  }
  return SQLITE_OK;
}

sqlite3_module lineage_clusters_module = {
  0,                /* iVersion */
  0,                /* xCreate: eponymous only */
  cluConnect, cluBestIndex, cluDisconnect, 0, cluOpen, cluClose,
  cluFilter, cluNext, cluEof, cluColumn, cluRowid,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
};
