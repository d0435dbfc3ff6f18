/*
** meta.c: the metadata columns of the walk tables (kind, project, ref,
** name, version, type, state), read from lineage_node only for the rows and
** columns a query asks for.
**
** Two ways to read them. A cursor that goes on in the direction the walk's
** ids tend to go (lineage is recorded in order: a downstream walk mostly
** asks for ids a little above the last one, an upstream walk a little
** below) and steps a few rows instead of seeking. And, when the next id is
** not a few steps away, past the first META_BATCH_MIN rows of a walk (so
** LIMIT 10 still does the work of ten rows), a batch: the walk runs ahead
** by as many rows as it has returned, up to META_BATCH (so LIMIT n does at
** most the work of 2n rows), and the metadata of those nodes comes from ONE
** statement (node_id IN (?,?,...)), which seeks inside SQLite's own loop
** instead of paying a statement reset and step per row. The batch copies
** its texts into one arena that is reused from batch to batch.
*/
#include "lineage.h"
#include <string.h>

#define META_STEP_MAX  16   /* how far the cursor steps before it seeks */
#define META_BATCH     64   /* nodes read by one batch statement */
#define META_BATCH_MIN 16   /* no batch before this row, nor of fewer rows */

/* A text column: z==0 is NULL. */
typedef struct MetaText {
  const char *z;
  int n;
} MetaText;

/* The metadata of one node, as the columns give it. */
typedef struct MetaRow {
  MetaText kind, project, name, type, state;
  int bVersion;                  /* version is not NULL */
  sqlite3_int64 version;
} MetaRow;

struct LineageMetaBatch {
  sqlite3_stmt *pStmt;           /* ... WHERE node_id IN (?1, ..., ?64) */
  unsigned int iFirst;           /* queue index of aRow[0] */
  int nRow;
  sqlite3_int64 aId[META_BATCH];
  int abFound[META_BATCH];
  MetaRow aRow[META_BATCH];
  char *zArena;                  /* the texts of aRow */
  sqlite3_int64 nArena, nAlloc;
};

#define META_COLS "node_id, kind, project, name, version, type, state"

int lineage_meta_open(LineageMeta *m, sqlite3 *db, LineageConn *conn,
                      int flags, char **pzErr){
  static const char *azSql[4] = {
    "SELECT " META_COLS " FROM main.lineage_node WHERE node_id>=?1 "
    "ORDER BY node_id",
    "SELECT " META_COLS " FROM main.lineage_node WHERE node_id<=?1 "
    "ORDER BY node_id DESC",
    /* The ORDER BY terms after the (unique) node_id cost nothing: SQLite
    ** drops them, and the steps read the rowid only. But they are checked
    ** when it is prepared: a lineage_node without those columns fails it,
    ** as it fails the cursors above. */
    ("SELECT node_id FROM main.lineage_node WHERE node_id>=?1 "
     "ORDER BY " META_COLS),
    ("SELECT node_id FROM main.lineage_node WHERE node_id<=?1 "
     "ORDER BY node_id DESC, kind, project, name, version, type, state"),
  };
  int rc;
  memset(m, 0, sizeof(*m));
  /* LINEAGE_META_ID_ONLY: a cursor that only says whether ids exist (each
  ** step reads the rowid only). */
  m->db = db;
  m->conn = conn;
  m->bDesc = (flags & LINEAGE_META_DESC)!=0;
  m->pStmt = lineage_conn_stmt(conn, azSql[flags & 3], &rc);
  if( rc!=SQLITE_OK ){
    *pzErr = sqlite3_mprintf("lineage: %s", sqlite3_errmsg(db));
  }
  return rc;
}

void lineage_meta_close(LineageMeta *m){
  if( m->pStmt ) lineage_conn_stmt_done(m->conn, m->pStmt);
  if( m->pBatch ){
    if( m->pBatch->pStmt ) lineage_conn_stmt_done(m->conn, m->pBatch->pStmt);
    sqlite3_free(m->pBatch->zArena);
    sqlite3_free(m->pBatch);
  }
  memset(m, 0, sizeof(*m));
}

/* Whether a cursor at id at can step to id: at most META_STEP_MAX ids
** behind it in its own direction (unsigned: the ids may be anywhere in the
** 64-bit range). */
static int meta_can_step(const LineageMeta *m, sqlite3_int64 at,
                         sqlite3_int64 id){
  if( m->bDesc ){
    return at>=id && (sqlite3_uint64)at - (sqlite3_uint64)id<=META_STEP_MAX;
  }
  return at<=id && (sqlite3_uint64)id - (sqlite3_uint64)at<=META_STEP_MAX;
}

int lineage_meta_seek(LineageMeta *m, sqlite3_int64 id){
  sqlite3_int64 at = m->bValid ? sqlite3_column_int64(m->pStmt, 0) : 0;
  int rc = SQLITE_ROW;
  if( !m->bValid || !meta_can_step(m, at, id) ){
    sqlite3_reset(m->pStmt);
    sqlite3_bind_int64(m->pStmt, 1, id);
    rc = sqlite3_step(m->pStmt);
  }else{
    while( (m->bDesc ? at>id : at<id)
        && (rc = sqlite3_step(m->pStmt))==SQLITE_ROW ){
      at = sqlite3_column_int64(m->pStmt, 0);
    }
  }
  m->bValid = rc==SQLITE_ROW;
  if( rc!=SQLITE_ROW ){
    sqlite3_reset(m->pStmt);
    return rc;
  }
  m->id = sqlite3_column_int64(m->pStmt, 0);
  return m->id==id ? SQLITE_ROW : SQLITE_DONE;
}

/* ---- results ------------------------------------------------------------ */

/* Text column i of p; *pbOom is set if it could not be had. One call that
** takes the connection's mutex (sqlite3_column_value), then the value's
** own accessors: the walk tables run inside sqlite3_step(), which holds
** that mutex already, so the value is not shared with another thread. */
static MetaText column_text(sqlite3_stmt *p, int i, int *pbOom){
  sqlite3_value *v = sqlite3_column_value(p, i);
  MetaText t;
  t.z = 0;
  t.n = 0;
  if( sqlite3_value_type(v)!=SQLITE_NULL ){
    t.z = (const char*)sqlite3_value_text(v);
    if( t.z==0 ) *pbOom = 1;
    else t.n = sqlite3_value_bytes(v);
  }
  return t;
}

/* Integer column i of p into *pi; 0 if it is NULL. */
static int column_int(sqlite3_stmt *p, int i, sqlite3_int64 *pi){
  sqlite3_value *v = sqlite3_column_value(p, i);
  *pi = sqlite3_value_int64(v);
  return sqlite3_value_type(v)!=SQLITE_NULL;
}

/* The row the cursor (or a batch statement) is on. SQLITE_NOMEM if a text
** could not be converted. */
static int row_from_stmt(sqlite3_stmt *p, MetaRow *r){
  int bOom = 0;
  r->kind = column_text(p, 1, &bOom);
  r->project = column_text(p, 2, &bOom);
  r->name = column_text(p, 3, &bOom);
  r->bVersion = column_int(p, 4, &r->version);
  r->type = column_text(p, 5, &bOom);
  r->state = column_text(p, 6, &bOom);
  return bOom ? SQLITE_NOMEM : SQLITE_OK;
}

static void result_text(sqlite3_context *ctx, MetaText t){
  if( t.z ) sqlite3_result_text(ctx, t.z, t.n, SQLITE_TRANSIENT);
}

/* Column iCol of r: ref is name:vN for a version, the run id for a run. */
static int row_result(const MetaRow *r, int iCol, sqlite3_context *ctx){
  switch( iCol ){
    case LINEAGE_COL_KIND:    result_text(ctx, r->kind); break;
    case LINEAGE_COL_PROJECT: result_text(ctx, r->project); break;
    case LINEAGE_COL_NAME:    result_text(ctx, r->name); break;
    case LINEAGE_COL_TYPE:    result_text(ctx, r->type); break;
    case LINEAGE_COL_STATE:   result_text(ctx, r->state); break;
    case LINEAGE_COL_VERSION:
      if( r->bVersion ) sqlite3_result_int64(ctx, r->version);
      break;
    case LINEAGE_COL_REF:
      if( !r->bVersion ){
        result_text(ctx, r->name);
      }else if( r->name.z ){
        char zBuf[200];
        char *z = r->name.n < (int)sizeof(zBuf)-24 ? zBuf
                : sqlite3_malloc(r->name.n + 24);
        if( z==0 ) return SQLITE_NOMEM;
        memcpy(z, r->name.z, (size_t)r->name.n);
        sqlite3_snprintf(24, z + r->name.n, ":v%lld", r->version);
        sqlite3_result_text(ctx, z, -1, SQLITE_TRANSIENT);
        if( z!=zBuf ) sqlite3_free(z);
      }
      break;
  }
  return SQLITE_OK;
}

int lineage_meta_result(LineageMeta *m, sqlite3_int64 id, int iCol,
                        sqlite3_context *ctx){
  sqlite3_stmt *p = m->pStmt;
  MetaRow r;
  int bOom = 0;
  if( !m->bValid || m->id!=id ){
    int rc = lineage_meta_seek(m, id);
    /* A node deleted under the walk by hand has no metadata: NULLs. */
    if( rc!=SQLITE_ROW ) return rc==SQLITE_DONE ? SQLITE_OK : rc;
  }
  /* Only what column iCol needs. */
  memset(&r, 0, sizeof(r));
  switch( iCol ){
    case LINEAGE_COL_KIND:    r.kind = column_text(p, 1, &bOom); break;
    case LINEAGE_COL_PROJECT: r.project = column_text(p, 2, &bOom); break;
    case LINEAGE_COL_TYPE:    r.type = column_text(p, 5, &bOom); break;
    case LINEAGE_COL_STATE:   r.state = column_text(p, 6, &bOom); break;
    case LINEAGE_COL_NAME: case LINEAGE_COL_VERSION: case LINEAGE_COL_REF:
      r.name = column_text(p, 3, &bOom);
      r.bVersion = column_int(p, 4, &r.version);
      break;
  }
  if( bOom ) return SQLITE_NOMEM;
  return row_result(&r, iCol, ctx);
}

/* ---- batches ------------------------------------------------------------ */

/* Eight placeholders, and the batch statement with META_BATCH of them. */
#define META_Q8 "?,?,?,?,?,?,?,?,"
static const char zBatchSql[] =
  "SELECT node_id, kind, project, name, version, type, state "
  "FROM main.lineage_node WHERE node_id IN ("
  META_Q8 META_Q8 META_Q8 META_Q8 META_Q8 META_Q8 META_Q8 "?,?,?,?,?,?,?,?)";

static int batch_prepare(LineageMeta *m){
  LineageMetaBatch *b;
  int rc;
  b = sqlite3_malloc(sizeof(*b));
  if( b==0 ) return SQLITE_NOMEM;
  memset(b, 0, sizeof(*b));
  b->pStmt = lineage_conn_stmt(m->conn, zBatchSql, &rc);
  if( rc!=SQLITE_OK ){
    sqlite3_free(b);
    return rc;
  }
  m->pBatch = b;
  return SQLITE_OK;
}

/* Copy text t into the arena; its offset (or -1 for NULL) into *pOff. */
static int arena_add(LineageMetaBatch *b, MetaText t, sqlite3_int64 *pOff){
  if( t.z==0 ){ *pOff = -1; return SQLITE_OK; }
  if( b->nArena + t.n > b->nAlloc ){
    sqlite3_int64 nNew = (b->nAlloc + t.n)*2 + 1024;
    char *z = sqlite3_realloc64(b->zArena, (sqlite3_uint64)nNew);
    if( z==0 ) return SQLITE_NOMEM;
    b->zArena = z;
    b->nAlloc = nNew;
  }
  if( t.n ) memcpy(b->zArena + b->nArena, t.z, (size_t)t.n);
  *pOff = b->nArena;
  b->nArena += t.n;
  return SQLITE_OK;
}

/* Read the metadata of queue rows iFirst .. iFirst+n-1 (n <= META_BATCH). */
static int batch_fill(LineageMeta *m, const LineageWalker *w,
                      unsigned int iFirst, int n){
  LineageMetaBatch *b;
  sqlite3_int64 aOff[META_BATCH][5];
  int i, rc;
  if( m->pBatch==0 && (rc = batch_prepare(m))!=SQLITE_OK ) return rc;
  b = m->pBatch;
  b->nRow = 0;
  b->nArena = 0;
  for(i=0; i<META_BATCH; i++){
    if( i<n ){
      b->aId[i] = w->aQueue[iFirst+i].id;
      sqlite3_bind_int64(b->pStmt, i+1, b->aId[i]);
    }else{
      sqlite3_bind_null(b->pStmt, i+1);
    }
    b->abFound[i] = 0;
  }
  while( (rc = sqlite3_step(b->pStmt))==SQLITE_ROW ){
    sqlite3_int64 id = sqlite3_column_int64(b->pStmt, 0);
    MetaRow r;
    for(i=0; i<n && b->aId[i]!=id; i++){}
    if( i==n || b->abFound[i] ) continue;
    if( row_from_stmt(b->pStmt, &r)
     || arena_add(b, r.kind, &aOff[i][0]) || arena_add(b, r.project, &aOff[i][1])
     || arena_add(b, r.name, &aOff[i][2]) || arena_add(b, r.type, &aOff[i][3])
     || arena_add(b, r.state, &aOff[i][4]) ){
      sqlite3_reset(b->pStmt);
      return SQLITE_NOMEM;
    }
    b->aRow[i] = r;
    b->abFound[i] = 1;
  }
  sqlite3_reset(b->pStmt);
  if( rc!=SQLITE_DONE ) return rc;
  /* The arena no longer moves: point the texts into it. */
  for(i=0; i<n; i++){
    MetaText *at[5];
    int k;
    if( !b->abFound[i] ) continue;
    at[0] = &b->aRow[i].kind; at[1] = &b->aRow[i].project;
    at[2] = &b->aRow[i].name; at[3] = &b->aRow[i].type;
    at[4] = &b->aRow[i].state;
    for(k=0; k<5; k++){
      at[k]->z = aOff[i][k]<0 ? 0 : b->zArena + aOff[i][k];
      if( at[k]->z==0 ) at[k]->n = 0;
    }
  }
  b->iFirst = iFirst;
  b->nRow = n;
  return SQLITE_OK;
}

/* The batch row of queue row iRow, or NULL when the batch does not hold it. */
static LineageMetaBatch *batch_holding(LineageMeta *m, unsigned int iRow){
  LineageMetaBatch *b = m->pBatch;
  if( b && iRow>=b->iFirst && iRow<b->iFirst+(unsigned int)b->nRow ) return b;
  return 0;
}

/* Whether row iRow of w, not in the batch, should be read in a new one:
** the cursor cannot step to it, and it is not one of the first rows of a
** walk (LIMIT 10 does the work of ten rows). */
static int batch_wanted(LineageMeta *m, const LineageWalker *w,
                        unsigned int iRow){
  if( iRow<META_BATCH_MIN ) return 0;
  return !(m->bValid && meta_can_step(m, m->id, w->aQueue[iRow].id));
}

unsigned int lineage_meta_ahead(LineageMeta *m, const LineageWalker *w,
                                unsigned int iRow){
  if( batch_holding(m, iRow) || !batch_wanted(m, w, iRow) ) return 0;
  /* Never more rows ahead than were returned before: LIMIT n does at most
  ** the work of 2n rows. */
  return iRow<META_BATCH ? iRow : META_BATCH;
}

int lineage_meta_walk_result(LineageMeta *m, const LineageWalker *w,
                             unsigned int iRow, int iCol,
                             sqlite3_context *ctx){
  LineageMetaBatch *b = batch_holding(m, iRow);
  unsigned int nAhead = w->nQueue - iRow;
  if( b==0 && batch_wanted(m, w, iRow) && nAhead>=META_BATCH_MIN ){
    int rc = batch_fill(m, w, iRow, nAhead>META_BATCH ? META_BATCH : (int)nAhead);
    if( rc ) return rc;
    b = m->pBatch;
  }
  if( b==0 ) return lineage_meta_result(m, w->aQueue[iRow].id, iCol, ctx);
  if( !b->abFound[iRow - b->iFirst] ) return SQLITE_OK;   /* deleted: NULLs */
  return row_result(&b->aRow[iRow - b->iFirst], iCol, ctx);
}

/* A new walk: rows are new, the batch is stale. */
void lineage_meta_forget(LineageMeta *m){
  if( m->pBatch ) m->pBatch->nRow = 0;
}
