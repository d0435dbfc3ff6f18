/*
** stale.c: the lineage_stale virtual table, what was built from old inputs.
**
**   SELECT ref, input_ref, newest_ref, reason FROM lineage_stale();
**   SELECT ref, input_ref, reason FROM lineage_stale('mnist-raw:v0');
**
** One row per (stale version, outdated input): an artifact version
** downstream of an outdated input, which is a version of which a newer
** committed version exists (reason 'superseded') or a deleted one (reason
** 'deleted'). Columns: node_id and ref of the stale version, input_ref the
** outdated input, newest_ref the newest committed version of the input's
** artifact (NULL when every version is deleted), depth the edges from the
** input. A version of the input's own artifact is not stale because of it
** (that is what supersedes it). With a start, only versions downstream of
** it (itself included) are reported, and only their inputs looked at.
** Rows come input by input (node_id order), each in breadth-first order.
**
** How it works: the outdated inputs are found with one query over
** lineage_node (the whole database), or, with a start, among the ancestors
** of the start's downstream (one multi-source upstream walk). Then one
** downstream walk (walker.c) per outdated input streams the rows, so a
** LIMIT stops the work. Cost: the sum of the inputs' downstream walks.
*/
#include "lineage.h"
#include <stdlib.h>
#include <string.h>

#define STALE_COL_NODE_ID    0
#define STALE_COL_REF        1
#define STALE_COL_INPUT_REF  2
#define STALE_COL_NEWEST_REF 3
#define STALE_COL_REASON     4
#define STALE_COL_DEPTH      5
#define STALE_COL_START      6   /* hidden: the argument */
#define STALE_START       0x01   /* idxNum: argv[0] is the start */

/* The outdated version id, and the newest committed version of its
** artifact (0 when none), with one seek each (index lineage_node_version). */
#define STALE_INPUT_COLS \
  "n.node_id, n.state='deleted', n.name, n.project, n.version, " \
  "(SELECT m.version FROM main.lineage_node m WHERE m.name=n.name AND " \
  "m.project=n.project AND m.kind='artifact' AND m.state='committed' " \
  "ORDER BY m.version DESC LIMIT 1) AS newest "
static const char zAllInputs[] =
  "SELECT " STALE_INPUT_COLS "FROM main.lineage_node n "
  "WHERE n.kind='artifact' ORDER BY n.node_id";
static const char zOneInput[] =
  "SELECT " STALE_INPUT_COLS "FROM main.lineage_node n "
  "WHERE n.node_id=?1 AND n.kind='artifact'";

typedef struct StaleInput {
  sqlite3_int64 id;
  int bDeleted;
  char *zRef;                 /* name:vN */
  char *zNewest;              /* name:vM, or NULL */
  char *zProject;             /* its artifact */
  char *zName;
} StaleInput;

typedef LineageVtab StaleVtab;

typedef struct StaleCursor {
  sqlite3_vtab_cursor base;
  LineageWalker w;            /* downstream from the current input */
  LineageWalker s;            /* downstream from the start (membership) */
  LineageMeta meta;
  int bOpen, bStart;
  StaleInput *aInput;
  int nInput, iInput;
  unsigned int iRow;          /* the current row is w.aQueue[iRow] */
  int bEof;
  sqlite3_value *pStart;
  sqlite3_int64 iRowid;
} StaleCursor;

static int staleConnect(sqlite3 *db, void *pAux, int argc,
                       const char *const *argv, sqlite3_vtab **ppVtab,
                       char **pzErr){
  (void)argc; (void)argv; (void)pzErr;
  return lineage_vtab_connect(db, pAux, "CREATE TABLE x(node_id INTEGER, ref TEXT, "
      "input_ref TEXT, newest_ref TEXT, reason TEXT, depth INTEGER, "
      "start HIDDEN)",
                              sizeof(StaleVtab), ppVtab);
}

static int staleOpen(sqlite3_vtab *pVtab, sqlite3_vtab_cursor **ppCur){
  (void)pVtab;
  return lineage_vtab_open(sizeof(StaleCursor), ppCur);
}

static void staleReset(StaleCursor *c){
  int i;
  for(i=0; i<c->nInput; i++){
    sqlite3_free(c->aInput[i].zRef);
    sqlite3_free(c->aInput[i].zNewest);
    sqlite3_free(c->aInput[i].zProject);
    sqlite3_free(c->aInput[i].zName);
  }
  sqlite3_free(c->aInput);
  c->aInput = 0;
  c->nInput = c->iInput = 0;
  c->iRow = 0;
  c->bEof = 1;
  c->iRowid = 0;
  sqlite3_value_free(c->pStart);
  c->pStart = 0;
}

static int staleClose(sqlite3_vtab_cursor *cur){
  StaleCursor *c = (StaleCursor*)cur;
  staleReset(c);
  lineage_walker_close(&c->w);
  lineage_walker_close(&c->s);
  lineage_meta_close(&c->meta);
  sqlite3_free(c);
  return SQLITE_OK;
}

/* Add the outdated input the statement holds, if it is one. */
static int input_add(StaleCursor *c, sqlite3_stmt *pStmt, int *pnAlloc){
  StaleInput *in;
  int bDeleted = sqlite3_column_int(pStmt, 1);
  sqlite3_int64 version = sqlite3_column_int64(pStmt, 4);
  int bNewest = sqlite3_column_type(pStmt, 5)!=SQLITE_NULL;
  sqlite3_int64 newest = sqlite3_column_int64(pStmt, 5);
  const char *zName = (const char*)sqlite3_column_text(pStmt, 2);
  const char *zProject = (const char*)sqlite3_column_text(pStmt, 3);
  if( !bDeleted && (!bNewest || newest<=version) ) return SQLITE_OK;
  if( zName==0 || zProject==0 ) return SQLITE_NOMEM;
  if( c->nInput==*pnAlloc ){
    int nNew = *pnAlloc*2 + 16;
    StaleInput *aNew = sqlite3_realloc64(c->aInput,
                                         sizeof(StaleInput)*(sqlite3_uint64)nNew);
    if( aNew==0 ) return SQLITE_NOMEM;
    c->aInput = aNew;
    *pnAlloc = nNew;
  }
  in = &c->aInput[c->nInput++];
  memset(in, 0, sizeof(*in));
  in->id = sqlite3_column_int64(pStmt, 0);
  in->bDeleted = bDeleted;
  in->zRef = sqlite3_mprintf("%s:v%lld", zName, version);
  in->zNewest = bNewest ? sqlite3_mprintf("%s:v%lld", zName, newest) : 0;
  in->zProject = sqlite3_mprintf("%s", zProject);
  in->zName = sqlite3_mprintf("%s", zName);
  if( !in->zRef || (bNewest && !in->zNewest) || !in->zProject || !in->zName ){
    return SQLITE_NOMEM;
  }
  return SQLITE_OK;
}

/* Every outdated version of the database. */
static int inputs_all(StaleCursor *c, StaleVtab *p){
  int rc, nAlloc = 0;
  sqlite3_stmt *pStmt = lineage_conn_stmt(p->conn, zAllInputs, &rc);
  while( rc==SQLITE_OK && (rc = sqlite3_step(pStmt))==SQLITE_ROW ){
    rc = input_add(c, pStmt, &nAlloc);
  }
  lineage_conn_stmt_done(p->conn, pStmt);
  return rc==SQLITE_DONE ? SQLITE_OK : rc;
}

static int input_cmp(const void *a, const void *b){
  sqlite3_int64 x = ((const StaleInput*)a)->id, y = ((const StaleInput*)b)->id;
  return x<y ? -1 : x>y;
}

/* The outdated versions upstream of the start's downstream (itself in),
** in node_id order as for the whole database. */
static int inputs_of_start(StaleCursor *c, StaleVtab *p, LineageWalker *u){
  int rc = SQLITE_OK, nAlloc = 0;
  unsigned int i;
  sqlite3_stmt *pStmt = lineage_conn_stmt(p->conn, zOneInput, &rc);
  for(i=0; rc==SQLITE_OK && i<u->nQueue; i++){
    sqlite3_bind_int64(pStmt, 1, u->aQueue[i].id);
    rc = sqlite3_step(pStmt);
    if( rc==SQLITE_ROW ) rc = input_add(c, pStmt, &nAlloc);
    else if( rc==SQLITE_DONE ) rc = SQLITE_OK;
    sqlite3_reset(pStmt);
  }
  lineage_conn_stmt_done(p->conn, pStmt);
  if( rc==SQLITE_OK && c->nInput>1 ){
    qsort(c->aInput, (size_t)c->nInput, sizeof(StaleInput), input_cmp);
  }
  return rc;
}

/* Whether queue entry iRow of the current input's walk is a row. */
static int row_wanted(StaleCursor *c, int *pbWanted){
  const LineageVisit *v = &c->w.aQueue[c->iRow];
  const StaleInput *in = &c->aInput[c->iInput];
  int rc;
  *pbWanted = 0;
  if( LINEAGE_VISIT_DEPTH(v)==0 ) return SQLITE_OK;
  if( c->bStart ){
    int k = lineage_walker_find(&c->s, v->id);
    if( k==-2 ) return SQLITE_NOMEM;
    if( k<0 ) return SQLITE_OK;
  }
  rc = lineage_meta_seek(&c->meta, v->id);
  if( rc==SQLITE_DONE ) return SQLITE_OK;
  if( rc!=SQLITE_ROW ) return rc;
  {
    const char *zKind = (const char*)sqlite3_column_text(c->meta.pStmt, 1);
    const char *zProject = (const char*)sqlite3_column_text(c->meta.pStmt, 2);
    const char *zName = (const char*)sqlite3_column_text(c->meta.pStmt, 3);
    if( zKind==0 || zProject==0 || zName==0 ) return SQLITE_NOMEM;
    *pbWanted = zKind[0]=='a'
             && (strcmp(zName, in->zName)!=0 || strcmp(zProject, in->zProject)!=0);
  }
  return SQLITE_OK;
}

/* Move to the next row from queue entry iRow of input iInput on. */
static int staleSeek(StaleCursor *c){
  StaleVtab *p = (StaleVtab*)c->base.pVtab;
  int rc;
  while( c->iInput<c->nInput ){
    int bWanted;
    while( c->iRow>=c->w.nQueue ){
      rc = lineage_walker_step(&c->w);
      if( rc==SQLITE_DONE ) break;
      if( rc ) return rc;
    }
    if( c->iRow<c->w.nQueue ){
      rc = row_wanted(c, &bWanted);
      if( rc ) return rc;
      if( bWanted ){ c->iRowid++; return SQLITE_OK; }
      c->iRow++;
      continue;
    }
    /* This input's walk is done: the next one. */
    if( ++c->iInput>=c->nInput ) break;
    rc = lineage_walker_start(&c->w, c->aInput[c->iInput].id, -1);
    if( rc ) return rc;
    c->iRow = 0;
  }
  c->bEof = 1;
  (void)p;
  return SQLITE_OK;
}

static int staleNext(sqlite3_vtab_cursor *cur){
  StaleCursor *c = (StaleCursor*)cur;
  c->iRow++;
  return staleSeek(c);
}

static int staleEof(sqlite3_vtab_cursor *cur){
  return ((StaleCursor*)cur)->bEof;
}

static int staleColumn(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i){
  StaleCursor *c = (StaleCursor*)cur;
  const LineageVisit *v = &c->w.aQueue[c->iRow];
  const StaleInput *in = &c->aInput[c->iInput];
  switch( i ){
    case STALE_COL_NODE_ID: sqlite3_result_int64(ctx, v->id); break;
    case STALE_COL_REF:
      return lineage_meta_result(&c->meta, v->id, LINEAGE_COL_REF, ctx);
    case STALE_COL_INPUT_REF:
      sqlite3_result_text(ctx, in->zRef, -1, SQLITE_TRANSIENT);
      break;
    case STALE_COL_NEWEST_REF:
      if( in->zNewest ) sqlite3_result_text(ctx, in->zNewest, -1, SQLITE_TRANSIENT);
      break;
    case STALE_COL_REASON:
      sqlite3_result_text(ctx, in->bDeleted ? "deleted" : "superseded", -1,
                          SQLITE_STATIC);
      break;
    case STALE_COL_DEPTH:
      sqlite3_result_int64(ctx, LINEAGE_VISIT_DEPTH(v));
      break;
    default:
      if( c->pStart ) sqlite3_result_value(ctx, c->pStart);
      break;
  }
  return SQLITE_OK;
}

static int staleRowid(sqlite3_vtab_cursor *cur, sqlite_int64 *pRowid){
  *pRowid = ((StaleCursor*)cur)->iRowid;
  return SQLITE_OK;
}

/* xFilter: argv is [start] when idxNum & STALE_START, else empty. */
static int staleFilter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr,
                       int argc, sqlite3_value **argv){
  StaleCursor *c = (StaleCursor*)cur;
  StaleVtab *p = (StaleVtab*)cur->pVtab;
  Lx x;
  int rc;
  (void)idxStr; (void)argc;
  staleReset(c);
  sqlite3_free(p->base.zErrMsg);
  p->base.zErrMsg = 0;
  c->bStart = (idxNum & STALE_START)!=0
           && sqlite3_value_type(argv[0])!=SQLITE_NULL;
  if( c->w.conn==0 ){
    lineage_walker_open(&c->w, p->db, p->conn, LINEAGE_DOWNSTREAM,
                        &p->base.zErrMsg);
    lineage_walker_open(&c->s, p->db, p->conn, LINEAGE_DOWNSTREAM,
                        &p->base.zErrMsg);
  }
  lx_init(&x, p->db, p->conn);
  if( !c->bStart && !lineage_schema_exists(&x) ){
    rc = x.rc;                     /* no lineage yet: no rows */
    lx_clear(&x);
    return rc;
  }
  lx_clear(&x);
  if( c->bStart ){
    LineageWalker u;
    unsigned int i;
    c->pStart = sqlite3_value_dup(argv[0]);
    if( c->pStart==0 ) return SQLITE_NOMEM;
    rc = lineage_walker_start_at(&c->s, p->db, &c->meta, argv[0], -1,
                                 &p->base.zErrMsg);
    while( rc==SQLITE_OK ) rc = lineage_walker_step(&c->s);
    if( rc!=SQLITE_DONE ) return rc;
    /* The ancestors of all of it: one multi-source upstream walk. */
    lineage_walker_open(&u, p->db, p->conn, LINEAGE_UPSTREAM, &p->base.zErrMsg);
    rc = lineage_walker_start_at(&u, p->db, &c->meta, argv[0], -1,
                                 &p->base.zErrMsg);
    for(i=1; rc==SQLITE_OK && i<c->s.nQueue; i++){
      rc = lineage_walker_add_start(&u, c->s.aQueue[i].id);
    }
    while( rc==SQLITE_OK ) rc = lineage_walker_step(&u);
    if( rc==SQLITE_DONE ) rc = inputs_of_start(c, p, &u);
    lineage_walker_close(&u);
  }else{
    rc = inputs_all(c, p);
  }
  if( rc==SQLITE_OK && !c->bOpen ){
    rc = lineage_meta_open(&c->meta, p->db, p->conn, 0, &p->base.zErrMsg);
    c->bOpen = rc==SQLITE_OK;
  }
  c->meta.bValid = 0;
  c->bEof = 0;
  if( rc==SQLITE_OK && c->nInput>0 ){
    rc = lineage_walker_start(&c->w, c->aInput[0].id, -1);
  }
  if( rc==SQLITE_OK ) rc = staleSeek(c);
  if( rc!=SQLITE_OK && rc!=SQLITE_NOMEM && p->base.zErrMsg==0 ){
    p->base.zErrMsg = sqlite3_mprintf("lineage: %s", sqlite3_errmsg(p->db));
  }
  return rc;
}

/* xBestIndex: the start is optional (an equality on the hidden column). */
static int staleBestIndex(sqlite3_vtab *pVtab, sqlite3_index_info *pInfo){
  int i;
  const struct sqlite3_index_constraint *pC = pInfo->aConstraint;
  (void)pVtab;
  pInfo->idxNum = 0;
  for(i=0; i<pInfo->nConstraint; i++, pC++){
    if( pC->iColumn==STALE_COL_START && pC->op==SQLITE_INDEX_CONSTRAINT_EQ ){
      if( !pC->usable ) return SQLITE_CONSTRAINT;
      pInfo->aConstraintUsage[i].argvIndex = 1;
      pInfo->aConstraintUsage[i].omit = 1;
      pInfo->idxNum = STALE_START;
      break;
    }
  }
  pInfo->estimatedCost = pInfo->idxNum ? 1000.0 : 100000.0;
  pInfo->estimatedRows = pInfo->idxNum ? 100 : 10000;
  return SQLITE_OK;
}

sqlite3_module lineage_stale_module = {
  0,                /* iVersion */
  0,                /* xCreate: eponymous only */
  staleConnect, staleBestIndex, lineage_vtab_disconnect, 0, staleOpen, staleClose,
  staleFilter, staleNext, staleEof, staleColumn, staleRowid,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
};
