/*
** diff.c: the lineage_diff virtual table, how two lineages differ.
**
**   SELECT kind, name, a_versions, b_versions, status
**   FROM lineage_diff('cnn:v3', 'cnn:v4') WHERE status <> 'same';
**
** Compares what is upstream of `a` with what is upstream of `b` (typically
** two versions of one model), `a` and `b` themselves left out. One row per
** artifact (project, name) found upstream of either: kind 'artifact', the
** versions each side reached as JSON arrays (["v0","v2"], [] when none) and
** their counts. One row per run job_type: kind 'run', name the job type,
** project, type and versions NULL, the counts of such runs on each side.
** status: 'same' (the same versions, or for runs the same runs), 'changed',
** 'only_a', 'only_b'. Rows: artifacts by project and name, then runs by job
** type.
**
** How it works: two complete upstream walks (walker.c), then each reached
** node's row is read once, the nodes are sorted by (kind, project, name,
** side, version) and each group becomes a row. Cost: the two walks plus a
** seek and a sort per node reached.
*/
#include "lineage.h"
#include <stdlib.h>
#include <string.h>

#define DIFF_COL_KIND       0
#define DIFF_COL_PROJECT    1
#define DIFF_COL_NAME       2
#define DIFF_COL_TYPE       3
#define DIFF_COL_A_VERSIONS 4
#define DIFF_COL_B_VERSIONS 5
#define DIFF_COL_A_COUNT    6
#define DIFF_COL_B_COUNT    7
#define DIFF_COL_STATUS     8
#define DIFF_COL_A          9   /* hidden: the arguments */
#define DIFF_COL_B         10
#define DIFF_NO_ARGS     0x01   /* idxNum: a or b missing, xFilter fails */

/* One node reached from one side. */
typedef struct DiffItem {
  int bRun;
  int side;                   /* 0: upstream of a, 1: of b */
  char *zProject;             /* NULL for a run */
  char *zName;                /* artifact name, or the run's job type */
  char *zType;                /* artifact type, NULL for a run */
  sqlite3_int64 key;          /* version number, or the run's node id */
} DiffItem;

typedef struct DiffRow {
  int bRun;
  const char *zProject, *zName, *zType;   /* point into the items */
  char *zA, *zB;              /* JSON arrays of vN (NULL for runs) */
  int nA, nB;
  const char *zStatus;
} DiffRow;

typedef LineageVtab DiffVtab;

typedef struct DiffCursor {
  sqlite3_vtab_cursor base;
  LineageWalker w[2];
  DiffItem *aItem;
  int nItem;
  DiffRow *aRow;
  int nRow, iRow;
  sqlite3_value *apArg[2];
} DiffCursor;

static int diffConnect(sqlite3 *db, void *pAux, int argc,
                       const char *const *argv, sqlite3_vtab **ppVtab,
                       char **pzErr){
  (void)argc; (void)argv; (void)pzErr;
  return lineage_vtab_connect(db, pAux, "CREATE TABLE x(kind TEXT, project TEXT, "
      "name TEXT, type TEXT, a_versions TEXT, b_versions TEXT, "
      "a_count INTEGER, b_count INTEGER, status TEXT, a HIDDEN, b HIDDEN)",
                              sizeof(DiffVtab), ppVtab);
}

static int diffOpen(sqlite3_vtab *pVtab, sqlite3_vtab_cursor **ppCur){
  (void)pVtab;
  return lineage_vtab_open(sizeof(DiffCursor), ppCur);
}

static void diffReset(DiffCursor *c){
  int i;
  for(i=0; i<c->nItem; i++){
    sqlite3_free(c->aItem[i].zProject);
    sqlite3_free(c->aItem[i].zName);
    sqlite3_free(c->aItem[i].zType);
  }
  for(i=0; i<c->nRow; i++){
    sqlite3_free(c->aRow[i].zA);
    sqlite3_free(c->aRow[i].zB);
  }
  sqlite3_free(c->aItem);
  sqlite3_free(c->aRow);
  c->aItem = 0;
  c->aRow = 0;
  c->nItem = c->nRow = c->iRow = 0;
  for(i=0; i<2; i++){
    sqlite3_value_free(c->apArg[i]);
    c->apArg[i] = 0;
  }
}

static int diffClose(sqlite3_vtab_cursor *cur){
  DiffCursor *c = (DiffCursor*)cur;
  diffReset(c);
  lineage_walker_close(&c->w[0]);
  lineage_walker_close(&c->w[1]);
  sqlite3_free(c);
  return SQLITE_OK;
}

static int diffNext(sqlite3_vtab_cursor *cur){
  ((DiffCursor*)cur)->iRow++;
  return SQLITE_OK;
}

static int diffEof(sqlite3_vtab_cursor *cur){
  DiffCursor *c = (DiffCursor*)cur;
  return c->iRow>=c->nRow;
}

static void diff_text(sqlite3_context *ctx, const char *z){
  if( z ) sqlite3_result_text(ctx, z, -1, SQLITE_TRANSIENT);
}

static int diffColumn(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i){
  DiffCursor *c = (DiffCursor*)cur;
  const DiffRow *r = &c->aRow[c->iRow];
  switch( i ){
    case DIFF_COL_KIND:
      sqlite3_result_text(ctx, r->bRun ? "run" : "artifact", -1, SQLITE_STATIC);
      break;
    case DIFF_COL_PROJECT:    diff_text(ctx, r->zProject); break;
    case DIFF_COL_NAME:       diff_text(ctx, r->zName); break;
    case DIFF_COL_TYPE:       diff_text(ctx, r->zType); break;
    case DIFF_COL_A_VERSIONS: diff_text(ctx, r->zA); break;
    case DIFF_COL_B_VERSIONS: diff_text(ctx, r->zB); break;
    case DIFF_COL_A_COUNT:    sqlite3_result_int(ctx, r->nA); break;
    case DIFF_COL_B_COUNT:    sqlite3_result_int(ctx, r->nB); break;
    case DIFF_COL_STATUS:
      sqlite3_result_text(ctx, r->zStatus, -1, SQLITE_STATIC);
      break;
    default:
      if( c->apArg[i-DIFF_COL_A] ){
        sqlite3_result_value(ctx, c->apArg[i-DIFF_COL_A]);
      }
      break;
  }
  return SQLITE_OK;
}

static int diffRowid(sqlite3_vtab_cursor *cur, sqlite_int64 *pRowid){
  *pRowid = ((DiffCursor*)cur)->iRow + 1;
  return SQLITE_OK;
}

/* strcmp with NULL first. */
static int str_cmp(const char *a, const char *b){
  if( a==0 || b==0 ) return a ? 1 : b ? -1 : 0;
  return strcmp(a, b);
}

/* The group an item belongs to: kind, project, name. */
static int group_cmp(const DiffItem *x, const DiffItem *y){
  int r;
  if( x->bRun!=y->bRun ) return x->bRun - y->bRun;
  r = str_cmp(x->zProject, y->zProject);
  return r ? r : str_cmp(x->zName, y->zName);
}

static int item_cmp(const void *a, const void *b){
  const DiffItem *x = (const DiffItem*)a, *y = (const DiffItem*)b;
  int r = group_cmp(x, y);
  if( r ) return r;
  if( x->side!=y->side ) return x->side - y->side;
  return x->key<y->key ? -1 : x->key>y->key;
}

/* Read the rows of every node side's walk reached, but a and b. */
static int diff_items(DiffCursor *c, DiffVtab *p, sqlite3_int64 a,
                      sqlite3_int64 b){
  static const char zSql[] = "SELECT kind, project, name, version, type "
                             "FROM main.lineage_node WHERE node_id=?1";
  int side, rc = SQLITE_OK;
  unsigned int i;
  sqlite3_stmt *pStmt = lineage_conn_stmt(p->conn, zSql, &rc);
  if( rc ) return rc;
  c->aItem = sqlite3_malloc64(sizeof(DiffItem)*
      ((sqlite3_uint64)c->w[0].nQueue + c->w[1].nQueue + 1));
  if( c->aItem==0 ) rc = SQLITE_NOMEM;
  for(side=0; rc==SQLITE_OK && side<2; side++){
    for(i=0; rc==SQLITE_OK && i<c->w[side].nQueue; i++){
      sqlite3_int64 id = c->w[side].aQueue[i].id;
      DiffItem *it;
      if( id==a || id==b ) continue;
      sqlite3_bind_int64(pStmt, 1, id);
      rc = sqlite3_step(pStmt);
      if( rc==SQLITE_DONE ){ rc = SQLITE_OK; sqlite3_reset(pStmt); continue; }
      if( rc!=SQLITE_ROW ) break;
      rc = SQLITE_OK;
      it = &c->aItem[c->nItem];
      memset(it, 0, sizeof(*it));
      it->side = side;
      it->bRun = sqlite3_column_type(pStmt, 3)==SQLITE_NULL;  /* version */
      if( it->bRun ){
        it->key = id;
        if( sqlite3_column_type(pStmt, 4)!=SQLITE_NULL ){
          it->zName = sqlite3_mprintf("%s", sqlite3_column_text(pStmt, 4));
          if( it->zName==0 ) rc = SQLITE_NOMEM;
        }
      }else{
        it->key = sqlite3_column_int64(pStmt, 3);
        it->zProject = sqlite3_mprintf("%s", sqlite3_column_text(pStmt, 1));
        it->zName = sqlite3_mprintf("%s", sqlite3_column_text(pStmt, 2));
        it->zType = sqlite3_mprintf("%s", sqlite3_column_text(pStmt, 4));
        if( !it->zProject || !it->zName || !it->zType ) rc = SQLITE_NOMEM;
      }
      c->nItem++;
      sqlite3_reset(pStmt);
    }
  }
  lineage_conn_stmt_done(p->conn, pStmt);
  return rc;
}

/* The JSON array ["vN",...] of the items [i, j) (one side of a group). */
static char *versions_json(const DiffItem *a, int i, int j){
  sqlite3_str *s = sqlite3_str_new(0);
  int k;
  sqlite3_str_appendchar(s, 1, '[');
  for(k=i; k<j; k++){
    sqlite3_str_appendf(s, "%s\"v%lld\"", k>i ? "," : "", a[k].key);
  }
  sqlite3_str_appendchar(s, 1, ']');
  return sqlite3_str_finish(s);
}

/* Sort the items and make one row per group. */
static int diff_rows(DiffCursor *c){
  int i, j, m;
  qsort(c->aItem, (size_t)c->nItem, sizeof(DiffItem), item_cmp);
  c->aRow = sqlite3_malloc64(sizeof(DiffRow)*((sqlite3_uint64)c->nItem+1));
  if( c->aRow==0 ) return SQLITE_NOMEM;
  for(i=0; i<c->nItem; i=j){
    DiffRow *r = &c->aRow[c->nRow++];
    const DiffItem *x = &c->aItem[i];
    memset(r, 0, sizeof(*r));
    for(j=i; j<c->nItem && group_cmp(&c->aItem[j], x)==0; j++){}
    for(m=i; m<j && c->aItem[m].side==0; m++){}
    r->bRun = x->bRun;
    r->zProject = x->zProject;
    r->zName = x->zName;
    r->zType = x->zType;
    r->nA = m-i;
    r->nB = j-m;
    if( !x->bRun ){
      r->zA = versions_json(c->aItem, i, m);
      r->zB = versions_json(c->aItem, m, j);
      if( r->zA==0 || r->zB==0 ) return SQLITE_NOMEM;
    }
    if( r->nB==0 ){
      r->zStatus = "only_a";
    }else if( r->nA==0 ){
      r->zStatus = "only_b";
    }else{
      int k;
      r->zStatus = "same";
      if( r->nA!=r->nB ) r->zStatus = "changed";
      for(k=0; k<r->nA && r->zStatus[0]=='s'; k++){
        if( c->aItem[i+k].key!=c->aItem[m+k].key ) r->zStatus = "changed";
      }
    }
  }
  return SQLITE_OK;
}


/* xFilter: argv is [a, b]. */
static int diffFilter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr,
                      int argc, sqlite3_value **argv){
  DiffCursor *c = (DiffCursor*)cur;
  DiffVtab *p = (DiffVtab*)cur->pVtab;
  LineageMeta noMeta;
  int i, rc = SQLITE_OK;
  (void)idxStr; (void)argc;
  diffReset(c);
  sqlite3_free(p->base.zErrMsg);
  p->base.zErrMsg = 0;
  if( idxNum & DIFF_NO_ARGS ){
    p->base.zErrMsg = sqlite3_mprintf("lineage: lineage_diff needs two "
        "nodes: SELECT * FROM lineage_diff('model:v3', 'model:v4')");
    return SQLITE_ERROR;
  }
  memset(&noMeta, 0, sizeof(noMeta));
  for(i=0; i<2; i++){
    c->apArg[i] = sqlite3_value_dup(argv[i]);
    if( c->apArg[i]==0 ) return SQLITE_NOMEM;
    if( c->w[i].conn==0 ){
      lineage_walker_open(&c->w[i], p->db, p->conn, LINEAGE_UPSTREAM,
                          &p->base.zErrMsg);
    }
    rc = lineage_walker_start_at(&c->w[i], p->db, &noMeta, argv[i], -1,
                                 &p->base.zErrMsg);
    if( rc ) return rc;
  }
  for(i=0; rc==SQLITE_OK && i<2; i++) rc = lineage_walker_run(&c->w[i]);
  if( rc==SQLITE_OK ){
    rc = diff_items(c, p, c->w[0].aQueue[0].id, c->w[1].aQueue[0].id);
  }
  if( rc==SQLITE_OK ) rc = diff_rows(c);
  if( rc!=SQLITE_OK && rc!=SQLITE_NOMEM && p->base.zErrMsg==0 ){
    p->base.zErrMsg = sqlite3_mprintf("lineage: %s", sqlite3_errmsg(p->db));
  }
  return rc;
}

/* xBestIndex: a and b are required equalities on the hidden columns. */
static int diffBestIndex(sqlite3_vtab *pVtab, sqlite3_index_info *pInfo){
  int aIdx[2] = {-1, -1}, bSeen = 0, i;
  const struct sqlite3_index_constraint *pC = pInfo->aConstraint;
  (void)pVtab;
  for(i=0; i<pInfo->nConstraint; i++, pC++){
    int iArg = pC->iColumn - DIFF_COL_A;
    if( iArg<0 || iArg>1 || pC->op!=SQLITE_INDEX_CONSTRAINT_EQ ) continue;
    if( !pC->usable ) bSeen = 1;     /* given, not usable in this plan */
    else if( aIdx[iArg]<0 ) aIdx[iArg] = i;
  }
  if( aIdx[0]<0 || aIdx[1]<0 ){
    if( bSeen ) return SQLITE_CONSTRAINT;
    lineage_vtab_no_plan(pInfo, DIFF_NO_ARGS);
    return SQLITE_OK;
  }
  for(i=0; i<2; i++){
    pInfo->aConstraintUsage[aIdx[i]].argvIndex = i+1;
    pInfo->aConstraintUsage[aIdx[i]].omit = 1;
  }
  pInfo->idxNum = 0;
  pInfo->estimatedCost = 1000.0;
  pInfo->estimatedRows = 100;
  return SQLITE_OK;
}

sqlite3_module lineage_diff_module = {
  0,                /* iVersion */
  0,                /* xCreate: eponymous only */
  diffConnect, diffBestIndex, lineage_vtab_disconnect, 0, diffOpen, diffClose,
  diffFilter, diffNext, diffEof, diffColumn, diffRowid,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
};
