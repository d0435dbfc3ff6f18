/*
** cache.c: per-connection state, and the adjacency cache of the walks.
**
**   SELECT lineage_cache();            -- '{"limit":134217728,...}'
**   SELECT lineage_cache(0);           -- turn the cache off (and free it)
**   SELECT lineage_cache(64<<20);      -- at most 64 MiB
**
** An index seek per node costs about ten times what reading one edge in a
** full scan costs. So each connection counts the seeks its walks make, per
** direction, and once they add up to about the cost of loading every edge
** (about a tenth of the edges: a ski-rental rule, never worse than twice the
** better choice) it loads that direction's edges into memory as compressed
** sparse rows (CSR), from one scan of an index already in the right order.
** Later walks, and the rest of the walk that triggered the load, read
** neighbours from memory. The memory is bounded (lineage_cache(N) bytes,
** default 128 MiB; 0 turns the cache off).
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
#define CACHE_SEEK_PER_EDGE  8      /* an edge loaded costs 1/8 of a seek */
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

void lineage_conn_flush(LineageConn *c){
  int i;
  for(i=0; i<c->nStmt; i++) sqlite3_finalize(c->aStmt[i].pStmt);
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

/* Load every edge of direction dir into a new snapshot; NULL when it does
** not fit in nBudget bytes, the ids are not dense, or on any error (the walk
** then goes on with seeks). */
static LineageCsr *csr_load(sqlite3 *db, int dir, sqlite3_int64 nBudget){
  static const char *azSql[2] = {
    "SELECT dst, src FROM main.lineage_edge ORDER BY dst, src",  /* upstream */
    "SELECT src, dst FROM main.lineage_edge ORDER BY src, dst",  /* downstream */
  };
  sqlite3_stmt *pStmt = 0;
  LineageCsr *p = 0;
  sqlite3_int64 maxId = -1;
  unsigned int nAlloc = 0, nEdge = 0, next = 0;
  int rc, bOk = 0;

  if( sqlite3_prepare_v2(db, "SELECT max(node_id) FROM main.lineage_node",
                         -1, &pStmt, 0)==SQLITE_OK
   && sqlite3_step(pStmt)==SQLITE_ROW
   && sqlite3_column_type(pStmt, 0)==SQLITE_INTEGER ){
    maxId = sqlite3_column_int64(pStmt, 0);
  }
  sqlite3_finalize(pStmt);
  pStmt = 0;
  if( maxId<0 || maxId>=0x7fffffff
   || (maxId+2)*(sqlite3_int64)sizeof(unsigned int)>nBudget ) return 0;

  p = sqlite3_malloc(sizeof(*p));
  if( p==0 ) return 0;
  memset(p, 0, sizeof(*p));
  p->nRef = 1;
  p->nNode = (unsigned int)maxId + 1;
  p->aOff = sqlite3_malloc64(sizeof(unsigned int)*((sqlite3_uint64)p->nNode+1));
  if( p->aOff==0 ) goto done;
  p->nByte = sizeof(*p) + sizeof(unsigned int)*((sqlite3_int64)p->nNode+1);
  if( sqlite3_prepare_v2(db, azSql[dir], -1, &pStmt, 0)!=SQLITE_OK ) goto done;
  while( (rc = sqlite3_step(pStmt))==SQLITE_ROW ){
    sqlite3_int64 a = sqlite3_column_int64(pStmt, 0);
    sqlite3_int64 b = sqlite3_column_int64(pStmt, 1);
    if( a<0 || a>maxId || b<0 || b>maxId ) goto done;  /* not dense: no cache */
    if( nEdge==nAlloc ){
      sqlite3_int64 nFit = (nBudget - p->nByte)/(sqlite3_int64)sizeof(unsigned int);
      unsigned int nNew = nAlloc ? nAlloc*2 : 1024;
      unsigned int *aNew;
      if( nNew>nFit ) nNew = nFit>0x7fffffff ? 0x7fffffff : (unsigned int)nFit;
      if( nNew<=nEdge ) goto done;                   /* over the budget */
      aNew = sqlite3_realloc64(p->aNbr, sizeof(unsigned int)*(sqlite3_uint64)nNew);
      if( aNew==0 ) goto done;
      p->aNbr = aNew;
      nAlloc = nNew;
    }
    while( next<=(unsigned int)a ) p->aOff[next++] = nEdge;
    p->aNbr[nEdge++] = (unsigned int)b;
  }
  if( rc!=SQLITE_DONE ) goto done;
  while( next<=p->nNode ) p->aOff[next++] = nEdge;
  p->nByte += sizeof(unsigned int)*(sqlite3_int64)nAlloc;
  bOk = p->nByte<=nBudget;
done:
  sqlite3_finalize(pStmt);
  if( !bOk ){
    lineage_csr_release(p);
    p = 0;
  }
  return p;
}

LineageCsr *lineage_cache_note_seek(LineageConn *c, int dir){
  struct CacheDir *d = &c->aDir[dir];
  sqlite3_int64 maxId = 0, nBudget;
  sqlite3_stmt *pStmt = 0;
  unsigned int v;
  int bOk;
  if( ++d->nSeek<d->nNextCheck ) return 0;
  v = data_version(c, &bOk);
  if( !bOk || !d->bCounting || d->version!=v ){
    d->nNextCheck = d->nSeek*2;          /* not now; look again later */
    return 0;
  }
  /* Loading costs about one seek per CACHE_SEEK_PER_EDGE edges; there are
  ** about as many edges as nodes in a lineage graph. */
  if( sqlite3_prepare_v2(c->db, "SELECT max(node_id) FROM main.lineage_node",
                         -1, &pStmt, 0)==SQLITE_OK
   && sqlite3_step(pStmt)==SQLITE_ROW ){
    maxId = sqlite3_column_int64(pStmt, 0);
  }
  sqlite3_finalize(pStmt);
  if( d->nSeek < maxId/CACHE_SEEK_PER_EDGE ){
    d->nNextCheck = maxId/CACHE_SEEK_PER_EDGE;
    return 0;
  }
  nBudget = c->limit - (c->aDir[!dir].pCsr ? c->aDir[!dir].pCsr->nByte : 0);
  cache_drop(c, dir);
  d->pCsr = csr_load(c->db, dir, nBudget);
  if( d->pCsr==0 ){
    d->nNextCheck = (sqlite3_int64)1 << 62;   /* does not fit: not for this data */
    return 0;
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
