/*
** cache.c: the packed blocks (adjacency.c) as a connection's walks read
** them, and what it keeps of them between walks.
**
**   SELECT lineage_cache();            -- '{"limit":134217728,...}'
**   SELECT lineage_cache(0);           -- keep nothing between walks
**   SELECT lineage_cache(64<<20);      -- keep at most 64 MiB
**
** A walk opens a reader on the snapshot of one direction: how many blocks
** are packed and whether there are nodes, read by one statement, and the
** dirty nodes (sorted, for a binary search; read only when there are some).
** A node is read from its block unless it is dirty, beyond the block after
** the packed ones, negative, or its slot says its list is too long; then the
** walker seeks lineage_edge. A block is read with sqlite3_blob_open (then
** _reopen) the first time a walk needs it, checked, its slots' lengths
** turned into offsets, and kept in the snapshot while the bytes held stay
** under the limit (the BLOB and 1 KiB of offsets a block), so the walks
** after the first read memory only; only the visited node's slot is decoded.
** The block after the packed ones (the newest ids, which the writers do not
** store until it is complete) is packed from lineage_edge in memory, by one
** range scan, the first time a walk needs it, and kept likewise. A list too
** long for its block is read from lineage_adj_long (its neighbours below its
** bound), and the walker seeks the rest (or all of it, when it has no row
** there), offering the neighbours as they come (lineage_adj_offer); read to
** the end, the whole list is kept likewise, in a slot's encoding, and read
** as a slot by the next walks.
**
** Never stale: a snapshot kept is tagged with SQLite's data version of main
** (SQLITE_FCNTL_DATA_VERSION), which changes with every commit, by this
** connection or any other. Inside a write transaction nothing is kept: each
** walk reads a snapshot of its own, seeing the transaction's own (dirty,
** packed or rolled back) state. A walk holds a reference to its snapshot.
*/
#include "lineage.h"
#include <string.h>

/* Bytes of blocks a connection keeps, both directions. */
#define CACHE_DEFAULT_LIMIT  LINEAGE_CACHE_DEFAULT_LIMIT

/* The snapshot's arrays (12 bytes a block of 256 ids) take at most this
** share of the limit: 1/4 of the default covers 2.8 billion ids, so only an
** id made by hand far beyond the graph's is sought for lack of room. */
#define CACHE_INDEX_SHARE 4

/* A long list (lineage_adj_long) is read this many bytes at a time, as the
** walk decodes it: the first rows of a walk from a hub come after one
** chunk, not the whole list (0.6 MiB for the 1M diamond's tokenizer, whose
** whole read put its first row at 2.5 ms). */
#define LONG_CHUNK 4096

#define BLOCK_UNREAD   (-2)   /* anByte[]: not read yet */
#define BLOCK_UNUSABLE (-1)   /*           not a valid block: seek its nodes */

/* A node's neighbour list too long for its block, as the walker's seek
** gave it, in a slot's encoding. */
typedef struct LongList {
  sqlite3_int64 id;
  unsigned char *a;
  int n;
} LongList;

typedef struct Snap {
  int nRef;
  int bKept;                  /* held by the connection for version */
  unsigned int version;       /* SQLite's data version of main */
  int dir;
  sqlite3_int64 nPacked;      /* ids 0 .. nPacked-1 live in blocks */
  int bTail;                  /* the newest ids may be packed */
  int bAnyDirty;              /* lineage_adj_dirty has rows */
  sqlite3_int64 *aDirty;      /* sorted: nodes to seek */
  int nDirty;
  sqlite3_int64 nBlock;       /* blocks packed in the database */
  unsigned char **apBlock;    /* nBlock+1: the block in memory, or NULL */
  int *anByte;                /* its size, or BLOCK_UNREAD/_UNUSABLE */
  sqlite3_int64 nByte;        /* bytes of blocks and long lists held */
  LongList *aLong;            /* kept long lists, by id (kept snapshots) */
  int nLong, nLongAlloc;
} Snap;

struct LineageCache {
  LineageConn *conn;
  sqlite3 *db;
  sqlite3_int64 limit;        /* bytes kept between walks; 0: none */
  sqlite3_int64 nLoad;        /* blocks read (or packed) from the database */
  Snap *apKept[2];            /* per direction, or NULL */
};

struct LineageAdjReader {
  LineageCache *c;
  Snap *p;
  sqlite3_blob *pBlob;        /* on the last block read */
  unsigned char *aBuf;        /* a block not kept (over the limit) */
  sqlite3_int64 iBuf;         /* its number, -1: none */
  sqlite3_int64 nBufAlloc;
  sqlite3_int64 iPend;        /* the long list the seek is offering, -1: none */
  LineageList pend;           /* its neighbours so far, encoded */
  int bPendStored;            /* pend began with a list read (and counted) */
  sqlite3_blob *pLong;        /* on the long list being read, or NULL */
  int nLong, iLong;           /* its bytes, and how many are read */
  unsigned char *aChunk;      /* LONG_CHUNK of them (+ a varint carried) */
  int nChunk;                 /* bytes in aChunk */
};

LineageCache *lineage_cache_new(LineageConn *conn, sqlite3 *db){
  LineageCache *c = sqlite3_malloc(sizeof(*c));
  if( c==0 ) return 0;
  memset(c, 0, sizeof(*c));
  c->conn = conn;
  c->db = db;
  c->limit = CACHE_DEFAULT_LIMIT;
  return c;
}

static void snap_release(Snap *p){
  if( p && --p->nRef==0 ){
    sqlite3_int64 i;
    int j;
    for(i=0; p->apBlock && i<=p->nBlock; i++) sqlite3_free(p->apBlock[i]);
    for(j=0; j<p->nLong; j++) sqlite3_free(p->aLong[j].a);
    sqlite3_free(p->aLong);
    sqlite3_free(p->apBlock);
    sqlite3_free(p->anByte);
    sqlite3_free(p->aDirty);
    sqlite3_free(p);
  }
}

static void cache_drop(LineageCache *c){
  snap_release(c->apKept[0]);
  snap_release(c->apKept[1]);
  c->apKept[0] = c->apKept[1] = 0;
}

void lineage_cache_free(LineageCache *c){
  if( c ){
    cache_drop(c);
    sqlite3_free(c);
  }
}

/* Whether the three triggers that keep the blocks exact are on
** lineage_edge (not so when lineage_edge was dropped and made anew by
** hand): their rows of sqlite_schema, matched by name here. Asked of SQLite
** as a count over those names, the same check cost a fresh connection's
** first walk about 100,000 instructions (the IN list's ephemeral table, or
** the OR's analysis, in the prepare); the rows stepped here, about 60,000. */
static int snap_triggers(LineageCache *c){
  static const char *const azTrigger[] = {
    "lineage_edge_adj_insert", "lineage_edge_adj_delete",
    "lineage_edge_adj_update" };
  int rc, nFound = 0, i;
  sqlite3_stmt *pStmt = lineage_conn_stmt(c->conn,
      "SELECT name FROM main.sqlite_schema "
      "WHERE type='trigger' AND tbl_name='lineage_edge'", &rc);
  while( pStmt && sqlite3_step(pStmt)==SQLITE_ROW ){
    const char *zName = (const char*)sqlite3_column_text(pStmt, 0);
    for(i=0; zName && i<3; i++) nFound += strcmp(zName, azTrigger[i])==0;
  }
  lineage_conn_stmt_done(c->conn, pStmt);
  return nFound==3;
}

/* The number of packed blocks into p->nBlock (0 when it is NULL, the
** triggers are missing, or the statement fails: no such table, a database
** without lineage, or of schema version 1 before its first write, has no
** blocks) and whether any node is dirty; p->bTail when lineage_meta could
** be read (the newest ids may then be packed from lineage_edge). */
static void snap_extent(LineageCache *c, Snap *p){
  int rc;
  sqlite3_stmt *pStmt = lineage_conn_stmt(c->conn,
      "SELECT (SELECT value FROM main.lineage_meta WHERE key='adj_blocks'), "
      "EXISTS (SELECT 1 FROM main.lineage_adj_dirty)", &rc);
  if( pStmt && sqlite3_step(pStmt)==SQLITE_ROW ){
    p->bTail = 1;
    if( sqlite3_column_type(pStmt, 0)==SQLITE_INTEGER ){
      p->nBlock = sqlite3_column_int64(pStmt, 0);
    }
    p->bAnyDirty = sqlite3_column_int(pStmt, 1);
  }
  lineage_conn_stmt_done(c->conn, pStmt);
  if( p->nBlock && !snap_triggers(c) ) p->nBlock = 0;
}

/* The dirty nodes of direction dir, ascending, into p. */
static int snap_dirty(LineageCache *c, Snap *p){
  int rc, nAlloc = 0;
  sqlite3_stmt *pStmt = lineage_conn_stmt(c->conn,
      "SELECT node_key>>1 FROM main.lineage_adj_dirty "
      "WHERE (node_key & 1)=?1 ORDER BY node_key", &rc);
  if( pStmt==0 ) return rc;
  sqlite3_bind_int(pStmt, 1, p->dir);
  while( (rc = sqlite3_step(pStmt))==SQLITE_ROW ){
    if( p->nDirty==nAlloc ){
      int nNew = nAlloc ? nAlloc*2 : 64;
      sqlite3_int64 *aNew = sqlite3_realloc64(p->aDirty,
                                  sizeof(*aNew)*(sqlite3_uint64)nNew);
      if( aNew==0 ){ rc = SQLITE_NOMEM; break; }
      p->aDirty = aNew;
      nAlloc = nNew;
    }
    p->aDirty[p->nDirty++] = sqlite3_column_int64(pStmt, 0);
  }
  lineage_conn_stmt_done(c->conn, pStmt);
  return rc==SQLITE_DONE ? SQLITE_OK : rc;
}

/* A snapshot of direction dir of the data the connection sees now. */
static int snap_new(LineageCache *c, int dir, Snap **pp){
  Snap *p = sqlite3_malloc(sizeof(*p));
  sqlite3_int64 nMax;
  int rc = SQLITE_OK;
  *pp = 0;
  if( p==0 ) return SQLITE_NOMEM;
  memset(p, 0, sizeof(*p));
  p->nRef = 1;
  p->dir = dir;
  snap_extent(c, p);
  /* The arrays take 12 bytes a block, a share of the limit at most (ids
  ** beyond are sought). */
  nMax = (c->limit>CACHE_DEFAULT_LIMIT ? c->limit : CACHE_DEFAULT_LIMIT)
         / CACHE_INDEX_SHARE / (sizeof(*p->apBlock) + sizeof(*p->anByte));
  if( p->nBlock>nMax ) p->nBlock = nMax;
  if( p->nBlock<0 ) p->nBlock = 0;
  p->nPacked = p->nBlock*LINEAGE_ADJ_BLOCK;
  /* One more: the block after the packed ones (the newest ids, up to one
  ** block, see adjacency.c), packed from lineage_edge in memory when a
  ** walk first needs it. */
  if( p->bTail ){
    sqlite3_uint64 n = (sqlite3_uint64)p->nBlock+1;
    p->apBlock = sqlite3_malloc64(sizeof(*p->apBlock)*n);
    if( p->apBlock ) memset(p->apBlock, 0, sizeof(*p->apBlock)*(size_t)n);
    p->anByte = sqlite3_malloc64(sizeof(*p->anByte)*n);
    if( p->apBlock==0 || p->anByte==0 ){
      rc = SQLITE_NOMEM;
    }else{
      sqlite3_int64 i;
      for(i=0; i<=p->nBlock; i++) p->anByte[i] = BLOCK_UNREAD;
      if( p->bAnyDirty && p->nBlock>0 ) rc = snap_dirty(c, p);
    }
  }
  if( rc ){
    snap_release(p);
    return rc;
  }
  *pp = p;
  return SQLITE_OK;
}

int lineage_adj_open(LineageConn *conn, int dir, LineageAdjReader **pp){
  LineageCache *c = lineage_conn_cache(conn);
  LineageAdjReader *r;
  Snap *p = 0;
  unsigned int v = 0;
  int rc, bKeep;
  *pp = 0;
  bKeep = c->limit>0
       && sqlite3_txn_state(c->db, "main")!=SQLITE_TXN_WRITE
       && sqlite3_file_control(c->db, "main", SQLITE_FCNTL_DATA_VERSION, &v)
          ==SQLITE_OK;
  if( bKeep && c->apKept[dir] && c->apKept[dir]->version==v ){
    p = c->apKept[dir];
    p->nRef++;
  }else{
    rc = snap_new(c, dir, &p);
    if( rc ) return rc;
    if( bKeep ){
      snap_release(c->apKept[dir]);
      c->apKept[dir] = p;
      p->bKept = 1;
      p->version = v;
      p->nRef++;
    }
  }
  r = sqlite3_malloc(sizeof(*r));
  if( r==0 ){
    snap_release(p);
    return SQLITE_NOMEM;
  }
  memset(r, 0, sizeof(*r));
  r->c = c;
  r->p = p;
  r->iBuf = -1;
  r->iPend = -1;
  *pp = r;
  return SQLITE_OK;
}

void lineage_adj_close(LineageAdjReader *r){
  if( r ){
    if( r->pBlob ) sqlite3_blob_close(r->pBlob);
    snap_release(r->p);
    sqlite3_free(r->aBuf);
    if( r->pLong ) sqlite3_blob_close(r->pLong);
    sqlite3_free(r->pend.a);
    sqlite3_free(r->aChunk);
    sqlite3_free(r);
  }
}

static int is_dirty(const Snap *p, sqlite3_int64 id){
  int lo = 0, hi = p->nDirty;
  while( lo<hi ){
    int mid = (lo+hi)/2;
    if( p->aDirty[mid]<id ) lo = mid+1; else hi = mid;
  }
  return lo<p->nDirty && p->aDirty[lo]==id;
}

/* A block in memory: where each slot starts (lineage_adj_decode), then
** the BLOB's bytes. */
#define BLOCK_OFFS (sizeof(unsigned int)*LINEAGE_ADJ_OFFS)

/* Memory for block b of n bytes: kept in the snapshot while under the
** limit (a snapshot of one walk's own, inside a write transaction, by the
** default limit), else the reader's own buffer, for this block only. The
** offsets first, then the BLOB. NULL: out of memory. */
static unsigned char *reader_room(LineageAdjReader *r, int n, int *pbKept){
  Snap *p = r->p;
  LineageCache *c = r->c;
  sqlite3_int64 nAll = (sqlite3_int64)BLOCK_OFFS + n;
  unsigned char *a = p->nByte + nAll <= (c->limit>0 ? c->limit : CACHE_DEFAULT_LIMIT)
                   ? sqlite3_malloc64((sqlite3_uint64)nAll) : 0;
  *pbKept = a!=0;
  if( a ) return a;
  if( r->nBufAlloc<nAll ){
    unsigned char *aNew = sqlite3_realloc64(r->aBuf, (sqlite3_uint64)nAll);
    if( aNew==0 ) return 0;
    r->aBuf = aNew;
    r->nBufAlloc = nAll;
  }
  r->iBuf = -1;
  return r->aBuf;
}

/* a (from reader_room, its BLOB of n bytes in place) decoded as block b:
** a, or NULL when it is not a valid block (its nodes are sought). */
static const unsigned char *reader_decoded(LineageAdjReader *r, sqlite3_int64 b,
                                           unsigned char *a, int n, int bKept){
  Snap *p = r->p;
  if( !lineage_adj_decode(a + BLOCK_OFFS, n, (unsigned int*)a) ){
    /* Not a block of this format (an earlier release's, or damaged). */
    p->anByte[b] = BLOCK_UNUSABLE;
    if( bKept ) sqlite3_free(a);
    return 0;
  }
  if( !bKept ){
    r->iBuf = b;
    return a;
  }
  p->apBlock[b] = a;
  p->anByte[b] = (int)BLOCK_OFFS + n;
  p->nByte += (sqlite3_int64)BLOCK_OFFS + n;
  return a;
}

/* Block b after the packed ones, packed from lineage_edge now (one range
** scan: cheaper than seeking its nodes one by one); NULL: seek them. */
static const unsigned char *reader_tail(LineageAdjReader *r, sqlite3_int64 b){
  unsigned char *aBlob = 0, *a;
  int n = 0, bKept;
  int rc = lineage_adj_pack(r->c->db, r->c->conn, r->p->dir, b, &aBlob, &n);
  if( rc || aBlob==0 ){
    /* No neighbours, an id that is not an integer (the seek reports it),
    ** or an error (the seek meets it too). */
    if( rc!=SQLITE_NOMEM ) r->p->anByte[b] = BLOCK_UNUSABLE;
    sqlite3_free(aBlob);
    return 0;
  }
  r->c->nLoad++;
  a = reader_room(r, n, &bKept);
  if( a ) memcpy(a + BLOCK_OFFS, aBlob, (size_t)n);
  sqlite3_free(aBlob);
  return a ? reader_decoded(r, b, a, n, bKept) : 0;
}

/* *pp on row key of zTable's data column: reopened when it is open, else
** opened (*pp NULL on failure). SQLITE_OK, or SQLITE_ERROR for no such
** row or table. */
static int blob_at(sqlite3 *db, const char *zTable, sqlite3_int64 key,
                   sqlite3_blob **pp){
  int rc = *pp ? sqlite3_blob_reopen(*pp, key) : SQLITE_ERROR;
  if( rc ){
    if( *pp ) sqlite3_blob_close(*pp);
    *pp = 0;
    rc = sqlite3_blob_open(db, "main", zTable, "data", key, 0, pp);
    if( rc ){
      if( *pp ) sqlite3_blob_close(*pp);
      *pp = 0;
    }
  }
  return rc;
}

/* Block b, decoded, read from the database if need be; NULL: seek its
** nodes. */
static const unsigned char *reader_block(LineageAdjReader *r, sqlite3_int64 b){
  Snap *p = r->p;
  LineageCache *c = r->c;
  sqlite3_int64 key = b*2 + p->dir;
  unsigned char *a;
  int n, bKept, rc;
  if( p->anByte[b]!=BLOCK_UNREAD ) return p->apBlock[b];
  if( r->iBuf==b ) return r->aBuf;
  if( b==p->nBlock ) return reader_tail(r, b);
  rc = blob_at(c->db, "lineage_adj", key, &r->pBlob);
  if( rc ){
    /* No such row (a block without neighbours, rare), or no table: its
    ** nodes are sought, which is right either way. */
    if( rc==SQLITE_ERROR ) p->anByte[b] = BLOCK_UNUSABLE;
    return 0;
  }
  n = sqlite3_blob_bytes(r->pBlob);
  c->nLoad++;
  a = reader_room(r, n, &bKept);
  if( a==0 ) return 0;
  if( sqlite3_blob_read(r->pBlob, a + BLOCK_OFFS, n, 0)!=SQLITE_OK ){
    if( bKept ) sqlite3_free(a);
    return 0;
  }
  return reader_decoded(r, b, a, n, bKept);
}

/* Where id is, or would go, in p->aLong. */
static int long_index(const Snap *p, sqlite3_int64 id){
  int lo = 0, hi = p->nLong;
  while( lo<hi ){
    int mid = (lo+hi)/2;
    if( p->aLong[mid].id<id ) lo = mid+1; else hi = mid;
  }
  return lo;
}

/* The next chunk of the long list being read into s (its varint cut at
** the chunk's end carried over), appended to the list being kept: 1, or 0
** at its end or on an error (r->iLong = -1). */
static int reader_chunk(LineageAdjReader *r, LineageSlot *s){
  int nCarry = r->nChunk - (int)(s->pEnd - r->aChunk), n, nEnd;
  if( r->pLong==0 || r->iLong<0 ) return 0;
  if( nCarry>0 ) memmove(r->aChunk, s->pEnd, (size_t)nCarry);
  n = r->nLong - r->iLong;
  if( n>LONG_CHUNK ) n = LONG_CHUNK;
  if( n==0 ) return 0;                  /* the end (nothing was carried) */
  if( sqlite3_blob_read(r->pLong, r->aChunk + nCarry, n, r->iLong)!=SQLITE_OK ){
    r->iLong = -1;
    return 0;
  }
  r->iLong += n;
  r->nChunk = nCarry + n;
  nEnd = r->nChunk;
  if( r->iLong<r->nLong ){
    /* Up to the end of the last whole varint. */
    while( nEnd>0 && (r->aChunk[nEnd-1] & 0x80) ) nEnd--;
  }
  s->p = r->aChunk;
  s->pEnd = r->aChunk + nEnd;
  if( r->iPend>=0 && !lineage_list_bytes(&r->pend, r->aChunk, nEnd) ){
    r->iPend = -1;
  }
  return 1;
}

/* Start reading node id's list as lineage_adj_long stores it into *s,
** and its bound into *piFrom: 1, or 0 when it has no row (its whole list
** is sought). */
static int reader_stored(LineageAdjReader *r, sqlite3_int64 id, LineageSlot *s,
                         sqlite3_int64 *piFrom){
  sqlite3_int64 key = id*2 + r->p->dir;
  int rc, bFound = 0;
  sqlite3_stmt *pStmt = lineage_conn_stmt(r->c->conn,
      "SELECT bound FROM main.lineage_adj_long WHERE node_key=?1", &rc);
  if( pStmt==0 ) return 0;
  sqlite3_bind_int64(pStmt, 1, key);
  if( sqlite3_step(pStmt)==SQLITE_ROW
   && sqlite3_column_type(pStmt, 0)==SQLITE_INTEGER ){
    *piFrom = sqlite3_column_int64(pStmt, 0);
    bFound = 1;
  }
  lineage_conn_stmt_done(r->c->conn, pStmt);
  if( !bFound ) return 0;
  if( r->aChunk==0 && (r->aChunk = sqlite3_malloc(LONG_CHUNK+16))==0 ) return 0;
  if( blob_at(r->c->db, "lineage_adj_long", key, &r->pLong) ) return 0;
  r->nLong = sqlite3_blob_bytes(r->pLong);
  r->iLong = 0;
  r->nChunk = 0;
  lineage_slot_init(s, r->aChunk, 0, id);
  r->c->nLoad++;
  return 1;
}

/* Node id's list is too long for its block: from memory when a walk of
** this snapshot read it to the end before (1); else from lineage_adj_long,
** chunk by chunk (lineage_adj_more), then sought from its bound (2), or
** sought whole (0). When the snapshot is kept, what is read and sought is
** offered, to keep the whole list. */
static LINEAGE_NOINLINE int reader_long(LineageAdjReader *r, sqlite3_int64 id,
                                        LineageSlot *s, sqlite3_int64 *piFrom){
  const Snap *p = r->p;
  int i = long_index(p, id), bStored;
  if( i<p->nLong && p->aLong[i].id==id ){
    lineage_slot_init(s, p->aLong[i].a, p->aLong[i].n, id);
    return 1;
  }
  /* The block after the packed ones is this walk's packing: the writers
  ** store the long lists of packed blocks only. */
  bStored = id<p->nPacked && reader_stored(r, id, s, piFrom);
  r->iPend = -1;
  if( p->bKept && r->c->limit > p->nByte ){
    /* The list may take what the limit leaves (an int's worth at most). */
    sqlite3_int64 nRoom = r->c->limit - p->nByte;
    lineage_list_start(&r->pend, id, nRoom<0x3fffffff ? (int)nRoom : 0x3fffffff);
    r->iPend = id;
    r->bPendStored = bStored;
  }
  if( bStored ) reader_chunk(r, s);
  return bStored ? 2 : 0;
}

int lineage_adj_more(LineageAdjReader *r, LineageSlot *s, sqlite3_int64 *piFrom){
  if( reader_chunk(r, s) ) return 1;
  if( r->iLong<0 ){
    /* Not read to the end: seek what follows the last neighbour read. */
    *piFrom = s->bFirst ? LINEAGE_INT64_MIN : s->prev+1;
    r->iPend = -1;
  }else if( r->iPend>=0 ){
    /* The kept list goes on with the neighbours sought. */
    r->pend.prev = s->prev;
    r->pend.bFirst = s->bFirst;
  }
  return 0;
}

int lineage_adj_slot(LineageAdjReader *r, sqlite3_int64 id, LineageSlot *s,
                     sqlite3_int64 *piFrom){
  const Snap *p = r->p;
  const unsigned char *a;
  if( id<0 || id>=p->nPacked+LINEAGE_ADJ_BLOCK || p->apBlock==0 ) goto seek;
  if( p->nDirty && is_dirty(p, id) ) goto seek;
  a = reader_block(r, id/LINEAGE_ADJ_BLOCK);
  if( a==0 ) goto seek;
  if( lineage_adj_slot_of(a + BLOCK_OFFS, (const unsigned int*)a,
                          (unsigned int)(id % LINEAGE_ADJ_BLOCK), id, s) ){
    return 1;
  }
  return reader_long(r, id, s, piFrom);
seek:
  r->iPend = -1;                      /* nothing of this list is kept */
  return 0;
}

void lineage_adj_offer(LineageAdjReader *r, sqlite3_int64 nbr){
  if( r->iPend>=0 && !lineage_list_add(&r->pend, nbr) ){
    r->iPend = -1;                    /* not kept: the walks seek it */
  }
}

void lineage_adj_offer_end(LineageAdjReader *r){
  Snap *p = r->p;
  unsigned char *a;
  int n, i;
  sqlite3_int64 id = r->iPend;
  r->iPend = -1;
  if( id<0 ) return;
  i = long_index(p, id);
  if( r->pend.n==0 || (i<p->nLong && p->aLong[i].id==id)
   || p->nByte + r->pend.n > r->c->limit ){
    return;               /* empty, kept by another walk, or over the limit */
  }
  if( p->nLong==p->nLongAlloc ){
    int nNew = p->nLongAlloc ? p->nLongAlloc*2 : 8;
    LongList *aNew = sqlite3_realloc64(p->aLong,
                                       sizeof(*aNew)*(sqlite3_uint64)nNew);
    if( aNew==0 ) return;
    p->aLong = aNew;
    p->nLongAlloc = nNew;
  }
  /* The buffer itself is kept, cut to its length. */
  n = r->pend.n;
  a = sqlite3_realloc(r->pend.a, n);
  if( a==0 ) return;
  memset(&r->pend, 0, sizeof(r->pend));
  memmove(&p->aLong[i+1], &p->aLong[i], sizeof(*p->aLong)*(size_t)(p->nLong-i));
  p->aLong[i].id = id;
  p->aLong[i].a = a;
  p->aLong[i].n = n;
  p->nLong++;
  p->nByte += n;
  if( !r->bPendStored ) r->c->nLoad++;
}

/* lineage_cache([limit]): set the bytes of blocks kept between walks (0:
** none; either way what is kept is dropped), report the state as JSON:
** limit, bytes held per direction, blocks read from the database. */
void lineage_fn_cache(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  LineageCache *c = lineage_conn_cache((LineageConn*)sqlite3_user_data(ctx));
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
    c->limit = sqlite3_value_int64(argv[0]);
    cache_drop(c);
  }
  z = sqlite3_mprintf("{\"limit\":%lld,\"upstream_bytes\":%lld,"
      "\"downstream_bytes\":%lld,\"loads\":%lld}", c->limit,
      c->apKept[0] ? c->apKept[0]->nByte : 0,
      c->apKept[1] ? c->apKept[1]->nByte : 0, c->nLoad);
  if( z==0 ){ sqlite3_result_error_nomem(ctx); return; }
  sqlite3_result_text(ctx, z, -1, sqlite3_free);
}
