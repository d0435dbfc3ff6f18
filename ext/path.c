/*
** path.c: the lineage_path virtual table, the way from one node to another.
**
**   SELECT step, ref FROM lineage_path('mnist-raw:v0', 'cnn:prod');
**   SELECT step, ref FROM lineage_path('cnn:v1', 'cnn:v2',
**                                      '{"undirected":true}');  -- siblings
**   SELECT step, ref FROM lineage_path('mnist:v1', 'cnn:prod',
**                                      '{"all":true}');  -- every path's nodes
**
** One row per node of one shortest path from `from` to `to`, in order (step
** 0 is `from`; depth is step again and parent_id the node before, as in
** the walks), following the data downstream, or upstream when `to` lies
** upstream; when it lies both ways (a cycle) the shorter way is taken,
** downstream on a tie. No path: no rows. The options are the walks' (as_of,
** stop, prune) plus `undirected` (edges either way) and `all` (every node on
** some directed path from `from` to `to`, step = its distance from `from`).
**
** How it works: two walkers (walker.c) start at `from`, downstream and
** upstream, and are expanded a level at a time, downstream first, until one
** of them discovers `to`; the path is read back along the parent links. So
** the search stops as soon as the target is reached and costs the nodes
** nearer to `from` than `to` is, in both directions. `undirected` is one
** walker that follows edges both ways. `all` walks downstream from `from`
** and upstream from `to` (or the other way round) to the end and keeps the
** nodes both reached: descendants of one that are ancestors of the other.
*/
#include "lineage.h"
#include <string.h>


/* Columns 0-7 are LINEAGE_NODE_COLUMNS (lineage.h). */
#define PATH_COL_DEPTH    8    /* = step, as in the walks */
#define PATH_COL_PARENT   9    /* the node before it */
#define PATH_COL_STEP    10
#define PATH_COL_FROM    11    /* hidden: the arguments */
#define PATH_COL_TO      12
#define PATH_COL_OPTIONS 13
#define PATH_NO_PARENT   LINEAGE_INT64_MIN
#define PATH_NARG         3
#define PATH_NO_ENDS   0x02    /* idxNum: from or to missing, xFilter fails */
#define PATH_OPTIONS   0x01    /* idxNum: argv[2] is the options */

typedef LineageVtab PathVtab;

typedef struct PathCursor {
  sqlite3_vtab_cursor base;
  LineageWalker a, b;         /* downstream and upstream (or both ways) */
  LineageMeta meta;
  int bOpen;
  sqlite3_int64 *aId;         /* the rows: node ids and their steps */
  unsigned int *aStep;
  sqlite3_int64 *aParent;     /* PATH_NO_PARENT for from */
  unsigned int nRow, iRow;
  LineageFilter *pFilter;
  sqlite3_value *apArg[PATH_NARG];
} PathCursor;

static int pathConnect(sqlite3 *db, void *pAux, int argc,
                       const char *const *argv, sqlite3_vtab **ppVtab,
                       char **pzErr){
  (void)argc; (void)argv; (void)pzErr;
  return lineage_vtab_connect(db, pAux, "CREATE TABLE x(" LINEAGE_NODE_COLUMNS ", "
      "depth INTEGER, parent_id INTEGER, step INTEGER, \"from\" HIDDEN, "
      "\"to\" HIDDEN, options HIDDEN)",
                              sizeof(PathVtab), ppVtab);
}

static int pathOpen(sqlite3_vtab *pVtab, sqlite3_vtab_cursor **ppCur){
  (void)pVtab;
  return lineage_vtab_open(sizeof(PathCursor), ppCur);
}

static void pathReset(PathCursor *c){
  int i;
  sqlite3_free(c->aId);
  sqlite3_free(c->aStep);
  sqlite3_free(c->aParent);
  c->aParent = 0;
  c->aId = 0;
  c->aStep = 0;
  c->nRow = c->iRow = 0;
  for(i=0; i<PATH_NARG; i++){
    sqlite3_value_free(c->apArg[i]);
    c->apArg[i] = 0;
  }
  lineage_filter_free(c->pFilter);
  c->pFilter = 0;
}

static int pathClose(sqlite3_vtab_cursor *cur){
  PathCursor *c = (PathCursor*)cur;
  pathReset(c);
  lineage_walker_close(&c->a);
  lineage_walker_close(&c->b);
  lineage_meta_close(&c->meta);
  sqlite3_free(c);
  return SQLITE_OK;
}

static int pathNext(sqlite3_vtab_cursor *cur){
  ((PathCursor*)cur)->iRow++;
  return SQLITE_OK;
}

static int pathEof(sqlite3_vtab_cursor *cur){
  PathCursor *c = (PathCursor*)cur;
  return c->iRow>=c->nRow;
}

static int pathColumn(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i){
  PathCursor *c = (PathCursor*)cur;
  sqlite3_int64 id = c->aId[c->iRow];
  switch( i ){
    case LINEAGE_COL_NODE_ID: sqlite3_result_int64(ctx, id); break;
    case PATH_COL_STEP: case PATH_COL_DEPTH:
      sqlite3_result_int64(ctx, c->aStep[c->iRow]);
      break;
    case PATH_COL_PARENT:
      if( c->aParent[c->iRow]!=PATH_NO_PARENT ){
        sqlite3_result_int64(ctx, c->aParent[c->iRow]);
      }
      break;
    case PATH_COL_FROM: case PATH_COL_TO: case PATH_COL_OPTIONS:
      if( c->apArg[i-PATH_COL_FROM] ){
        sqlite3_result_value(ctx, c->apArg[i-PATH_COL_FROM]);
      }
      break;
    case LINEAGE_COL_STATE:
      if( lineage_filter_as_of(c->pFilter) ){
        return lineage_filter_state(c->pFilter, id, ctx);
      }
      /* fall through */
    default:
      return lineage_meta_result(&c->meta, id, i, ctx);
  }
  return SQLITE_OK;
}

static int pathRowid(sqlite3_vtab_cursor *cur, sqlite_int64 *pRowid){
  *pRowid = ((PathCursor*)cur)->iRow + 1;
  return SQLITE_OK;
}

/* Room for n rows. */
static int rows_alloc(PathCursor *c, unsigned int n){
  c->aId = sqlite3_malloc64(sizeof(sqlite3_int64)*((sqlite3_uint64)n+1));
  c->aStep = sqlite3_malloc64(sizeof(unsigned int)*((sqlite3_uint64)n+1));
  c->aParent = sqlite3_malloc64(sizeof(sqlite3_int64)*((sqlite3_uint64)n+1));
  return c->aId && c->aStep && c->aParent ? SQLITE_OK : SQLITE_NOMEM;
}

/* The queue index of id in w if it was reached (not hidden), else -1;
** -2 when out of memory. */
static int reached(LineageWalker *w, sqlite3_int64 id){
  int k = lineage_walker_find(w, id);
  if( k>=0 && (w->aQueue[k].depth & LINEAGE_VISIT_HIDDEN) ) return -1;
  return k;
}

/* Expand w until every node at most nDepth edges from its start is
** discovered, or target is: *piFound is then its queue index. *pbDone: the
** walk has nothing left. */
static int walk_level(LineageWalker *w, sqlite3_int64 target,
                      unsigned int nDepth, unsigned int *pnChecked,
                      int *piFound, int *pbDone){
  int rc = SQLITE_OK;
  *piFound = -1;
  for(;;){
    while( *pnChecked<w->nQueue ){
      const LineageVisit *v = &w->aQueue[(*pnChecked)++];
      if( v->id==target && !(v->depth & LINEAGE_VISIT_HIDDEN) ){
        *piFound = (int)(*pnChecked - 1);
        return SQLITE_OK;
      }
    }
    if( !w->bExpanding && (w->iExpand>=w->nQueue
        || LINEAGE_VISIT_DEPTH(&w->aQueue[w->iExpand])>=nDepth) ){
      *pbDone = w->iExpand>=w->nQueue;
      return SQLITE_OK;
    }
    rc = lineage_walker_step(w);
    if( rc==SQLITE_DONE ){ *pbDone = 1; rc = SQLITE_OK; }
    if( rc ) return rc;
  }
}

/* The rows of the path in w from its start to queue entry k. */
static int path_rows(PathCursor *c, const LineageWalker *w, int k){
  unsigned int n = LINEAGE_VISIT_DEPTH(&w->aQueue[k]) + 1, i;
  int rc = rows_alloc(c, n);
  if( rc ) return rc;
  for(i=n; i>0; i--){
    c->aId[i-1] = w->aQueue[k].id;
    c->aStep[i-1] = i-1;
    k = (int)w->aQueue[k].parent - 1;
  }
  c->aParent[0] = PATH_NO_PARENT;
  for(i=1; i<n; i++) c->aParent[i] = c->aId[i-1];
  c->nRow = n;
  return SQLITE_OK;
}

/* One shortest path: level by level, downstream before upstream. */
static int path_shortest(PathCursor *c, sqlite3_int64 to, int bUndirected){
  unsigned int aChecked[2] = {0, 0}, nDepth;
  int aDone[2] = {0, 0}, nWalk = bUndirected ? 1 : 2, i, rc;
  LineageWalker *aw[2];
  aw[0] = &c->a;
  aw[1] = &c->b;
  for(nDepth=1; !(aDone[0] && (nWalk==1 || aDone[1])); nDepth++){
    for(i=0; i<nWalk; i++){
      int k;
      if( aDone[i] ) continue;
      rc = walk_level(aw[i], to, nDepth, &aChecked[i], &k, &aDone[i]);
      if( rc ) return rc;
      if( k>=0 ) return path_rows(c, aw[i], k);
    }
  }
  return SQLITE_OK;
}


/* The nodes of f's walk (complete) that g's walk (complete) reached. */
static int path_common(PathCursor *c, LineageWalker *f, LineageWalker *g){
  unsigned int i;
  int rc = rows_alloc(c, f->nQueue);
  if( rc ) return rc;
  for(i=0; i<f->nQueue; i++){
    const LineageVisit *v = &f->aQueue[i];
    int k;
    if( v->depth & LINEAGE_VISIT_HIDDEN ) continue;
    k = reached(g, v->id);
    if( k==-2 ) return SQLITE_NOMEM;
    if( k<0 ) continue;
    c->aId[c->nRow] = v->id;
    c->aStep[c->nRow] = LINEAGE_VISIT_DEPTH(v);
    /* Its parent in f's walk is on a path too (it leads to v). */
    c->aParent[c->nRow] = v->parent ? f->aQueue[v->parent-1].id
                                    : PATH_NO_PARENT;
    c->nRow++;
  }
  return SQLITE_OK;
}

/* Every node on a directed path: downstream of from and upstream of to,
** or, when to is upstream, the other way round. */
static int path_all(PathCursor *c, sqlite3_int64 to){
  int rc = lineage_walker_run(&c->a), k;
  if( rc ) return rc;
  k = reached(&c->a, to);
  if( k==-2 ) return SQLITE_NOMEM;
  if( k>=0 ){
    rc = lineage_walker_start(&c->b, to, -1);
    if( rc==SQLITE_OK ) rc = lineage_walker_run(&c->b);
    return rc ? rc : path_common(c, &c->a, &c->b);
  }
  rc = lineage_walker_run(&c->b);
  if( rc ) return rc;
  k = reached(&c->b, to);
  if( k==-2 ) return SQLITE_NOMEM;
  if( k<0 ) return SQLITE_OK;
  rc = lineage_walker_start(&c->a, to, -1);
  if( rc==SQLITE_OK ) rc = lineage_walker_run(&c->a);
  return rc ? rc : path_common(c, &c->b, &c->a);
}

/* A boolean option: 0 or 1 in *pb, or fail x. */
static void bool_option(Lx *x, sqlite3_value *pOpts, const char *zKey, int *pb){
  char zPath[16];
  char *zType;
  *pb = 0;
  if( x->rc || pOpts==0 || sqlite3_value_type(pOpts)==SQLITE_NULL ) return;
  sqlite3_snprintf(sizeof(zPath), zPath, "$.%s", zKey);
  zType = lx_text(x, "SELECT json_type(?1, ?2)", "vt", pOpts, zPath);
  if( zType && strcmp(zType, "true")==0 ) *pb = 1;
  else if( zType && strcmp(zType, "false")!=0 ){
    lx_fail(x, "lineage_path option '%s' must be true or false, not %s",
            zKey, zType);
  }
  sqlite3_free(zType);
}

/*
** xFilter: argv is [from, to, options if idxNum & PATH_OPTIONS].
*/
static int pathFilter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr,
                      int argc, sqlite3_value **argv){
  static const char *const azExtra[] = { "undirected", "all", 0 };
  PathCursor *c = (PathCursor*)cur;
  PathVtab *p = (PathVtab*)cur->pVtab;
  sqlite3_int64 from, to;
  int bUndirected = 0, bAll = 0, rc, i, bFrom, bTo;
  Lx x;
  (void)idxStr;

  pathReset(c);
  sqlite3_free(p->base.zErrMsg);
  p->base.zErrMsg = 0;
  if( idxNum & PATH_NO_ENDS ){
    p->base.zErrMsg = sqlite3_mprintf("lineage: lineage_path needs a start "
        "and an end: SELECT * FROM lineage_path('from', 'to')");
    return SQLITE_ERROR;
  }
  for(i=0; i<argc && i<PATH_NARG; i++){
    c->apArg[i] = sqlite3_value_dup(argv[i]);
    if( c->apArg[i]==0 ) return SQLITE_NOMEM;
  }
  rc = lineage_filter_open(p->db, p->conn, c->apArg[2], "lineage_path",
                           azExtra, &c->pFilter, &p->base.zErrMsg);
  if( rc ) return rc;
  lx_init(&x, p->db, p->conn);
  bool_option(&x, c->apArg[2], "undirected", &bUndirected);
  bool_option(&x, c->apArg[2], "all", &bAll);
  if( x.rc==SQLITE_OK && bUndirected && bAll ){
    lx_fail(&x, "lineage_path options 'undirected' and 'all' do not go "
                "together: 'all' follows the edges' direction");
  }
  if( x.rc ){
    p->base.zErrMsg = x.zErr;
    return x.rc;
  }

  i = bUndirected ? LINEAGE_BOTHWAYS : LINEAGE_DOWNSTREAM;
  if( c->a.conn==0 || c->a.dir!=i ){
    lineage_walker_close(&c->a);
    lineage_walker_open(&c->a, p->db, p->conn, i, &p->base.zErrMsg);
  }
  if( c->b.conn==0 ){
    lineage_walker_open(&c->b, p->db, p->conn, LINEAGE_UPSTREAM,
                        &p->base.zErrMsg);
  }
  c->a.pFilter = c->b.pFilter =
      lineage_filter_active(c->pFilter) ? c->pFilter : 0;
  /* Each walker resolves its start (`to` first: both must exist). */
  rc = lineage_walker_start_at(&c->b, p->db, &c->meta, argv[1], -1,
                               &p->base.zErrMsg);
  if( rc ) return rc;
  to = c->b.aQueue[0].id;
  bTo = !(c->b.aQueue[0].depth & LINEAGE_VISIT_HIDDEN);
  if( c->b.nQueue!=1 ){
    p->base.zErrMsg = sqlite3_mprintf("lineage: lineage_path goes to one "
                                      "node, not %d", (int)c->b.nQueue);
    return SQLITE_ERROR;
  }
  rc = lineage_walker_start_at(&c->a, p->db, &c->meta, argv[0], -1,
                               &p->base.zErrMsg);
  if( rc==SQLITE_OK ){
    rc = lineage_walker_start_at(&c->b, p->db, &c->meta, argv[0], -1,
                                 &p->base.zErrMsg);
  }
  if( rc ) return rc;
  if( c->a.nQueue!=1 ){
    p->base.zErrMsg = sqlite3_mprintf("lineage: lineage_path starts at one "
                                      "node, not %d", (int)c->a.nQueue);
    return SQLITE_ERROR;
  }
  from = c->a.aQueue[0].id;
  bFrom = !(c->a.aQueue[0].depth & LINEAGE_VISIT_HIDDEN);
  if( !c->bOpen ){
    rc = lineage_meta_open(&c->meta, p->db, p->conn, 0, &p->base.zErrMsg);
    if( rc ) return rc;
    c->bOpen = 1;
  }
  c->meta.bValid = 0;
  if( !bFrom || !bTo ){
    rc = SQLITE_OK;                    /* one end did not exist then */
  }else if( bAll ){
    rc = path_all(c, to);    /* from==to too: the cycles through it */
  }else if( from==to ){
    rc = rows_alloc(c, 1);
    if( rc==SQLITE_OK ){
      c->aId[0] = from;
      c->aStep[0] = 0;
      c->aParent[0] = PATH_NO_PARENT;
      c->nRow = 1;
    }
  }else{
    rc = path_shortest(c, to, bUndirected);
  }
  if( rc!=SQLITE_OK && rc!=SQLITE_NOMEM && p->base.zErrMsg==0 ){
    p->base.zErrMsg = sqlite3_mprintf("lineage: %s", sqlite3_errmsg(p->db));
  }
  return rc;
}

/*
** xBestIndex: from and to (required) and options (optional) are equalities
** on the hidden columns; argv order from, to, options. A missing end makes
** a plan no query picks, whose xFilter says what is missing.
*/
static int pathBestIndex(sqlite3_vtab *pVtab, sqlite3_index_info *pInfo){
  int aIdx[PATH_NARG] = {-1, -1, -1};
  int bSeen = 0, i;
  const struct sqlite3_index_constraint *pC = pInfo->aConstraint;
  (void)pVtab;
  for(i=0; i<pInfo->nConstraint; i++, pC++){
    int iArg = pC->iColumn - PATH_COL_FROM;
    if( iArg<0 || iArg>=PATH_NARG || pC->op!=SQLITE_INDEX_CONSTRAINT_EQ ){
      continue;
    }
    if( pC->usable ){
      if( aIdx[iArg]<0 ) aIdx[iArg] = i;
    }else if( iArg<2 ){
      bSeen = 1;               /* an end given, not usable in this plan */
    }
  }
  if( aIdx[0]<0 || aIdx[1]<0 ){
    if( bSeen ) return SQLITE_CONSTRAINT;
    lineage_vtab_no_plan(pInfo, PATH_NO_ENDS);
    return SQLITE_OK;
  }
  pInfo->idxNum = 0;
  for(i=0; i<PATH_NARG; i++){
    if( aIdx[i]<0 ) continue;
    pInfo->aConstraintUsage[aIdx[i]].argvIndex = i+1;
    pInfo->aConstraintUsage[aIdx[i]].omit = 1;
    if( i==2 ) pInfo->idxNum |= PATH_OPTIONS;
  }
  pInfo->estimatedCost = 100.0;
  pInfo->estimatedRows = 10;
  if( pInfo->nOrderBy==1 && pInfo->aOrderBy[0].iColumn==PATH_COL_STEP
   && !pInfo->aOrderBy[0].desc ){
    pInfo->orderByConsumed = 1;
  }
  return SQLITE_OK;
}

sqlite3_module lineage_path_module = {
  0,                /* iVersion */
  0,                /* xCreate: eponymous only */
  pathConnect, pathBestIndex, lineage_vtab_disconnect, 0, pathOpen, pathClose,
  pathFilter, pathNext, pathEof, pathColumn, pathRowid,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
};
