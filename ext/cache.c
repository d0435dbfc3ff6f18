/*
** cache.c: per-connection state, and the adjacency cache of the walks.
**
**   SELECT lineage_cache();            -- '{"limit":134217728,...}'
**   SELECT lineage_cache(0);           -- turn the cache off (and free it)
**   SELECT lineage_cache(64<<20);      -- at most 64 MiB
**
** An index seek per node costs more than ten times what reading one edge in
** a range scan costs. So the node ids are cut into blocks of LINEAGE_BLOCK
** ids, and each connection counts, per direction and per block, the seeks
** its walks make into the block. Once they add up to about the cost of
** loading the block's edges (a sixteenth of its edges: a ski-rental rule,
** never far worse than the better choice) the block is loaded with one
** range scan of the index the seeks use, into compressed sparse rows (CSR):
** later walks, and the rest of the walk that triggered the load, read those
** nodes' neighbours from memory, in the order the seek gives. Lineage is
** recorded in order, so a walk's nodes sit in few blocks: a walk over 1% of
** a large graph loads about 1% of its edges, and a walk over all of it
** loads every block. The memory is bounded (lineage_cache(N) bytes, default
** 128 MiB, both directions; 0 turns the cache off).
**
** Never stale: a snapshot is tagged with SQLite's data version of main
** (SQLITE_FCNTL_DATA_VERSION), which changes with every commit, by this
** connection or any other. Inside a write transaction the cache is neither
** used nor loaded, so uncommitted (or rolled back) changes never enter it.
** A walk holds a reference to the snapshot it started with, and a block is
** only loaded into the snapshot of the data the connection sees.
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

#define CACHE_SEEK_COST      5      /* a seek costs ~5 edges of a range load */
#define CACHE_NEVER 0xffffffffu     /* nSeek: this block is not loaded */
#define CACHE_STMT_MAX      64      /* writers' statements kept */

struct LineageConn {
  int nRef;
  sqlite3 *db;
  sqlite3_int64 limit;          /* bytes; 0: no cache */
  sqlite3_int64 nBuild;         /* blocks loaded so far, for lineage_cache() */
  LineageModAux aAux[2];        /* pAux of the modules, one per direction */
  struct CacheDir {
    LineageCsr *pCsr;           /* the snapshot, or NULL */
    int bNone;                  /* no snapshot can be made for noneVersion */
    unsigned int noneVersion;
  } aDir[2];
  unsigned int *aScratch;       /* neighbours of the block being loaded */
  unsigned int nScratch;
  unsigned int aCount[LINEAGE_BLOCK+1];  /* its offsets, being counted */
  int nVtab;                    /* walk tables connected now */
  int bReplicated;              /* replicated mode (replicated.c) is on */
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
  c->limit = LINEAGE_CACHE_DEFAULT_LIMIT;
  for(i=0; i<2; i++){
    c->aAux[i].conn = c;
    c->aAux[i].dir = i;
  }
  return c;
}

void lineage_conn_ref(LineageConn *c){ c->nRef++; }

void lineage_csr_release(LineageCsr *p){
  if( p && --p->nRef==0 ){
    unsigned int i;
    for(i=0; i<p->nBlock; i++) sqlite3_free(p->apBlock[i]);
    sqlite3_free(p->apBlock);
    sqlite3_free(p->aSeeks);
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

int lineage_conn_replicated(LineageConn *c){ return c->bReplicated; }
void lineage_conn_set_replicated(LineageConn *c){ c->bReplicated = 1; }

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
    sqlite3_prepare_v2(c->db, "SELECT 1 FROM main.lineage_upstream(NULL) WHERE 0",
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
    sqlite3_free(c->aScratch);
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

static sqlite3_int64 cache_bytes(LineageConn *c){
  return (c->aDir[0].pCsr ? c->aDir[0].pCsr->nByte : 0)
       + (c->aDir[1].pCsr ? c->aDir[1].pCsr->nByte : 0);
}

/* An empty snapshot of direction dir for data version v, covering the ids
** up to the highest node_id, or fewer when the arrays of that many blocks
** would take more than a quarter of the limit (ids beyond are seeks). NULL
** when not even one block would fit. */
static LineageCsr *csr_new(LineageConn *c, int dir, unsigned int v){
  LineageCsr *p;
  sqlite3_int64 maxId, nBlock, nMax;
  if( max_node_id(c->db, &maxId)!=SQLITE_OK || maxId<0 ) return 0;
  nBlock = (maxId >> LINEAGE_BLOCK_BITS) + 1;
  nMax = c->limit/4/(sqlite3_int64)(sizeof(LineageBlock*)+sizeof(LineageSeeks));
  if( nMax > ((sqlite3_int64)0xffffffff >> LINEAGE_BLOCK_BITS) ){
    nMax = (sqlite3_int64)0xffffffff >> LINEAGE_BLOCK_BITS;
  }
  if( nBlock>nMax ) nBlock = nMax;
  if( nBlock<=0 ) return 0;
  p = sqlite3_malloc(sizeof(*p));
  if( p==0 ) return 0;
  memset(p, 0, sizeof(*p));
  p->nRef = 1;
  p->version = v;
  p->dir = dir;
  p->nBlock = (unsigned int)nBlock;
  p->nNode = (unsigned int)(nBlock << LINEAGE_BLOCK_BITS);
  p->apBlock = sqlite3_malloc64(sizeof(LineageBlock*)*(sqlite3_uint64)nBlock);
  p->aSeeks = sqlite3_malloc64(sizeof(LineageSeeks)*(sqlite3_uint64)nBlock);
  p->nByte = sizeof(*p)
           + (sizeof(LineageBlock*)+sizeof(LineageSeeks))*nBlock;
  if( p->apBlock==0 || p->aSeeks==0
   || p->nByte + (sqlite3_int64)sizeof(LineageBlock) + cache_bytes(c) > c->limit ){
    p->nBlock = 0;
    lineage_csr_release(p);
    return 0;
  }
  memset(p->apBlock, 0, sizeof(LineageBlock*)*(size_t)nBlock);
  memset(p->aSeeks, 0, sizeof(LineageSeeks)*(size_t)nBlock);
  return p;
}

LineageCsr *lineage_cache_get(LineageConn *c, int dir){
  struct CacheDir *d = &c->aDir[dir];
  int bOk;
  unsigned int v = data_version(c, &bOk);
  if( !bOk ) return 0;
  if( d->pCsr && d->pCsr->version!=v ) cache_drop(c, dir);
  if( d->pCsr==0 ){
    if( d->bNone && d->noneVersion==v ) return 0;
    d->pCsr = csr_new(c, dir, v);
    if( d->pCsr==0 ){
      d->bNone = 1;              /* not again for this data */
      d->noneVersion = v;
      return 0;
    }
  }
  d->pCsr->nRef++;
  return d->pCsr;
}

/* What lineage_cache_fill() fills: handed to it with sqlite3_bind_pointer,
** so that only this file's statement can pass it. */
#define CACHE_FILL_TYPE "lineage-cache-fill"
typedef struct BlockFill {
  LineageConn *c;
  sqlite3_int64 lo;            /* the block's first id */
  sqlite3_int64 nRoom;         /* bytes left under the limit */
  sqlite3_int64 lastKey, lastNbr;
  unsigned int n;              /* neighbours in c->aScratch */
  int bBad;                    /* not loadable (see block_load) */
  struct AllFill *pAll;        /* not one block: every edge (load_all) */
} BlockFill;

/* Every edge, for cache_load_all: the ones with both ends among the ids
** covered, and per direction each key's count and the blocks to leave to
** seeks. */
typedef struct AllFill {
  unsigned int nNode;
  sqlite3_int64 nMax;          /* edges that fit in the limit */
  unsigned int *aSrc, *aDst;
  sqlite3_int64 nEdge, nAlloc;
  unsigned int *aCnt[2];
  unsigned char *aBad[2];
  sqlite3_int64 lastX, lastY;  /* the scan must come in (dst,src) order */
} AllFill;

static void fill_all_push(BlockFill *f, sqlite3_int64 x, sqlite3_int64 y){
  AllFill *a = f->pAll;
  if( y<a->lastY || (y==a->lastY && x<=a->lastX) ){ f->bBad = 1; return; }
  a->lastX = x;
  a->lastY = y;
  if( x<0 || x>=a->nNode || y<0 || y>=a->nNode ){
    /* Keep the blocks of the ends that are covered on seeks. */
    if( x>=0 && x<a->nNode ) a->aBad[LINEAGE_DOWNSTREAM][x>>LINEAGE_BLOCK_BITS] = 1;
    if( y>=0 && y<a->nNode ) a->aBad[LINEAGE_UPSTREAM][y>>LINEAGE_BLOCK_BITS] = 1;
    return;
  }
  if( a->nEdge==a->nAlloc ){
    sqlite3_int64 nNew = a->nAlloc ? a->nAlloc*2 : 65536;
    unsigned int *a1, *a2;
    if( a->nEdge>=a->nMax ){ f->bBad = 1; return; }
    a1 = sqlite3_realloc64(a->aSrc, sizeof(unsigned int)*(sqlite3_uint64)nNew);
    if( a1 ) a->aSrc = a1;
    a2 = a1 ? sqlite3_realloc64(a->aDst, sizeof(unsigned int)*(sqlite3_uint64)nNew) : 0;
    if( a2 ) a->aDst = a2;
    if( a1==0 || a2==0 ){ f->bBad = 1; return; }
    a->nAlloc = nNew;
  }
  a->aSrc[a->nEdge] = (unsigned int)x;
  a->aDst[a->nEdge] = (unsigned int)y;
  a->aCnt[LINEAGE_DOWNSTREAM][x]++;
  a->aCnt[LINEAGE_UPSTREAM][y]++;
  a->nEdge++;
}

/* Append neighbour m of node key to the block being filled. */
static void fill_push(BlockFill *f, sqlite3_int64 key, sqlite3_int64 m){
  LineageConn *c = f->c;
  /* The rows must come in index order: the order a seek gives. */
  if( key<f->lo || key>=f->lo+LINEAGE_BLOCK || key<f->lastKey
   || (key==f->lastKey && m<=f->lastNbr)
   || m<0 || m>0xfffffffe || (sqlite3_int64)f->n*4>=f->nRoom ){
    f->bBad = 1;
    return;
  }
  if( f->n==c->nScratch ){
    unsigned int nNew = c->nScratch ? c->nScratch*2 : 4096;
    unsigned int *a = nNew>c->nScratch ? sqlite3_realloc64(c->aScratch,
                         sizeof(unsigned int)*(sqlite3_uint64)nNew) : 0;
    if( a==0 ){ f->bBad = 1; return; }
    c->aScratch = a;
    c->nScratch = nNew;
  }
  c->aScratch[f->n++] = (unsigned int)m;
  c->aCount[key - f->lo + 1]++;
  f->lastKey = key;
  f->lastNbr = m;
}

/* lineage_cache_fill(fill, key, neighbour): an aggregate the block loader
** runs over its range scan, so that each edge costs an aggregate step
** inside SQLite's own loop rather than a sqlite3_step() and two column
** reads. Called from user SQL, it has no fill to fill and says so. */
static void cache_fill_step(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  BlockFill *f = (BlockFill*)sqlite3_value_pointer(argv[0], CACHE_FILL_TYPE);
  (void)argc;
  if( f==0 ){
    sqlite3_result_error(ctx, "lineage: lineage_cache_fill() is internal "
                         "to the walks' cache", -1);
    return;
  }
  if( f->bBad ) return;
  if( sqlite3_value_type(argv[1])!=SQLITE_INTEGER
   || sqlite3_value_type(argv[2])!=SQLITE_INTEGER ){
    /* A key that is not an integer: a range scan would convert it (5.5 to
    ** 5), a seek would not match it. The block is left to the seeks, which
    ** report a neighbour that is not an integer. */
    f->bBad = 1;
    return;
  }
  if( f->pAll ){
    fill_all_push(f, sqlite3_value_int64(argv[1]), sqlite3_value_int64(argv[2]));
  }else{
    fill_push(f, sqlite3_value_int64(argv[1]), sqlite3_value_int64(argv[2]));
  }
}
static void cache_fill_final(sqlite3_context *ctx){ (void)ctx; }

int lineage_register_cache_fill(sqlite3 *db){
  return sqlite3_create_function_v2(db, "lineage_cache_fill", 3,
      SQLITE_UTF8|SQLITE_DIRECTONLY, 0, 0, cache_fill_step, cache_fill_final, 0);
}

/* Load block iBlock of snapshot p with one range scan of the index the
** seeks use, in its order. NULL when its edges do not fit in what is left
** of the limit, a neighbour id does not fit in 32 bits, or on an error (the
** walks then go on with seeks, which see the same edges). */
static LineageBlock *block_load(LineageConn *c, LineageCsr *p,
                                unsigned int iBlock){
  static const char *azSql[2] = {
    "SELECT lineage_cache_fill(?3, dst, src) FROM main.lineage_edge "
    "WHERE dst>=?1 AND dst<?2",                           /* upstream */
    "SELECT lineage_cache_fill(?3, src, dst) FROM main.lineage_edge "
    "WHERE src>=?1 AND src<?2",                           /* downstream */
  };
  BlockFill f;
  sqlite3_stmt *pStmt;
  LineageBlock *b = 0;
  unsigned int i, sum = 0;
  int rc;

  memset(&f, 0, sizeof(f));
  f.c = c;
  f.lo = (sqlite3_int64)iBlock << LINEAGE_BLOCK_BITS;
  f.nRoom = c->limit - cache_bytes(c) - (sqlite3_int64)sizeof(LineageBlock);
  f.lastKey = f.lo;
  f.lastNbr = -1;
  pStmt = lineage_conn_stmt(c, azSql[p->dir], &rc);
  if( pStmt==0 ) return 0;
  memset(c->aCount, 0, sizeof(c->aCount));
  sqlite3_bind_int64(pStmt, 1, f.lo);
  sqlite3_bind_int64(pStmt, 2, f.lo + LINEAGE_BLOCK);
  sqlite3_bind_pointer(pStmt, 3, &f, CACHE_FILL_TYPE, 0);
  rc = sqlite3_step(pStmt);
  lineage_conn_stmt_done(c, pStmt);
  if( rc!=SQLITE_ROW || f.bBad ) return 0;
  b = sqlite3_malloc64(sizeof(LineageBlock)
                       + sizeof(unsigned int)*(sqlite3_uint64)f.n);
  if( b==0 ) return 0;
  for(i=0; i<=LINEAGE_BLOCK; i++){ sum += c->aCount[i]; b->aOff[i] = sum; }
  b->nNbr = f.n;
  if( f.n ) memcpy(b->aNbr, c->aScratch, sizeof(unsigned int)*f.n);
  p->nByte += sizeof(LineageBlock) + sizeof(unsigned int)*(sqlite3_int64)f.n;
  p->nLoaded++;
  c->nBuild++;
  return b;
}

/* Whether the one-scan load fills block b of p: not loaded, and not left
** to seeks (by an earlier failed load, or aBad from this scan). */
static int block_to_fill(const LineageCsr *p, const unsigned char *aBad,
                         unsigned int b){
  return p->apBlock[b]==0 && !aBad[b] && p->aSeeks[b].nSeek!=CACHE_NEVER;
}

/* The snapshot of direction dir for data version v (made if need be), or
** NULL; no reference is taken. */
static LineageCsr *snapshot_for(LineageConn *c, int dir, unsigned int v){
  LineageCsr *p = lineage_cache_get(c, dir);
  if( p ){
    p->nRef--;                   /* still held by the connection */
    if( p->version!=v ) p = 0;
  }
  return p;
}

/* Load every block not loaded yet, both directions, from ONE scan of the
** (dst,src) index, the smallest that holds every edge: each key's
** neighbours then come in ascending order in both directions, as a seek
** gives them. A node outside the ids the snapshots cover keeps its seeks,
** and so does every node of a block with a neighbour id that does not fit
** 32 bits. Nothing is loaded if the blocks would not fit in the limit or
** on an error. */
static void cache_load_all(LineageConn *c, unsigned int v){
  LineageCsr *ap[2];
  sqlite3_stmt *pStmt = 0;
  unsigned int *aSrc, *aDst, *aCnt[2] = {0, 0}, *aTot[2] = {0, 0};
  unsigned char *aBad[2] = {0, 0};
  LineageBlock **apNew[2] = {0, 0};
  sqlite3_int64 nEdge, nNeed = 0, i;
  unsigned int nNode, nBlk = 0, b, d;
  BlockFill f;
  AllFill all;
  int rc;

  memset(&all, 0, sizeof(all));
  ap[0] = snapshot_for(c, 0, v);
  ap[1] = snapshot_for(c, 1, v);
  if( ap[0]==0 || ap[1]==0 ) return;
  ap[0]->bAllTried = ap[1]->bAllTried = 1;
  nNode = ap[0]->nNode<ap[1]->nNode ? ap[0]->nNode : ap[1]->nNode;
  /* The counts, a word per id and direction, are held while it runs: they
  ** must fit in the limit too (ids far apart make them large). */
  if( 8*(sqlite3_int64)nNode > c->limit ) return;
  for(d=0; d<2; d++){
    aCnt[d] = sqlite3_malloc64(sizeof(unsigned int)*((sqlite3_uint64)nNode+1));
    aBad[d] = sqlite3_malloc64((sqlite3_uint64)(nNode>>LINEAGE_BLOCK_BITS)+1);
    if( aCnt[d]==0 || aBad[d]==0 ) goto done;
    memset(aCnt[d], 0, sizeof(unsigned int)*((size_t)nNode+1));
    memset(aBad[d], 0, (size_t)(nNode>>LINEAGE_BLOCK_BITS)+1);
    all.aCnt[d] = aCnt[d];
    all.aBad[d] = aBad[d];
  }
  /* One aggregate over the scan, as for a block (see block_load). */
  memset(&f, 0, sizeof(f));
  f.c = c;
  f.pAll = &all;
  all.nNode = nNode;
  all.nMax = c->limit/8;       /* the edges, twice, beside the blocks */
  all.lastX = all.lastY = -((sqlite3_int64)1 << 62);
  pStmt = lineage_conn_stmt(c, "SELECT lineage_cache_fill(?1, src, dst) "
                            "FROM main.lineage_edge INDEXED BY lineage_edge_dst",
                            &rc);
  if( pStmt==0 ) goto done;
  sqlite3_bind_pointer(pStmt, 1, &f, CACHE_FILL_TYPE, 0);
  rc = sqlite3_step(pStmt);
  lineage_conn_stmt_done(c, pStmt);
  if( rc!=SQLITE_ROW || f.bBad ) goto done;
  aSrc = all.aSrc;
  aDst = all.aDst;
  nEdge = all.nEdge;

  /* What the new blocks take; each key's count becomes its place in its
  ** block, aTot[d][b] the block's size. */
  nBlk = (nNode-1)/LINEAGE_BLOCK + 1;
  for(d=0; d<2; d++){
    apNew[d] = sqlite3_malloc64(sizeof(LineageBlock*)*(sqlite3_uint64)nBlk);
    if( apNew[d]==0 ) goto done;
    memset(apNew[d], 0, sizeof(LineageBlock*)*nBlk);
    aTot[d] = sqlite3_malloc64(sizeof(unsigned int)*(sqlite3_uint64)nBlk);
    if( aTot[d]==0 ) goto done;
    for(b=0; b<nBlk; b++){
      unsigned int k, sum = 0, first = b<<LINEAGE_BLOCK_BITS;
      for(k=0; k<LINEAGE_BLOCK && first+k<nNode; k++){
        unsigned int n = aCnt[d][first+k];
        aCnt[d][first+k] = sum;
        sum += n;
      }
      aTot[d][b] = sum;
      if( block_to_fill(ap[d], aBad[d], b) ){
        nNeed += sizeof(LineageBlock) + sizeof(unsigned int)*(sqlite3_int64)sum;
      }
    }
  }
  if( cache_bytes(c) + nNeed > c->limit ) goto done;
  for(d=0; d<2; d++){
    for(b=0; b<nBlk; b++){
      unsigned int k, first = b<<LINEAGE_BLOCK_BITS;
      LineageBlock *pNew;
      if( !block_to_fill(ap[d], aBad[d], b) ) continue;
      pNew = sqlite3_malloc64(sizeof(LineageBlock)
                              + sizeof(unsigned int)*(sqlite3_uint64)aTot[d][b]);
      if( pNew==0 ) goto done;
      for(k=0; k<LINEAGE_BLOCK; k++){
        pNew->aOff[k] = first+k<nNode ? aCnt[d][first+k] : aTot[d][b];
      }
      pNew->aOff[LINEAGE_BLOCK] = aTot[d][b];
      pNew->nNbr = aTot[d][b];
      apNew[d][b] = pNew;
    }
  }
  /* Place the neighbours: the scan's order keeps each key's ascending. */
  for(i=0; i<nEdge; i++){
    unsigned int x = aSrc[i], y = aDst[i];
    LineageBlock *pb = apNew[LINEAGE_DOWNSTREAM][x>>LINEAGE_BLOCK_BITS];
    if( pb ) pb->aNbr[aCnt[LINEAGE_DOWNSTREAM][x]++] = y;
    pb = apNew[LINEAGE_UPSTREAM][y>>LINEAGE_BLOCK_BITS];
    if( pb ) pb->aNbr[aCnt[LINEAGE_UPSTREAM][y]++] = x;
  }
  for(d=0; d<2; d++){
    for(b=0; b<nBlk; b++){
      if( apNew[d][b]==0 ) continue;
      ap[d]->apBlock[b] = apNew[d][b];
      apNew[d][b] = 0;
      ap[d]->nByte += sizeof(LineageBlock)
                    + sizeof(unsigned int)*(sqlite3_int64)aTot[d][b];
      ap[d]->nLoaded++;
      c->nBuild++;
    }
  }
done:
  sqlite3_free(all.aSrc);
  sqlite3_free(all.aDst);
  for(d=0; d<2; d++){
    if( apNew[d] ){
      for(b=0; b<nBlk; b++) sqlite3_free(apNew[d][b]);
    }
    sqlite3_free(apNew[d]);
    sqlite3_free(aTot[d]);
    sqlite3_free(aCnt[d]);
    sqlite3_free(aBad[d]);
  }
}

/* Whether p is the snapshot of the data this connection sees now: the
** only one blocks may be loaded into. */
static int snapshot_current(LineageConn *c, const LineageCsr *p){
  int bOk;
  return data_version(c, &bOk)==p->version && bOk && c->aDir[p->dir].pCsr==p;
}

const LineageBlock *lineage_cache_block(LineageConn *c, LineageCsr *p,
                                        sqlite3_int64 id){
  LineageSeeks *q;
  unsigned int iBlock;
  sqlite3_uint64 nSpent, nLoad;
  if( id<0 || id>=(sqlite3_int64)p->nNode ) return 0;
  iBlock = (unsigned int)(id >> LINEAGE_BLOCK_BITS);
  if( p->apBlock[iBlock] ) return p->apBlock[iBlock];
  q = &p->aSeeks[iBlock];
  if( q->nSeek==CACHE_NEVER || q->nSeek==0 ) return 0;
  /* A big walk, or many small ones all over the graph: once half the
  ** blocks are loaded, or the seeks (in the units above) add up to what
  ** loading every edge costs (edges estimated from the neighbours per
  ** seek), load the rest from one scan. */
  if( !p->bAllTried
   && (p->nLoaded*2>=p->nBlock
       || (p->nSeekAll*CACHE_SEEK_COST + p->nRowAll)*p->nSeekAll
           >= (p->nRowAll+1)*(sqlite3_int64)p->nNode)
   && snapshot_current(c, p) ){
    cache_load_all(c, p->version);
    if( p->apBlock[iBlock] ) return p->apBlock[iBlock];
  }
  /* Ski rental, in units of one edge of a range load: the seeks so far
  ** cost CACHE_SEEK_COST each plus one a neighbour; loading costs the
  ** block's edges, estimated from the neighbours per seek. */
  nSpent = (sqlite3_uint64)q->nSeek*CACHE_SEEK_COST + q->nRow;
  nLoad = ((sqlite3_uint64)q->nRow + 1)*LINEAGE_BLOCK/q->nSeek;
  /* Walks are local: when the blocks loaded so far have served many nodes
  ** (nHit per id loaded), a new block will likely be too, and is loaded
  ** sooner, down to an eighth of the rent; blocks loaded for little bring
  ** the rule back to plain ski rental. */
  if( p->nLoaded>0 ){
    sqlite3_int64 nUse = p->nHit*8/(p->nLoaded*LINEAGE_BLOCK);
    nLoad = nLoad*(sqlite3_uint64)(8 - (nUse>7 ? 7 : nUse))/8;
  }
  if( nSpent<nLoad || !snapshot_current(c, p) ) return 0;
  p->apBlock[iBlock] = block_load(c, p, iBlock);
  if( p->apBlock[iBlock]==0 ) q->nSeek = CACHE_NEVER;
  return p->apBlock[iBlock];
}

void lineage_cache_seeked(LineageCsr *p, sqlite3_int64 id, unsigned int nRow){
  LineageSeeks *q;
  if( id<0 || id>=(sqlite3_int64)p->nNode ) return;
  q = &p->aSeeks[id >> LINEAGE_BLOCK_BITS];
  if( q->nSeek>=CACHE_NEVER-1 || q->nRow>CACHE_NEVER-1-nRow ) return;
  q->nSeek++;
  q->nRow += nRow;
  p->nSeekAll++;
  p->nRowAll += nRow;
}

/* lineage_cache([limit]): set the limit in bytes (0: off; either way the
** cache is emptied), report the state as JSON: limit, bytes held per
** direction, blocks loaded so far. */
void lineage_fn_cache(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  LineageConn *c = (LineageConn*)sqlite3_user_data(ctx);
  char *z;
  if( argc>0 ){
    if( sqlite3_value_numeric_type(argv[0])!=SQLITE_INTEGER
     || sqlite3_value_int64(argv[0])<0 ){
      char *zErr = lineage_mprintf("lineage: the cache limit must be a "
          "number of bytes >= 0 (0 turns the cache off), not '%s'",
          sqlite3_value_text(argv[0]));
      sqlite3_result_error(ctx, zErr ? zErr : "lineage: out of memory", -1);
      sqlite3_free(zErr);
      return;
    }
    /* A new limit starts the cache afresh. */
    c->limit = sqlite3_value_int64(argv[0]);
    cache_drop(c, 0);
    cache_drop(c, 1);
    c->aDir[0].bNone = c->aDir[1].bNone = 0;
  }
  z = sqlite3_mprintf("{\"limit\":%lld,\"upstream_bytes\":%lld,"
      "\"downstream_bytes\":%lld,\"loads\":%lld}", c->limit,
      c->aDir[0].pCsr ? c->aDir[0].pCsr->nByte : 0,
      c->aDir[1].pCsr ? c->aDir[1].pCsr->nByte : 0, c->nBuild);
  if( z==0 ){ sqlite3_result_error_nomem(ctx); return; }
  sqlite3_result_text(ctx, z, -1, sqlite3_free);
}
