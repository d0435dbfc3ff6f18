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
** How it works: xFilter runs both walks to the end (bounded by max_depth),
** merges them into one array of rows sorted by (level, discovery order),
** reads each node's kind (in id order, with a cursor that mostly steps
** forward), and counts the (level, kind)
** groups. Counting needs every node of a level, so this table, unlike the
** walks, is complete before its first row. The options (filter.c) apply to
** both walks: hidden nodes are left out before levels are counted.
*/
#include "lineage.h"
#include <stdlib.h>
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

/* Default number of nodes that make a cluster, as W&B's lineage tab. */
#define CLU_DEFAULT_MIN_SIZE  5

typedef struct CluRow {
  sqlite3_int64 id;
  int level;
  unsigned int seq;          /* discovery order within its walk */
  int bRun;                  /* kind is 'run' */
  int cluster;               /* 0: in none */
  unsigned int clusterSize;
} CluRow;

typedef struct CluVtab {
  sqlite3_vtab base;
  sqlite3 *db;
  LineageConn *conn;          /* the connection: statements and blocks */
} CluVtab;

typedef struct CluCursor {
  sqlite3_vtab_cursor base;
  LineageWalker up, down;
  LineageMeta meta;
  int bOpen;
  CluRow *aRow;
  unsigned int nRow, iRow;
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
  sqlite3_free(c->aRow);
  c->aRow = 0;
  c->nRow = c->iRow = 0;
  for(i=0; i<CLU_NARG; i++){
    sqlite3_value_free(c->apArg[i]);
    c->apArg[i] = 0;
  }
  lineage_filter_free(c->pFilter);
  c->pFilter = 0;
}

static int cluClose(sqlite3_vtab_cursor *cur){
  CluCursor *c = (CluCursor*)cur;
  cluReset(c);
  lineage_walker_close(&c->up);
  lineage_walker_close(&c->down);
  lineage_meta_close(&c->meta);
  sqlite3_free(c);
  return SQLITE_OK;
}

static int cluNext(sqlite3_vtab_cursor *cur){
  ((CluCursor*)cur)->iRow++;
  return SQLITE_OK;
}

static int cluEof(sqlite3_vtab_cursor *cur){
  CluCursor *c = (CluCursor*)cur;
  return c->iRow>=c->nRow;
}

static int cluColumn(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i){
  CluCursor *c = (CluCursor*)cur;
  const CluRow *r = &c->aRow[c->iRow];
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
      return lineage_meta_result(&c->meta, r->id, i, ctx);
  }
  return SQLITE_OK;
}

static int cluRowid(sqlite3_vtab_cursor *cur, sqlite_int64 *pRowid){
  *pRowid = ((CluCursor*)cur)->iRow + 1;
  return SQLITE_OK;
}

static int row_cmp(const void *a, const void *b){
  const CluRow *x = (const CluRow*)a, *y = (const CluRow*)b;
  if( x->level!=y->level ) return x->level<y->level ? -1 : 1;
  return x->seq<y->seq ? -1 : x->seq>y->seq;
}

/* Run a walker to its end. */
static int walk_all(LineageWalker *w){
  int rc;
  while( (rc = lineage_walker_step(w))==SQLITE_OK ){}
  return rc==SQLITE_DONE ? SQLITE_OK : rc;
}

/* An id and the row it belongs to, to visit rows in id order. */
typedef struct CluIdRow { sqlite3_int64 id; unsigned int iRow; } CluIdRow;
static int idrow_cmp(const void *a, const void *b){
  sqlite3_int64 x = ((const CluIdRow*)a)->id, y = ((const CluIdRow*)b)->id;
  return x<y ? -1 : x>y;
}

/* Read each row's kind. In id order, the metadata cursor mostly steps
** forward instead of seeking. */
static int cluReadKinds(CluCursor *c){
  CluIdRow *a = sqlite3_malloc64(sizeof(CluIdRow)*((sqlite3_uint64)c->nRow+1));
  unsigned int i;
  int rc = SQLITE_OK;
  if( a==0 ) return SQLITE_NOMEM;
  for(i=0; i<c->nRow; i++){
    a[i].id = c->aRow[i].id;
    a[i].iRow = i;
  }
  qsort(a, c->nRow, sizeof(CluIdRow), idrow_cmp);
  for(i=0; i<c->nRow; i++){
    CluRow *r = &c->aRow[a[i].iRow];
    rc = lineage_meta_seek(&c->meta, r->id);
    if( rc==SQLITE_ROW ){
      const unsigned char *zKind = sqlite3_column_text(c->meta.pStmt, 1);
      if( zKind==0 ){ rc = SQLITE_NOMEM; break; }
      r->bRun = zKind[0]=='r';
    }else if( rc==SQLITE_DONE ){
      r->bRun = 0;                       /* a node deleted by hand */
    }else{
      break;
    }
    r->cluster = 0;
    rc = SQLITE_OK;
  }
  sqlite3_free(a);
  return rc;
}

/* Merge the two finished walks into c->aRow, read kinds, find clusters. */
static int cluBuild(CluCursor *c, sqlite3_int64 minSize){
  unsigned int i, j, n = 0;
  int nCluster = 0, rc;
  c->aRow = sqlite3_malloc64(sizeof(CluRow)*
                             ((sqlite3_uint64)c->up.nQueue + c->down.nQueue));
  if( c->aRow==0 ) return SQLITE_NOMEM;
  for(i=0; i<c->up.nQueue; i++){
    const LineageVisit *v = &c->up.aQueue[i];
    int k;
    if( v->depth & LINEAGE_VISIT_HIDDEN ) continue;
    k = lineage_walker_find(&c->down, v->id);
    if( k<-1 ) return SQLITE_NOMEM;
    if( k>=0 && LINEAGE_VISIT_DEPTH(&c->down.aQueue[k])<LINEAGE_VISIT_DEPTH(v)
     && !(c->down.aQueue[k].depth & LINEAGE_VISIT_HIDDEN) ) continue;
    c->aRow[n].id = v->id;
    c->aRow[n].level = -(int)LINEAGE_VISIT_DEPTH(v);
    c->aRow[n].seq = i;
    n++;
  }
  for(i=0; i<c->down.nQueue; i++){
    const LineageVisit *v = &c->down.aQueue[i];
    int k;
    if( v->depth & LINEAGE_VISIT_HIDDEN ) continue;
    k = lineage_walker_find(&c->up, v->id);
    if( k<-1 ) return SQLITE_NOMEM;
    if( k>=0 && LINEAGE_VISIT_DEPTH(&c->up.aQueue[k])<=LINEAGE_VISIT_DEPTH(v)
     && !(c->up.aQueue[k].depth & LINEAGE_VISIT_HIDDEN) ) continue;
    c->aRow[n].id = v->id;
    c->aRow[n].level = (int)LINEAGE_VISIT_DEPTH(v);
    c->aRow[n].seq = i;
    n++;
  }
  c->nRow = n;
  qsort(c->aRow, n, sizeof(CluRow), row_cmp);
  rc = cluReadKinds(c);
  if( rc ) return rc;
  /* Each level is a run of rows: count its runs and artifacts. */
  for(i=0; i<n; i=j){
    unsigned int nKind[2] = {0, 0};
    int aId[2] = {0, 0};
    for(j=i; j<n && c->aRow[j].level==c->aRow[i].level; j++){
      nKind[c->aRow[j].bRun]++;
    }
    if( c->aRow[i].level==0 ) continue;
    for(; i<j; i++){
      CluRow *r = &c->aRow[i];
      if( nKind[r->bRun]<minSize ) continue;
      if( aId[r->bRun]==0 ) aId[r->bRun] = ++nCluster;
      r->cluster = aId[r->bRun];
      r->clusterSize = nKind[r->bRun];
    }
  }
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
  sqlite3_int64 maxDepth = -1, minSize = CLU_DEFAULT_MIN_SIZE;
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
    rc = lineage_int_arg(c->apArg[2], "min_size", 1, CLU_DEFAULT_MIN_SIZE,
                         &minSize, &p->base.zErrMsg);
  }
  if( rc ) return rc;
  rc = lineage_filter_open(p->db, p->conn, c->apArg[3], "lineage_clusters",
                           0, &c->pFilter, &p->base.zErrMsg);
  if( rc ) return rc;

  /* The start first: on a database without lineage, its error is the one
  ** to report; the metadata cursor is opened after it. */
  if( c->up.conn==0 ){
    lineage_walker_open(&c->up, p->db, p->conn, LINEAGE_UPSTREAM,
                        &p->base.zErrMsg);
    lineage_walker_open(&c->down, p->db, p->conn, LINEAGE_DOWNSTREAM,
                        &p->base.zErrMsg);
  }
  c->up.pFilter = c->down.pFilter =
      lineage_filter_active(c->pFilter) ? c->pFilter : 0;
  rc = lineage_walker_start_at(&c->up, p->db, &c->meta, argv[0], maxDepth,
                               &p->base.zErrMsg);
  if( rc==SQLITE_OK ){
    rc = lineage_walker_start_at(&c->down, p->db, &c->meta, argv[0], maxDepth,
                                 &p->base.zErrMsg);
  }
  if( rc==SQLITE_OK && !c->bOpen ){
    rc = lineage_meta_open(&c->meta, p->db, p->conn, 0, &p->base.zErrMsg);
    c->bOpen = rc==SQLITE_OK;
  }
  c->meta.bValid = 0;
  if( rc==SQLITE_OK ) rc = walk_all(&c->up);
  if( rc==SQLITE_OK ) rc = walk_all(&c->down);
  if( rc==SQLITE_OK ) rc = cluBuild(c, minSize);
  if( rc!=SQLITE_OK && rc!=SQLITE_NOMEM && p->base.zErrMsg==0 ){
    p->base.zErrMsg = sqlite3_mprintf("lineage: %s", sqlite3_errmsg(p->db));
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
