/*
** walk.c: the lineage_upstream and lineage_downstream virtual tables.
**
**   SELECT ref, depth FROM lineage_upstream('model:v12');
**   SELECT * FROM lineage_downstream('dataset:v3', 2);       -- max_depth 2
**   SELECT * FROM lineage_downstream(42) WHERE depth <= 3;   -- node_id 42
**   SELECT v.ref, count(*) FROM lineage_versions v,
**          lineage_downstream(v.node_id) d GROUP BY v.ref;   -- correlated
**   SELECT * FROM lineage_downstream('["ds:v0","ds:v1"]');  -- many starts
**   SELECT * FROM lineage_downstream('ds:v0', NULL,
**          '{"prune":{"job_type":["evaluate"]}}');          -- options
**
** Both are eponymous, table-valued and read-only; one module serves both,
** its pAux saying which way to walk. A row is one node reached from the
** start (depth 0 is the start itself), in breadth-first order.
**
** How it works: xFilter resolves the start and seeds a LineageWalker
** (walker.c). Rows are produced as the walk goes: row i is queue[i], and the
** walker expands queued nodes only until row i exists and as many rows
** again, at most WALK_AHEAD: LIMIT n does the work of 2n rows at most. A
** depth constraint (depth <= N, < N, = N) and max_depth both stop the walk
** at that depth. Metadata columns are read only when a query asks for
** them (their cursor is prepared by the first one). The options (filter.c)
** are judged inside the walk: hidden nodes are skipped as rows are
** produced, stop nodes are not expanded, and with as_of the state column
** is the state as of then.
*/
#include "lineage.h"
#include <math.h>
#include <string.h>

/* Columns 0-7 are LINEAGE_NODE_COLUMNS (lineage.h). */
#define WALK_COL_DEPTH      8
#define WALK_COL_PARENT_ID  9
#define WALK_COL_START      10   /* hidden: the first argument */
#define WALK_COL_MAX_DEPTH  11   /* hidden: the second argument */
#define WALK_COL_OPTIONS    12   /* hidden: the third argument */

/* idxNum bits; argv is [start, max_depth if WALK_MAXDEPTH, options if
** WALK_OPTIONS, depth bound if WALK_DEPTH_LE or WALK_DEPTH_LT]. */
#define WALK_MAXDEPTH  0x01
#define WALK_DEPTH_LE  0x02   /* depth <= ?, or depth = ? */
#define WALK_DEPTH_LT  0x04   /* depth < ? */
#define WALK_NO_START  0x08   /* no start: xFilter reports the error */
#define WALK_OPTIONS   0x10

/* How far a walk runs ahead of the rows returned (walkFill): 100k-node
** walks took 7-10% less time than one row at a time, and no less at 512
** (architecture.md has the numbers). */
#define WALK_AHEAD 64

typedef struct WalkVtab {
  sqlite3_vtab base;
  sqlite3 *db;
  LineageConn *conn;          /* the connection: statements and blocks */
  int dir;                    /* LINEAGE_UPSTREAM or LINEAGE_DOWNSTREAM */
} WalkVtab;

/* A copy of an argument: an integer is kept as such (no allocation: a join
** that walks from every row of a table calls xFilter once a row). */
typedef struct WalkArg {
  int eType;                  /* 0: absent, SQLITE_INTEGER: i, else p */
  sqlite3_int64 i;
  sqlite3_value *p;
} WalkArg;

static int arg_save(WalkArg *a, sqlite3_value *v){
  sqlite3_value_free(a->p);
  a->p = 0;
  a->eType = v ? sqlite3_value_type(v) : 0;
  if( a->eType==SQLITE_INTEGER ){
    a->i = sqlite3_value_int64(v);
  }else if( a->eType ){
    a->p = sqlite3_value_dup(v);
    if( a->p==0 ) return SQLITE_NOMEM;
  }
  return SQLITE_OK;
}

static void arg_result(sqlite3_context *ctx, const WalkArg *a){
  if( a->eType==SQLITE_INTEGER ) sqlite3_result_int64(ctx, a->i);
  else if( a->p ) sqlite3_result_value(ctx, a->p);
}

typedef struct WalkCursor {
  sqlite3_vtab_cursor base;
  LineageWalker w;
  LineageMeta meta;           /* opened by the first metadata column */
  LineageMeta ids;            /* checks that an integer start exists */
  unsigned int iRow;          /* the current row is w.aQueue[iRow] */
  int bEmpty;                 /* a depth bound below 0: no rows at all */
  WalkArg start, maxDepth, options;  /* the arguments, for hidden columns */
  LineageFilter *pFilter;     /* the parsed options, NULL without */
  char *zFilterFor;           /* the options text pFilter was parsed from */
} WalkCursor;

static int walkConnect(sqlite3 *db, void *pAux, int argc,
                       const char *const *argv, sqlite3_vtab **ppVtab,
                       char **pzErr){
  WalkVtab *p;
  int rc;
  (void)argc; (void)argv; (void)pzErr;
  rc = sqlite3_declare_vtab(db, "CREATE TABLE x(" LINEAGE_NODE_COLUMNS ", "
      "depth INTEGER, parent_id INTEGER, start HIDDEN, max_depth HIDDEN, "
      "options HIDDEN)");
  if( rc!=SQLITE_OK ) return rc;
  sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
  p = sqlite3_malloc(sizeof(*p));
  if( p==0 ) return SQLITE_NOMEM;
  memset(p, 0, sizeof(*p));
  p->db = db;
  p->conn = ((LineageModAux*)pAux)->conn;
  p->dir = ((LineageModAux*)pAux)->dir;
  lineage_conn_vtab(p->conn, +1);
  *ppVtab = &p->base;
  return SQLITE_OK;
}

/* Also where the writers' kept statements are finalized (cache.c). */
static int walkDisconnect(sqlite3_vtab *pVtab){
  lineage_conn_vtab(((WalkVtab*)pVtab)->conn, -1);
  sqlite3_free(pVtab);
  return SQLITE_OK;
}

static int walkOpen(sqlite3_vtab *pVtab, sqlite3_vtab_cursor **ppCur){
  WalkCursor *c = sqlite3_malloc(sizeof(*c));
  (void)pVtab;
  if( c==0 ) return SQLITE_NOMEM;
  memset(c, 0, sizeof(*c));
  *ppCur = &c->base;
  return SQLITE_OK;
}

static int walkClose(sqlite3_vtab_cursor *cur){
  WalkCursor *c = (WalkCursor*)cur;
  lineage_walker_close(&c->w);
  lineage_meta_close(&c->meta);
  lineage_meta_close(&c->ids);
  arg_save(&c->start, 0);
  arg_save(&c->maxDepth, 0);
  arg_save(&c->options, 0);
  lineage_filter_free(c->pFilter);
  sqlite3_free(c->zFilterFor);
  sqlite3_free(c);
  return SQLITE_OK;
}

/* Expand the walk until queue entry iRow exists or the walk is complete,
** and as many rows past it as the cursor has returned, up to WALK_AHEAD:
** LIMIT n does at most the work of 2n rows, and a big walk is expanded
** WALK_AHEAD rows a call instead of one. */
static int walkFill(WalkCursor *c, unsigned int iRow){
  if( iRow>=c->w.nQueue ){
    unsigned int nAhead = iRow<WALK_AHEAD ? iRow : WALK_AHEAD;
    int rc = lineage_walker_fill(&c->w, iRow + 1 + nAhead);
    if( rc!=SQLITE_OK && rc!=SQLITE_DONE ){
      WalkVtab *p = (WalkVtab*)c->base.pVtab;
      sqlite3_free(p->base.zErrMsg);
      if( c->w.zErr ){
        p->base.zErrMsg = c->w.zErr;
        c->w.zErr = 0;
      }else{
        p->base.zErrMsg = sqlite3_mprintf("lineage: %s", sqlite3_errmsg(p->db));
      }
      return rc;
    }
  }
  return SQLITE_OK;
}

/* Move to the first row from iRow on that is not hidden. */
static int walkSeek(WalkCursor *c, unsigned int iRow){
  int rc;
  c->iRow = iRow;
  while( (rc = walkFill(c, c->iRow))==SQLITE_OK && c->iRow<c->w.nQueue
      && (c->w.aQueue[c->iRow].depth & LINEAGE_VISIT_HIDDEN) ){
    c->iRow++;
  }
  return rc;
}

static int walkNext(sqlite3_vtab_cursor *cur){
  WalkCursor *c = (WalkCursor*)cur;
  return walkSeek(c, c->iRow+1);
}

static int walkEof(sqlite3_vtab_cursor *cur){
  WalkCursor *c = (WalkCursor*)cur;
  return c->bEmpty || c->iRow>=c->w.nQueue;
}

/* Open the metadata cursor: by the first metadata column a query asks
** for, so a walk that reads only node_id, depth and parent_id prepares
** no statement for it. */
static int walkMetaOpen(WalkCursor *c){
  WalkVtab *p = (WalkVtab*)c->base.pVtab;
  sqlite3_free(p->base.zErrMsg);
  p->base.zErrMsg = 0;
  return lineage_meta_open(&c->meta, p->db, p->conn,
                           p->dir==LINEAGE_UPSTREAM ? LINEAGE_META_DESC : 0,
                           &p->base.zErrMsg);
}

/* The metadata columns, and state as of a time: out of walkColumn, whose
** node_id, depth and parent_id are read for every row. */
static LINEAGE_NOINLINE int walkMetaColumn(WalkCursor *c, sqlite3_context *ctx,
                                           int i){
  unsigned int nAhead;
  if( i==LINEAGE_COL_STATE && lineage_filter_as_of(c->pFilter) ){
    return lineage_filter_state(c->pFilter, c->w.aQueue[c->iRow].id, ctx);
  }
  if( c->meta.pStmt==0 ){
    int rc = walkMetaOpen(c);
    if( rc ) return rc;
  }
  /* When the metadata will be read in a batch, let the walk run that far
  ** ahead first (at most a batch of rows more than asked for). */
  nAhead = lineage_meta_ahead(&c->meta, &c->w, c->iRow);
  if( nAhead ){
    int rc = walkFill(c, c->iRow + nAhead - 1);
    if( rc ) return rc;
  }
  return lineage_meta_walk_result(&c->meta, &c->w, c->iRow, i, ctx);
}

static int walkColumn(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i){
  WalkCursor *c = (WalkCursor*)cur;
  const LineageVisit *v = &c->w.aQueue[c->iRow];
  switch( i ){
    case LINEAGE_COL_NODE_ID: sqlite3_result_int64(ctx, v->id); break;
    case WALK_COL_DEPTH:
      sqlite3_result_int64(ctx, LINEAGE_VISIT_DEPTH(v));
      break;
    case WALK_COL_PARENT_ID:
      if( v->parent ) sqlite3_result_int64(ctx, c->w.aQueue[v->parent-1].id);
      break;
    case WALK_COL_START:      arg_result(ctx, &c->start); break;
    case WALK_COL_MAX_DEPTH:  arg_result(ctx, &c->maxDepth); break;
    case WALK_COL_OPTIONS:    arg_result(ctx, &c->options); break;
    default: return walkMetaColumn(c, ctx, i);
  }
  return SQLITE_OK;
}

static int walkRowid(sqlite3_vtab_cursor *cur, sqlite_int64 *pRowid){
  *pRowid = ((WalkCursor*)cur)->iRow + 1;
  return SQLITE_OK;
}

/* The deepest depth a "depth <= v" (bLt: "depth < v") constraint allows;
** -2 when v is not a number (then it bounds nothing). */
static sqlite3_int64 depth_bound(sqlite3_value *v, int bLt){
  double d;
  int t = sqlite3_value_numeric_type(v);
  if( t!=SQLITE_INTEGER && t!=SQLITE_FLOAT ) return -2;
  if( t==SQLITE_INTEGER ){
    sqlite3_int64 i = sqlite3_value_int64(v);
    return bLt ? (i<=0 ? -1 : i-1) : (i<0 ? -1 : i);
  }
  d = sqlite3_value_double(v);
  d = bLt ? ceil(d)-1 : floor(d);
  if( d<0 ) return -1;
  return d>4e9 ? (sqlite3_int64)4e9 : (sqlite3_int64)d;
}

/* Parse the options into c->pFilter, unless they are the text parsed last
** (a correlated join walks once a row with the same options). */
static int walkOptions(WalkCursor *c, WalkVtab *p, sqlite3_value *pOpts){
  const char *z = (const char*)sqlite3_value_text(pOpts);
  int rc;
  if( sqlite3_value_type(pOpts)==SQLITE_NULL ){
    lineage_filter_free(c->pFilter);
    c->pFilter = 0;
    return SQLITE_OK;
  }
  if( z==0 ) return SQLITE_NOMEM;
  if( c->pFilter && c->zFilterFor && strcmp(c->zFilterFor, z)==0 ){
    return SQLITE_OK;
  }
  lineage_filter_free(c->pFilter);
  c->pFilter = 0;
  sqlite3_free(c->zFilterFor);
  c->zFilterFor = sqlite3_mprintf("%s", z);
  if( c->zFilterFor==0 ) return SQLITE_NOMEM;
  rc = lineage_filter_open(p->db, p->conn, pOpts,
                           p->dir==LINEAGE_UPSTREAM ? "lineage_upstream"
                                                    : "lineage_downstream",
                           0, &c->pFilter, &p->base.zErrMsg);
  return rc;
}

/*
** xFilter: argv as xBestIndex laid it out (idxNum bits above):
**   argv[0]  start: node_id, 'name:alias|vN' or run reference
**   next     max_depth, when idxNum & WALK_MAXDEPTH
**   next     options (JSON), when idxNum & WALK_OPTIONS
**   next     the bound of a depth constraint, when WALK_DEPTH_LE/LT
*/
static int walkFilter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr,
                      int argc, sqlite3_value **argv){
  WalkCursor *c = (WalkCursor*)cur;
  WalkVtab *p = (WalkVtab*)cur->pVtab;
  sqlite3_int64 maxDepth = -1;
  int iArg = 1, rc;
  (void)idxStr; (void)argc;

  if( idxNum & WALK_NO_START ){
    sqlite3_free(p->base.zErrMsg);
    p->base.zErrMsg = sqlite3_mprintf("lineage: %s needs a start: "
        "SELECT * FROM %s('name:alias' or run id or node_id)",
        p->dir==LINEAGE_UPSTREAM ? "lineage_upstream" : "lineage_downstream",
        p->dir==LINEAGE_UPSTREAM ? "lineage_upstream" : "lineage_downstream");
    return SQLITE_ERROR;
  }
  c->iRow = 0;
  c->bEmpty = 1;
  arg_save(&c->maxDepth, 0);
  arg_save(&c->options, 0);
  if( arg_save(&c->start, argv[0]) ) return SQLITE_NOMEM;
  sqlite3_free(p->base.zErrMsg);
  p->base.zErrMsg = 0;
  if( idxNum & WALK_MAXDEPTH ){
    if( arg_save(&c->maxDepth, argv[iArg]) ) return SQLITE_NOMEM;
    rc = lineage_int_arg(argv[iArg++], "max_depth", 0, -1, &maxDepth,
                         &p->base.zErrMsg);
    if( rc ) return rc;
  }
  if( idxNum & WALK_OPTIONS ){
    if( arg_save(&c->options, argv[iArg]) ) return SQLITE_NOMEM;
    rc = walkOptions(c, p, argv[iArg++]);
    if( rc ) return rc;
  }else if( c->pFilter ){
    lineage_filter_free(c->pFilter);
    c->pFilter = 0;
  }
  if( idxNum & (WALK_DEPTH_LE|WALK_DEPTH_LT) ){
    sqlite3_int64 b = depth_bound(argv[iArg++], idxNum & WALK_DEPTH_LT);
    if( b==-1 ) return SQLITE_OK;                   /* no depth qualifies */
    if( b>=0 && (maxDepth<0 || b<maxDepth) ) maxDepth = b;
  }

  if( c->w.conn==0 ){
    rc = lineage_walker_open(&c->w, p->db, p->conn, p->dir, &p->base.zErrMsg);
    if( rc ) return rc;
  }
  if( c->ids.pStmt==0 ){
    /* An integer start that the ids cursor finds is the walk's start; any
    ** other start, one it does not find, or any start when it cannot be
    ** prepared (a database without lineage) is resolved by names.c, whose
    ** message is the error to report. */
    char *zIgnored = 0;
    lineage_meta_open(&c->ids, p->db, p->conn, LINEAGE_META_ID_ONLY,
                      &zIgnored);
    sqlite3_free(zIgnored);
  }
  c->w.pFilter = lineage_filter_active(c->pFilter) ? c->pFilter : 0;
  rc = lineage_walker_start_at(&c->w, p->db, &c->ids, argv[0], maxDepth,
                               &p->base.zErrMsg);
  if( rc ) return rc;
  lineage_meta_forget(&c->meta);
  c->bEmpty = 0;
  return walkSeek(c, 0);
}

/*
** xBestIndex: the start (hidden column `start`) must be an equality; a
** max_depth equality, an options equality and one depth constraint (<=,
** <, =) are optional. argv order is start, max_depth, options, depth
** bound; idxNum says which are there.
** A start equality that is not usable returns SQLITE_CONSTRAINT so the
** planner tries another join order; with no start equality at all the plan
** costs "infinity" and xFilter reports the missing start.
** The depth constraint is not omitted: SQLite checks it again (for = and
** for bounds that are not integers). Rows come in depth order, so ORDER BY
** depth is free.
*/
static int walkBestIndex(sqlite3_vtab *pVtab, sqlite3_index_info *pInfo){
  WalkVtab *p = (WalkVtab*)pVtab;
  int iStart = -1, iMax = -1, iOpts = -1, iDepth = -1, bStartSeen = 0;
  int i, n = 0;
  int idxNum = 0;
  const struct sqlite3_index_constraint *pC = pInfo->aConstraint;
  for(i=0; i<pInfo->nConstraint; i++, pC++){
    if( pC->iColumn==WALK_COL_START && pC->op==SQLITE_INDEX_CONSTRAINT_EQ ){
      bStartSeen = 1;
    }
    if( !pC->usable ) continue;
    if( pC->iColumn==WALK_COL_START && pC->op==SQLITE_INDEX_CONSTRAINT_EQ ){
      if( iStart<0 ) iStart = i;
    }else if( pC->iColumn==WALK_COL_MAX_DEPTH
           && pC->op==SQLITE_INDEX_CONSTRAINT_EQ ){
      if( iMax<0 ) iMax = i;
    }else if( pC->iColumn==WALK_COL_OPTIONS
           && pC->op==SQLITE_INDEX_CONSTRAINT_EQ ){
      if( iOpts<0 ) iOpts = i;
    }else if( pC->iColumn==WALK_COL_DEPTH && iDepth<0
           && (pC->op==SQLITE_INDEX_CONSTRAINT_LE
               || pC->op==SQLITE_INDEX_CONSTRAINT_LT
               || pC->op==SQLITE_INDEX_CONSTRAINT_EQ) ){
      iDepth = i;
    }
  }
  (void)p;
  if( iStart<0 ){
    if( bStartSeen ) return SQLITE_CONSTRAINT;
    /* A plan that no query should pick; if it is the only one, xFilter
    ** says what is missing. (SQLite also asks about plans without the
    ** start, e.g. for one side of an OR: an error here would fail those.) */
    pInfo->idxNum = WALK_NO_START;
    pInfo->estimatedCost = 1e300;
    pInfo->estimatedRows = 2147483647;
    return SQLITE_OK;
  }
  pInfo->aConstraintUsage[iStart].argvIndex = ++n;
  pInfo->aConstraintUsage[iStart].omit = 1;
  if( iMax>=0 ){
    pInfo->aConstraintUsage[iMax].argvIndex = ++n;
    pInfo->aConstraintUsage[iMax].omit = 1;
    idxNum |= WALK_MAXDEPTH;
  }
  if( iOpts>=0 ){
    pInfo->aConstraintUsage[iOpts].argvIndex = ++n;
    pInfo->aConstraintUsage[iOpts].omit = 1;
    idxNum |= WALK_OPTIONS;
  }
  if( iDepth>=0 ){
    pInfo->aConstraintUsage[iDepth].argvIndex = ++n;
    idxNum |= pInfo->aConstraint[iDepth].op==SQLITE_INDEX_CONSTRAINT_LT
            ? WALK_DEPTH_LT : WALK_DEPTH_LE;
  }
  pInfo->idxNum = idxNum;
  pInfo->estimatedCost = (iMax>=0 || iDepth>=0) ? 100.0 : 1000.0;
  pInfo->estimatedRows = (iMax>=0 || iDepth>=0) ? 100 : 1000;
  if( pInfo->nOrderBy==1 && pInfo->aOrderBy[0].iColumn==WALK_COL_DEPTH
   && !pInfo->aOrderBy[0].desc ){
    pInfo->orderByConsumed = 1;
  }
  return SQLITE_OK;
}

sqlite3_module lineage_walk_module = {
  0,                /* iVersion */
  0,                /* xCreate: eponymous only */
  walkConnect, walkBestIndex, walkDisconnect, 0, walkOpen, walkClose,
  walkFilter, walkNext, walkEof, walkColumn, walkRowid,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
};
