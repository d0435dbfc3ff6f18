/*
** cache.c: per-connection state, and the adjacency cache of the walks.
**
**   SELECT lineage_cache();            -- '{"limit":134217728,...}'
**   SELECT lineage_cache(0);           -- turn the cache off (and free it)
**   SELECT lineage_cache(64<<20);      -- at most 64 MiB
**
** An index seek per node costs more than ten times what reading one edge in
** a full scan costs. So each connection counts the seeks its walks make,
** per direction, and once they add up to about the cost of loading every
** edge (a sixteenth of the edges: a ski-rental rule, never far worse than
** the better choice) it loads the edges into memory as compressed sparse
** rows (CSR), both directions from one scan of the smallest index that
** holds (src,dst), sorted by counting. Later walks, and the rest of the walk
** that triggered the load, read neighbours from memory. The memory is
** bounded (lineage_cache(N) bytes, default 128 MiB; 0 turns the cache off).
**
** Never stale: a snapshot is tagged with SQLite's data version of main
** (SQLITE_FCNTL_DATA_VERSION), which changes with every commit, by this
** connection or any other. Inside a write transaction the cache is neither
** used nor built, so uncommitted (or rolled back) changes never enter it.
** A walk holds a reference to the snapshot it started with.
**
** The connection state also keeps the writers' prepared statements, so that
** log_artifact in a loop prepares nothing. SQLite's sqlite3_close() refuses
** to close a connection with unfinalized statements, but it disconnects
** virtual tables first: so the statements are finalized in the walk
** tables' xDisconnect, and a statement is only kept while such a table is
** connected (lineage_conn_stmt connects lineage_upstream when it is not).
*/
#include "lineage.h"
#include <string.h>

#define CACHE_DEFAULT_LIMIT  ((sqlite3_int64)128 << 20)
#define CACHE_FIRST_CHECK    64     /* seeks before the first look at size */
#define CACHE_SEEK_PER_EDGE 16      /* an edge loaded costs 1/16 of a seek */
#define CACHE_STMT_MAX      64      /* writers' statements kept */

struct LineageConn {
  int nRef;
  sqlite3 *db;
  sqlite3_int64 limit;          /* bytes; 0: no cache */
  sqlite3_int64 nBuild;         /* loads so far, for lineage_cache() */
  LineageModAux aAux[2];        /* pAux of the modules, one per direction */
  struct CacheDir {
    LineageCsr *pCsr;           /* the snapshot, or NULL */
    unsigned int version;       /* data version of pCsr and of the counts */
    int bCounting;              /* version is set */
    sqlite3_int64 nSeek;        /* seeks since the data last changed */
    sqlite3_int64 nNextCheck;   /* look again when nSeek reaches this */
  } aDir[2];
  int nVtab;                    /* walk tables connected now */
  int nStmt;
  struct CacheStmt {
    const char *zSql;           /* the SQL literal: compared by address */
    sqlite3_stmt *pStmt;
    int bBusy;                  /* handed out and not yet given back */
  } aStmt[CACHE_STMT_MAX];
};

LineageConn *lineage_conn_new(sqlite3 *db){
  LineageConn *c = sqlite3_malloc(sizeof(*c));
  int i;
  if( c==0 ) return 0;
  memset(c, 0, sizeof(*c));
  c->nRef = 1;
  c->db = db;
  c->limit = CACHE_DEFAULT_LIMIT;
  for(i=0; i<2; i++){
    c->aAux[i].conn = c;
    c->aAux[i].dir = i;
    c->aDir[i].nNextCheck = CACHE_FIRST_CHECK;
  }
  return c;
}

void lineage_conn_ref(LineageConn *c){ c->nRef++; }

void lineage_csr_release(LineageCsr *p){
  if( p && --p->nRef==0 ){
    sqlite3_free(p->aOff);
    sqlite3_free(p->aNbr);
    sqlite3_free(p);
  }
}

static void cache_drop(LineageConn *c, int dir){
  lineage_csr_release(c->aDir[dir].pCsr);
  c->aDir[dir].pCsr = 0;
}

/* Forget the kept statements. One in use is only forgotten: giving it back
** (lineage_conn_stmt_done) then finalizes it. */
static void lineage_conn_flush(LineageConn *c){
  int i;
  for(i=0; i<c->nStmt; i++){
    if( !c->aStmt[i].bBusy ) sqlite3_finalize(c->aStmt[i].pStmt);
  }
  c->nStmt = 0;
}

void lineage_conn_vtab(LineageConn *c, int nDelta){
  c->nVtab += nDelta;
  if( nDelta<0 ) lineage_conn_flush(c);
}

sqlite3_stmt *lineage_conn_stmt(LineageConn *c, const char *zSql, int *pRc){
  sqlite3_stmt *pStmt = 0;
  int i;
  for(i=0; i<c->nStmt; i++){
    if( c->aStmt[i].zSql==zSql && !c->aStmt[i].bBusy ){
      c->aStmt[i].bBusy = 1;
      *pRc = SQLITE_OK;
      return c->aStmt[i].pStmt;
    }
  }
  if( c->nVtab==0 ){
    /* Connect a walk table, whose xDisconnect will finalize what is kept. */
    sqlite3_stmt *p = 0;
    sqlite3_prepare_v2(c->db, "SELECT 1 FROM lineage_upstream(NULL) WHERE 0",
                       -1, &p, 0);
    sqlite3_finalize(p);
  }
  *pRc = sqlite3_prepare_v3(c->db, zSql, -1, SQLITE_PREPARE_PERSISTENT,
                            &pStmt, 0);
  if( *pRc==SQLITE_OK && c->nVtab>0 && c->nStmt<CACHE_STMT_MAX ){
    c->aStmt[c->nStmt].zSql = zSql;
    c->aStmt[c->nStmt].pStmt = pStmt;
    c->aStmt[c->nStmt].bBusy = 1;
    c->nStmt++;
  }
  return pStmt;
}

void lineage_conn_stmt_done(LineageConn *c, sqlite3_stmt *pStmt){
  int i;
  if( pStmt==0 ) return;
  for(i=0; c && i<c->nStmt; i++){
    if( c->aStmt[i].pStmt==pStmt ){
      sqlite3_reset(pStmt);
      sqlite3_clear_bindings(pStmt);
      c->aStmt[i].bBusy = 0;
      return;
    }
  }
  sqlite3_finalize(pStmt);
}

void lineage_conn_unref(void *p){
  LineageConn *c = (LineageConn*)p;
  if( c && --c->nRef==0 ){
    lineage_conn_flush(c);
    cache_drop(c, 0);
    cache_drop(c, 1);
    sqlite3_free(c);
  }
}

void lineage_aux_unref(void *p){
  lineage_conn_unref(((LineageModAux*)p)->conn);
}

LineageModAux *lineage_conn_aux(LineageConn *c, int dir){
  return &c->aAux[dir];
}

/* The data version of main, or 0 (and *pbOk false) when the cache may not
** be used now: turned off, or inside a write transaction. */
static unsigned int data_version(LineageConn *c, int *pbOk){
  unsigned int v = 0;
  *pbOk = 0;
  if( c->limit<=0 ) return 0;
  if( sqlite3_txn_state(c->db, "main")==SQLITE_TXN_WRITE ) return 0;
  if( sqlite3_file_control(c->db, "main", SQLITE_FCNTL_DATA_VERSION, &v)
      !=SQLITE_OK ) return 0;
  *pbOk = 1;
  return v;
}

/* Forget what was counted or cached for other data than version v. */
static void cache_sync(LineageConn *c, int dir, unsigned int v){
  struct CacheDir *d = &c->aDir[dir];
  if( d->bCounting && d->version==v ) return;
  cache_drop(c, dir);
  d->version = v;
  d->bCounting = 1;
  d->nSeek = 0;
  d->nNextCheck = CACHE_FIRST_CHECK;
}

LineageCsr *lineage_cache_get(LineageConn *c, int dir){
  int bOk;
  unsigned int v = data_version(c, &bOk);
  if( !bOk ) return 0;
  cache_sync(c, dir, v);
  if( c->aDir[dir].pCsr ) c->aDir[dir].pCsr->nRef++;
  return c->aDir[dir].pCsr;
}

/* A snapshot with room for nNode offsets and nEdge neighbours. */
static LineageCsr *csr_new(unsigned int nNode, unsigned int nEdge){
  LineageCsr *p = sqlite3_malloc(sizeof(*p));
  if( p==0 ) return 0;
  memset(p, 0, sizeof(*p));
  p->nRef = 1;
  p->nNode = nNode;
  p->aOff = sqlite3_malloc64(sizeof(unsigned int)*((sqlite3_uint64)nNode+1));
  p->aNbr = sqlite3_malloc64(sizeof(unsigned int)*((sqlite3_uint64)nEdge+1));
  p->nByte = sizeof(*p) + sizeof(unsigned int)*((sqlite3_int64)nNode+nEdge+2);
  if( p->aOff==0 || p->aNbr==0 ){
    lineage_csr_release(p);
    return 0;
  }
  return p;
}

/* Counting sort: the neighbours aTo[i] of each aFrom[i]. The edges come in
** index order ((src,dst) or (dst,src)), so each node's neighbours land in
** ascending order in both directions, as an index seek returns them. */
static void csr_fill(LineageCsr *p, const unsigned int *aFrom,
                     const unsigned int *aTo, unsigned int nEdge){
  unsigned int i, sum = 0;
  memset(p->aOff, 0, sizeof(unsigned int)*((size_t)p->nNode+1));
  for(i=0; i<nEdge; i++) p->aOff[aFrom[i]+1]++;
  for(i=0; i<=p->nNode; i++){ sum += p->aOff[i]; p->aOff[i] = sum; }
  /* aOff[v] is now the start of v's row; advance it while filling, then
  ** shift back. */
  for(i=0; i<nEdge; i++) p->aNbr[p->aOff[aFrom[i]]++] = aTo[i];
  for(i=p->nNode; i>0; i--) p->aOff[i] = p->aOff[i-1];
  p->aOff[0] = 0;
}

/* The highest node_id (-1 when there are none) into *pMaxId. */
static int max_node_id(sqlite3 *db, sqlite3_int64 *pMaxId){
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_prepare_v2(db, "SELECT max(node_id) FROM main.lineage_node",
                              -1, &pStmt, 0);
  *pMaxId = -1;
  if( rc==SQLITE_OK && sqlite3_step(pStmt)==SQLITE_ROW
   && sqlite3_column_type(pStmt, 0)==SQLITE_INTEGER ){
    *pMaxId = sqlite3_column_int64(pStmt, 0);
  }
  rc = sqlite3_finalize(pStmt);
  return rc;
}

/* Load every edge, both directions at once, from one scan of the smallest
** index that holds (src,dst); node ids go up to maxId. Fills
** apOut[LINEAGE_UPSTREAM/DOWNSTREAM]; returns SQLITE_OK with both NULL when
** they would not fit in nBudget bytes or the ids are not dense (the walks
** then go on with seeks). */
static int csr_load(sqlite3 *db, sqlite3_int64 maxId, sqlite3_int64 nBudget,
                    LineageCsr **apOut){
  sqlite3_stmt *pStmt = 0;
  sqlite3_int64 nNeed;
  unsigned int *aSrc = 0, *aDst = 0;
  unsigned int nAlloc = 0, nEdge = 0;
  int rc;

  apOut[0] = apOut[1] = 0;
  /* Two rows of offsets must fit, and ids must fit the 32-bit rows. */
  if( maxId<0 || maxId>=0x7ffffffe
   || 2*(maxId+2)*(sqlite3_int64)sizeof(unsigned int)>nBudget ) return SQLITE_OK;

  rc = sqlite3_prepare_v2(db, "SELECT src, dst FROM main.lineage_edge", -1,
                          &pStmt, 0);
  while( rc==SQLITE_OK && (rc = sqlite3_step(pStmt))==SQLITE_ROW ){
    sqlite3_int64 a = sqlite3_column_int64(pStmt, 0);
    sqlite3_int64 b = sqlite3_column_int64(pStmt, 1);
    rc = SQLITE_OK;
    if( a<0 || a>maxId || b<0 || b>maxId ) break;      /* not dense */
    if( nEdge==nAlloc ){
      unsigned int nNew = nAlloc ? nAlloc*2 : 4096;
      unsigned int *a1, *a2;
      /* Both directions' offsets and neighbours, and these two arrays. */
      nNeed = (2*(maxId+2) + 4*(sqlite3_int64)nNew)*(sqlite3_int64)sizeof(unsigned int);
      if( nNew<=nAlloc || nNeed>nBudget ) break;       /* over the budget */
      a1 = sqlite3_realloc64(aSrc, sizeof(unsigned int)*(sqlite3_uint64)nNew);
      if( a1 ) aSrc = a1;
      a2 = a1 ? sqlite3_realloc64(aDst, sizeof(unsigned int)*(sqlite3_uint64)nNew) : 0;
      if( a2 ) aDst = a2;
      if( a1==0 || a2==0 ){ rc = SQLITE_NOMEM; break; }
      nAlloc = nNew;
    }
    aSrc[nEdge] = (unsigned int)a;
    aDst[nEdge] = (unsigned int)b;
    nEdge++;
  }
  sqlite3_finalize(pStmt);
  if( rc==SQLITE_DONE ){
    apOut[LINEAGE_UPSTREAM] = csr_new((unsigned int)maxId+1, nEdge);
    apOut[LINEAGE_DOWNSTREAM] = csr_new((unsigned int)maxId+1, nEdge);
    if( apOut[0] && apOut[1] ){
      csr_fill(apOut[LINEAGE_UPSTREAM], aDst, aSrc, nEdge);
      csr_fill(apOut[LINEAGE_DOWNSTREAM], aSrc, aDst, nEdge);
      rc = SQLITE_OK;
    }else{
      rc = SQLITE_NOMEM;
    }
  }
  if( rc!=SQLITE_OK ){
    lineage_csr_release(apOut[0]);
    lineage_csr_release(apOut[1]);
    apOut[0] = apOut[1] = 0;
  }
  sqlite3_free(aSrc);
  sqlite3_free(aDst);
  return rc==SQLITE_NOMEM ? rc : SQLITE_OK;
}

LineageCsr *lineage_cache_note_seek(LineageConn *c, int dir){
  struct CacheDir *d = &c->aDir[dir];
  LineageCsr *ap[2];
  sqlite3_int64 maxId;
  unsigned int v;
  int bOk, i;
  if( ++d->nSeek<d->nNextCheck ) return 0;
  v = data_version(c, &bOk);
  if( !bOk || !d->bCounting || d->version!=v ){
    d->nNextCheck = d->nSeek*2;          /* not now; look again later */
    return 0;
  }
  /* Loading costs about one seek per CACHE_SEEK_PER_EDGE edges; there are
  ** about as many edges as nodes in a lineage graph. */
  if( max_node_id(c->db, &maxId)!=SQLITE_OK ){
    d->nNextCheck = (sqlite3_int64)1 << 62;   /* not for this data */
    return 0;
  }
  if( d->nSeek < maxId/CACHE_SEEK_PER_EDGE ){
    d->nNextCheck = maxId/CACHE_SEEK_PER_EDGE;
    return 0;
  }
  /* Both directions load together: the other one's snapshot, if any, is
  ** for the same data (cache_sync) and is replaced. */
  cache_drop(c, 0);
  cache_drop(c, 1);
  if( csr_load(c->db, maxId, c->limit, ap)!=SQLITE_OK || ap[0]==0 ){
    d->nNextCheck = (sqlite3_int64)1 << 62;   /* not for this data */
    return 0;
  }
  for(i=0; i<2; i++){
    cache_sync(c, i, v);
    c->aDir[i].pCsr = ap[i];
  }
  c->nBuild++;
  d->pCsr->nRef++;
  return d->pCsr;
}

/* lineage_cache([limit]): set the limit in bytes (0: off), report the state
** as JSON: limit, bytes held per direction, loads so far. */
void lineage_fn_cache(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  LineageConn *c = (LineageConn*)sqlite3_user_data(ctx);
  char *z;
  if( argc>0 ){
    if( sqlite3_value_numeric_type(argv[0])!=SQLITE_INTEGER
     || sqlite3_value_int64(argv[0])<0 ){
      char *zErr = sqlite3_mprintf("lineage: the cache limit must be a "
          "number of bytes >= 0 (0 turns the cache off), not '%s'",
          sqlite3_value_text(argv[0]));
      sqlite3_result_error(ctx, zErr ? zErr : "lineage: out of memory", -1);
      sqlite3_free(zErr);
      return;
    }
    c->limit = sqlite3_value_int64(argv[0]);
    if( c->limit==0 || (c->aDir[0].pCsr ? c->aDir[0].pCsr->nByte : 0)
                     + (c->aDir[1].pCsr ? c->aDir[1].pCsr->nByte : 0)>c->limit ){
      cache_drop(c, 0);
      cache_drop(c, 1);
    }
    c->aDir[0].bCounting = c->aDir[1].bCounting = 0;
  }
  z = sqlite3_mprintf("{\"limit\":%lld,\"upstream_bytes\":%lld,"
      "\"downstream_bytes\":%lld,\"loads\":%lld}", c->limit,
      c->aDir[0].pCsr ? c->aDir[0].pCsr->nByte : 0,
      c->aDir[1].pCsr ? c->aDir[1].pCsr->nByte : 0, c->nBuild);
  if( z==0 ){ sqlite3_result_error_nomem(ctx); return; }
  sqlite3_result_text(ctx, z, -1, sqlite3_free);
}
