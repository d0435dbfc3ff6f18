/*
** adjacency.c: the graph stored for the walks, in packed blocks.
**
**   SELECT lineage_rebuild();   -- pack every block anew: the blocks written
**   SELECT lineage_check();     -- 'ok', or the first block that is wrong
**
** Per direction, the neighbour lists of LINEAGE_ADJ_BLOCK consecutive node
** ids are one row of main.lineage_adj (block_key = block*2 + direction, 0
** upstream, 1 downstream). Its BLOB is the format byte ADJ_FORMAT, then
** LINEAGE_ADJ_BLOCK varints, the byte length of each node's slot, then the
** slots one after the other. Slot i holds the neighbours of node (block's
** first id + i), ascending (the order an index seek gives): the first as
** zigzag(its distance from node i)+1 (lineage is recorded in id order, so
** a neighbour is mostly a few ids away: one byte), each next one as its
** distance from the previous, all LEB128 varints. An empty slot has no
** neighbours; a slot of the single byte 0 (ADJ_LONG_MARK) is a list too
** long for its block (ADJ_LONG_LIST). Such a list is a row of
** main.lineage_adj_long (node_key = node_id*2 + direction): its neighbours
** below bound (n of them), in a slot's encoding; a walk reads it, then
** seeks the neighbours from bound on. A block with no neighbours at all
** has no row. On the graphs of bench/ a block is 0.5-1.1 KiB: about a
** byte a node and 1-2 bytes an edge.
**
** Blocks 0 .. adj_blocks-1 (lineage_meta) are packed; nodes beyond are
** sought in lineage_edge's indexes. Triggers on lineage_edge (plain SQL,
** sql/adjacency-triggers.sql, so they fire whatever writes the edges,
** with the extension or without) record every packed node whose list
** changed in main.lineage_adj_dirty (node_key as above): an edge at or
** above a long list's bound changes none, so a new use of a hub marks
** nothing. A walk seeks the dirty nodes whole. The writers call
** lineage_adj_sync() inside their savepoint: it marks the long lists whose
** sought part has grown past 1/ADJ_LONG_TAIL_SHARE of them (when a block
** is due), folds the dirty lists back into their blocks (copying the clean
** slots' bytes as they are; a dirty long list rewritten with a new bound,
** or put back into its slot once short) and packs every block of ids now
** complete (below the highest node_id), so the unpacked tail stays within
** one block. A rollback undoes the blocks, the long lists, the dirty set
** and adj_blocks with the edges: they are tables. adj_blocks NULL (a new
** database, one migrated from version 1, or lineage_rebuild) means: pack
** all at the next write; adj_format other than ADJ_FORMAT (the blocks of
** an earlier release, read as not valid: sought) means: make the tables
** and triggers anew (sql/adjacency.sql), then pack all; adj_triggers other
** than ADJ_TRIGGERS (an earlier release's triggers, which record the same
** nodes at a higher cost) means: make the triggers anew.
*/
#include "lineage.h"
#include <stdlib.h>
#include <string.h>

/* A list longer than this does not live in its block (whose slot is then
** the marker ADJ_LONG_MARK) but in a row of lineage_adj_long of its own:
** a hub (a dataset 42,874 runs used, on the 100k diamond graph) would make
** its block, read by every walk through any of its 256 nodes, 60 KiB. */
#define ADJ_LONG_LIST 256

/* A long list holds its neighbours below its bound; those above are sought.
** When the ids past the bound reach 1/ADJ_LONG_TAIL_SHARE of the list's
** length (so at most that share is sought), the next writer that packs a
** block rewrites it: each list costs its length once per quarter of it.
** A list with no neighbour from its bound on (a hub no new node used) only
** has its bound moved up, at the cost of one seek. */
#define ADJ_LONG_TAIL_SHARE 4

/* The first byte of a block of this format, and lineage_meta.adj_format
** (0x04 and 2 were earlier releases': no lineage_adj_long, triggers that
** mark every change). */
#define ADJ_FORMAT 0x03

/* lineage_meta.adj_triggers of sql/adjacency-triggers.sql's triggers (none:
** an earlier release's, whose UNION and NOT EXISTS cost each edge written
** 50,000 instructions more). */
#define ADJ_TRIGGERS 2

/* ---- the format -------------------------------------------------------- */

/* A slot of this one byte is a list that is not in its block. */
#define ADJ_LONG_MARK 0

/* The varint at *pp (before pEnd) into *pV; 0 when it runs past pEnd. */
static int get_varint(const unsigned char **pp, const unsigned char *pEnd,
                      sqlite3_uint64 *pV){
  const unsigned char *p = *pp;
  sqlite3_uint64 v = 0;
  int shift = 0;
  while( p<pEnd && shift<64 ){
    unsigned char c = *p++;
    v |= (sqlite3_uint64)(c & 0x7f) << shift;
    if( (c & 0x80)==0 ){
      *pp = p;
      *pV = v;
      return 1;
    }
    shift += 7;
  }
  return 0;
}

int lineage_adj_decode(const unsigned char *a, int n, unsigned int *aOff){
  const unsigned char *p = a+1, *pEnd = a+n;
  sqlite3_uint64 off = 0, len;
  unsigned int i;
  if( n<1+LINEAGE_ADJ_BLOCK || a[0]!=ADJ_FORMAT ) return 0;
  for(i=0; i<LINEAGE_ADJ_BLOCK; i++){
    sqlite3_uint64 w;
    if( (i & 7)==0 && pEnd-p>=8 && (memcpy(&w, p, 8), (w & 0x8080808080808080ULL)==0) ){
      /* Eight slots under 128 bytes each (nearly every slot): no branch
      ** per slot. */
      unsigned int k;
      for(k=0; k<8; k++){
        aOff[i+k] = (unsigned int)off;
        off += p[k];
      }
      p += 8;
      i += 7;
    }else{
      aOff[i] = (unsigned int)off;
      if( p<pEnd && *p<0x80 ){
        off += *p++;                           /* a slot under 128 bytes */
      }else if( get_varint(&p, pEnd, &len) && len<=(sqlite3_uint64)n ){
        off += len;
      }else{
        return 0;
      }
    }
  }
  len = (sqlite3_uint64)(p - a);
  if( off+len!=(sqlite3_uint64)n ) return 0;
  aOff[LINEAGE_ADJ_BLOCK] = (unsigned int)off;
  aOff[LINEAGE_ADJ_BLOCK+1] = (unsigned int)len;
  return 1;
}

void lineage_slot_init(LineageSlot *s, const unsigned char *a, int n,
                       sqlite3_int64 id){
  s->p = a;
  s->pEnd = a + n;
  s->prev = id;
  s->bFirst = 1;
}

/* 1 when slot i of the decoded block a is the marker of a list not in it. */
static int slot_is_mark(const unsigned char *a, const unsigned int *aOff,
                        unsigned int i){
  return aOff[i+1]==aOff[i]+1
      && a[aOff[LINEAGE_ADJ_BLOCK+1]+aOff[i]]==ADJ_LONG_MARK;
}

int lineage_adj_slot_of(const unsigned char *a, const unsigned int *aOff,
                        unsigned int i, sqlite3_int64 id, LineageSlot *s){
  if( slot_is_mark(a, aOff, i) ) return 0;       /* not here */
  lineage_slot_init(s, a + aOff[LINEAGE_ADJ_BLOCK+1] + aOff[i],
                    (int)(aOff[i+1] - aOff[i]), id);
  return 1;
}

int lineage_slot_next(LineageSlot *s, sqlite3_int64 *pId){
  sqlite3_uint64 v;
  if( s->p>=s->pEnd ) return 0;
  if( *s->p<0x80 ){
    v = *s->p++;                               /* the common case: a byte */
  }else if( !get_varint(&s->p, s->pEnd, &v) ){
    s->p = s->pEnd;
    return 0;
  }
  if( s->bFirst ){
    v -= 1;
    v = (v >> 1) ^ (~(v & 1) + 1);             /* zigzag decoded */
    s->bFirst = 0;
  }
  s->prev = (sqlite3_int64)((sqlite3_uint64)s->prev + v);
  *pId = s->prev;
  return 1;
}

/* A growing byte buffer; the first failure to grow sticks in bOom. */
typedef struct Buf {
  unsigned char *a;
  int n, nAlloc;
  int bOom;
} Buf;

static int buf_room(Buf *b, int n){
  if( b->bOom ) return 0;
  if( b->n+n>b->nAlloc ){
    int nNew = b->nAlloc ? b->nAlloc*2 : 4096;
    unsigned char *aNew;
    while( nNew<b->n+n ) nNew *= 2;
    aNew = sqlite3_realloc(b->a, nNew);
    if( aNew==0 ){ b->bOom = 1; return 0; }
    b->a = aNew;
    b->nAlloc = nNew;
  }
  return 1;
}

/* v as a LEB128 varint at p (room for 10 bytes): the bytes written. */
static int put_varint(unsigned char *p, sqlite3_uint64 v){
  int n = 0;
  do{
    unsigned char c = v & 0x7f;
    v >>= 7;
    p[n++] = c | (v ? 0x80 : 0);
  }while( v );
  return n;
}

static void buf_varint(Buf *b, sqlite3_uint64 v){
  if( buf_room(b, 10) ) b->n += put_varint(b->a + b->n, v);
}

/* The first neighbour a0 of node id as a slot stores it: zigzag(a0-id)+1.
** 0 when that cannot be stored (2^63 ids away, made only by hand: it would
** wrap to the marker of a list too long). */
static sqlite3_uint64 first_code(sqlite3_int64 id, sqlite3_int64 a0){
  sqlite3_int64 d = (sqlite3_int64)((sqlite3_uint64)a0 - (sqlite3_uint64)id);
  return (((sqlite3_uint64)d << 1) ^ (sqlite3_uint64)(d >> 63)) + 1;
}

/* Append the neighbours of node id, the ascending list a[0..n) (n > 0),
** in a slot's encoding: 0 (nothing appended) when the first one cannot be
** stored. */
static int buf_list(Buf *b, sqlite3_int64 id, const sqlite3_int64 *a, int n){
  int i;
  sqlite3_uint64 z = first_code(id, a[0]);
  if( z==0 ) return 0;
  buf_varint(b, z);
  for(i=1; i<n; i++) buf_varint(b, (sqlite3_uint64)a[i] - (sqlite3_uint64)a[i-1]);
  return 1;
}

/* 1 when the list a[0..n) of node id is packed apart (lineage_adj_long):
** too long for a slot, and its bound can be stored (a[n-1]+1, ids made by
** hand at the very end of the range excepted). */
static int is_long(sqlite3_int64 id, const sqlite3_int64 *a, int n){
  return n>ADJ_LONG_LIST && first_code(id, a[0])!=0
      && a[n-1]<LINEAGE_INT64_MAX;
}

/* Append the slot of node id, whose neighbours are the ascending list
** a[0..n). A list too long, or whose first neighbour cannot be stored, is
** the marker ADJ_LONG_MARK (read from lineage_adj_long, or sought). */
static void buf_slot(Buf *b, sqlite3_int64 id, const sqlite3_int64 *a, int n){
  if( n==0 ) return;
  if( n>ADJ_LONG_LIST || !buf_list(b, id, a, n) ) buf_varint(b, ADJ_LONG_MARK);
}

void lineage_list_start(LineageList *l, sqlite3_int64 id, int nMax){
  l->n = 0;
  l->nMax = nMax;
  l->prev = id;
  l->bFirst = 1;
  l->bFail = 0;
}

/* Room in l for n more bytes (and a varint), within l->nMax. */
static int list_room(LineageList *l, int n){
  if( l->n+n+10>l->nAlloc ){
    int nNew = l->nAlloc ? l->nAlloc*2 : 256;
    unsigned char *aNew;
    while( nNew<l->n+n+10 && nNew<l->nMax ) nNew *= 2;
    if( nNew>l->nMax ) nNew = l->nMax;
    aNew = l->n+n+10<=nNew ? sqlite3_realloc(l->a, nNew) : 0;
    if( aNew==0 ){
      l->bFail = 1;
      return 0;
    }
    l->a = aNew;
    l->nAlloc = nNew;
  }
  return 1;
}

int lineage_list_bytes(LineageList *l, const unsigned char *a, int n){
  if( l->bFail || !list_room(l, n) ) return 0;
  if( n>0 ) memcpy(l->a + l->n, a, (size_t)n);
  l->n += n;
  return 1;
}

int lineage_list_add(LineageList *l, sqlite3_int64 nbr){
  sqlite3_uint64 v;
  if( l->bFail ) return 0;
  if( l->bFirst ? (v = first_code(l->prev, nbr))==0 : nbr<=l->prev ){
    l->bFail = 1;                  /* cannot be stored, or not ascending */
    return 0;
  }
  if( !l->bFirst ) v = (sqlite3_uint64)nbr - (sqlite3_uint64)l->prev;
  if( !list_room(l, 0) ) return 0;
  l->n += put_varint(l->a + l->n, v);
  l->prev = nbr;
  l->bFirst = 0;
  return 1;
}

/* A list of the block being written that goes to lineage_adj_long. */
typedef struct LongOut {
  sqlite3_int64 id;
  sqlite3_int64 bound;            /* every neighbour below it is in data */
  int iOff, nByte;                /* its bytes in BlockOut.longs */
  int nNbr;
} LongOut;

/* A block being written: its slots in data, then (out_finish) the whole
** BLOB in blob; the list of the node being read (ids ascending); and,
** for a writer (bLongs), the long lists read, for lineage_adj_long. */
typedef struct BlockOut {
  Buf data;                       /* slots 0 .. iSlot-1 */
  Buf blob;                       /* the finished block */
  unsigned int aEnd[LINEAGE_ADJ_BLOCK];  /* end of slot i in data */
  unsigned int iSlot;
  sqlite3_int64 iFirst;           /* the block's first node id */
  sqlite3_int64 *aList;
  int nList, nListAlloc;
  int bOom;
  int bNotInt;                    /* an edge row holds a non-integer id */
  int bLongs;                     /* keep the long lists in longs/aLong */
  sqlite3_int64 iBound;           /* a long list's bound is at least this */
  Buf longs;
  LongOut *aLong;
  int nLong, nLongAlloc;
} BlockOut;

static void out_start(BlockOut *o, sqlite3_int64 iFirst){
  o->data.n = 0;
  o->iSlot = 0;
  o->iFirst = iFirst;
  o->longs.n = 0;
  o->nLong = 0;
}

/* Room in the array *pa of *pnAlloc elements of sz bytes for element n
** (doubling, from nFirst): 1, or 0 and o->bOom. */
static int out_room(BlockOut *o, void **pa, int *pnAlloc, int n, size_t sz,
                    int nFirst){
  if( n==*pnAlloc ){
    int nNew = *pnAlloc ? *pnAlloc*2 : nFirst;
    void *aNew = sqlite3_realloc64(*pa, sz*(sqlite3_uint64)nNew);
    if( aNew==0 ){ o->bOom = 1; return 0; }
    *pa = aNew;
    *pnAlloc = nNew;
  }
  return 1;
}

/* Keep the long list a[0..n) of node id for lineage_adj_long. */
static void out_long(BlockOut *o, sqlite3_int64 id, const sqlite3_int64 *a,
                     int n){
  LongOut *l;
  int iOff = o->longs.n;
  if( !out_room(o, (void**)&o->aLong, &o->nLongAlloc, o->nLong,
                sizeof(*o->aLong), 8) ) return;
  buf_list(&o->longs, id, a, n);
  l = &o->aLong[o->nLong++];
  l->id = id;
  l->bound = a[n-1]+1 > o->iBound ? a[n-1]+1 : o->iBound;
  l->iOff = iOff;
  l->nByte = o->longs.n - iOff;
  l->nNbr = n;
}

/* Slots before iSlot not written yet are empty. */
static void out_skip_to(BlockOut *o, unsigned int iSlot){
  while( o->iSlot<iSlot ) o->aEnd[o->iSlot++] = (unsigned int)o->data.n;
}

/* Slot iSlot (those before it empty): the list a[0..n). */
static void out_slot(BlockOut *o, unsigned int iSlot, const sqlite3_int64 *a,
                     int n){
  out_skip_to(o, iSlot);
  buf_slot(&o->data, o->iFirst+iSlot, a, n);
  o->aEnd[o->iSlot++] = (unsigned int)o->data.n;
  if( o->bLongs && is_long(o->iFirst+iSlot, a, n) ) out_long(o, o->iFirst+iSlot, a, n);
}

/* Slot iSlot (those before it empty): n bytes copied from another block. */
static void out_slot_bytes(BlockOut *o, unsigned int iSlot,
                           const unsigned char *a, unsigned int n){
  out_skip_to(o, iSlot);
  if( n>0 && buf_room(&o->data, (int)n) ){
    memcpy(o->data.a + o->data.n, a, n);
    o->data.n += (int)n;
  }
  o->aEnd[o->iSlot++] = (unsigned int)o->data.n;
}

/* The BLOB into o->blob: the format byte, the slots' lengths, the slots.
** 1 when the block holds any neighbour. */
static int out_finish(BlockOut *o){
  unsigned int i, prev = 0;
  out_skip_to(o, LINEAGE_ADJ_BLOCK);
  o->blob.n = 0;
  if( o->data.bOom || !buf_room(&o->blob, 1 + 5*LINEAGE_ADJ_BLOCK) ) return 0;
  o->blob.a[o->blob.n++] = ADJ_FORMAT;
  for(i=0; i<LINEAGE_ADJ_BLOCK; i++){
    buf_varint(&o->blob, o->aEnd[i] - prev);
    prev = o->aEnd[i];
  }
  if( o->data.n>0 && buf_room(&o->blob, o->data.n) ){
    memcpy(o->blob.a + o->blob.n, o->data.a, (size_t)o->data.n);
    o->blob.n += o->data.n;
  }
  return !o->blob.bOom && o->data.n>0;
}

/* Column iCol of pStmt's row, an id; o->bNotInt set when it is not an
** integer (such a block is never packed: its nodes are left to seeks,
** which report the value). One call that takes the connection's mutex
** (sqlite3_column_value), then the value's own accessors: the packing
** runs inside sqlite3_step() (a walk's, or a writer function's), which
** holds that mutex already. Two such calls an edge fewer than
** sqlite3_column_int64() and _type() on each column: about 35,000 of the
** 293,000 instructions that packing the 100k chain's newest block (160
** edges) took. */
static sqlite3_int64 out_column_id(BlockOut *o, sqlite3_stmt *pStmt, int iCol){
  sqlite3_value *v = sqlite3_column_value(pStmt, iCol);
  if( sqlite3_value_type(v)!=SQLITE_INTEGER ) o->bNotInt = 1;
  return sqlite3_value_int64(v);
}

/* Append nbr to the list of the node being read. */
static void out_list_add(BlockOut *o, sqlite3_int64 nbr){
  if( !out_room(o, (void**)&o->aList, &o->nListAlloc, o->nList,
                sizeof(*o->aList), 256) ) return;
  o->aList[o->nList++] = nbr;
}

static void out_clear(BlockOut *o){
  sqlite3_free(o->data.a);
  sqlite3_free(o->blob.a);
  sqlite3_free(o->aList);
  sqlite3_free(o->longs.a);
  sqlite3_free(o->aLong);
  memset(o, 0, sizeof(*o));
}

/* The edges of the ids from ?1 on, in the order of the index a seek of
** that direction uses; pack_block() stops at the block's end itself: an
** upper bound in the statement (one more comparison of the index key a
** row) cost about 26,000 instructions more on the 100k chain's newest
** block. */
static const char *const azRange[2] = {
  "SELECT dst, src FROM main.lineage_edge WHERE dst>=?1 ORDER BY dst, src",
  "SELECT src, dst FROM main.lineage_edge WHERE src>=?1 ORDER BY src, dst",
};
/* A node's whole list (ascending). */
static const char *const azList[2] = {
  "SELECT src FROM main.lineage_edge WHERE dst=?1",
  "SELECT dst FROM main.lineage_edge WHERE src=?1",
};

static int out_oom(const BlockOut *o){
  return o->bOom || o->data.bOom || o->blob.bOom || o->longs.bOom;
}

/* Pack block b of direction dir from lineage_edge into o (one range scan
** of the index a seek of that direction uses). 1 when it holds any
** neighbour; 0 also when an edge row holds an id that is not an integer
** (then the block gets no row, and its nodes are sought). */
static int pack_block(Lx *x, int dir, sqlite3_int64 b, BlockOut *o){
  sqlite3_int64 lo = b*LINEAGE_ADJ_BLOCK, key = -1;
  sqlite3_stmt *p = lx_prepare(x, azRange[dir], "i", lo);
  int bAny;
  out_start(o, lo);
  o->nList = 0;
  o->bNotInt = 0;
  while( p && lx_step(x, p)==SQLITE_ROW ){
    sqlite3_value *v = sqlite3_column_value(p, 0);
    int t = sqlite3_value_type(v);
    sqlite3_int64 k = sqlite3_value_int64(v), nbr;
    /* Past the block: a larger number, or a text or BLOB (which sort
    ** after every number). A real number inside it is not an id. */
    if( t==SQLITE_TEXT || t==SQLITE_BLOB || k>=lo+LINEAGE_ADJ_BLOCK ) break;
    if( t!=SQLITE_INTEGER ) o->bNotInt = 1;
    nbr = out_column_id(o, p, 1);
    if( k!=key && o->nList ){
      out_slot(o, (unsigned int)(key-lo), o->aList, o->nList);
      o->nList = 0;
    }
    key = k;
    out_list_add(o, nbr);
  }
  lx_finalize(x, p);
  if( o->nList ) out_slot(o, (unsigned int)(key-lo), o->aList, o->nList);
  bAny = out_finish(o);
  if( out_oom(o) && x->rc==SQLITE_OK ) x->rc = SQLITE_NOMEM;
  return bAny && !o->bNotInt;
}

int lineage_adj_pack(sqlite3 *db, LineageConn *conn, int dir, sqlite3_int64 b,
                     unsigned char **pa, int *pn){
  BlockOut o;
  Lx x;
  int rc;
  memset(&o, 0, sizeof(o));
  lx_init(&x, db, conn);
  *pa = 0;
  *pn = 0;
  if( pack_block(&x, dir, b, &o) && x.rc==SQLITE_OK ){
    *pa = o.blob.a;
    *pn = o.blob.n;
    o.blob.a = 0;
  }
  rc = x.rc;
  out_clear(&o);
  lx_clear(&x);
  return rc;
}

/* Store o as block b of dir (no row when it holds nothing). */
static void store_block(Lx *x, int dir, sqlite3_int64 b, BlockOut *o, int bAny){
  if( x->rc ) return;
  if( bAny ){
    sqlite3_stmt *p = lx_prepare(x, "INSERT OR REPLACE INTO main.lineage_adj"
                                    "(block_key, data) VALUES (?1, ?2)", "i",
                                 b*2+dir);
    if( p ){
      if( sqlite3_bind_blob(p, 2, o->blob.a, o->blob.n, SQLITE_STATIC) ){
        x->rc = SQLITE_NOMEM;
      }else{
        lx_step(x, p);
      }
    }
    lx_finalize(x, p);
  }else{
    lx_exec(x, "DELETE FROM main.lineage_adj WHERE block_key=?1", "i", b*2+dir);
  }
}

/* Store the long lists o read (of direction dir) in lineage_adj_long. */
static void store_longs(Lx *x, int dir, BlockOut *o){
  int i;
  for(i=0; i<o->nLong && x->rc==SQLITE_OK; i++){
    const LongOut *l = &o->aLong[i];
    sqlite3_stmt *p = lx_prepare(x, "INSERT OR REPLACE INTO main.lineage_adj_long"
                                    "(node_key, bound, n, data) "
                                    "VALUES (?1, ?2, ?3, ?4)", "iii",
                                 l->id*2+dir, l->bound, (sqlite3_int64)l->nNbr);
    if( p ){
      if( sqlite3_bind_blob(p, 4, o->longs.a + l->iOff, l->nByte, SQLITE_STATIC) ){
        x->rc = SQLITE_NOMEM;
      }else{
        lx_step(x, p);
      }
    }
    lx_finalize(x, p);
  }
}

/* No long list of block b of dir in lineage_adj_long. */
static void drop_longs(Lx *x, int dir, sqlite3_int64 b){
  sqlite3_int64 lo = b*LINEAGE_ADJ_BLOCK;
  lx_exec(x, "DELETE FROM main.lineage_adj_long WHERE node_key>=?1 "
             "AND node_key<?2 AND (node_key & 1)=?3", "iii",
          lo*2, (lo+LINEAGE_ADJ_BLOCK)*2, (sqlite3_int64)dir);
}

/* Pack block b of dir from lineage_edge and store it, its long lists in
** lineage_adj_long in place of any rows its nodes had (none but by hand:
** a row for a node whose slot is in its block would make the triggers
** skip that node's changes). */
static void pack_store(Lx *x, int dir, sqlite3_int64 b, BlockOut *o){
  int bAny = pack_block(x, dir, b, o);
  store_block(x, dir, b, o, bAny);
  drop_longs(x, dir, b);
  if( bAny ) store_longs(x, dir, o);
}

/* The stored BLOB of block b of dir, copied into pOut (n = 0: no row). */
static void read_block(Lx *x, int dir, sqlite3_int64 b, Buf *pOut){
  sqlite3_stmt *p = lx_prepare(x, "SELECT data FROM main.lineage_adj "
                                  "WHERE block_key=?1", "i", b*2+dir);
  pOut->n = 0;
  if( p && lx_step(x, p)==SQLITE_ROW ){
    int n = sqlite3_column_bytes(p, 0);
    const void *a = sqlite3_column_blob(p, 0);
    if( n>0 && a==0 ){
      x->rc = SQLITE_NOMEM;
    }else if( n>0 && buf_room(pOut, n) ){
      memcpy(pOut->a, a, (size_t)n);
      pOut->n = n;
    }
  }
  lx_finalize(x, p);
  if( pOut->bOom && x->rc==SQLITE_OK ) x->rc = SQLITE_NOMEM;
}

/* ---- keeping the blocks current (the writers) --------------------------- */

/* 1 when lineage_meta.adj_format says the packed adjacency is of this
** build's format. */
static int adj_format_current(Lx *x){
  return lx_int(x, 0, "SELECT (SELECT value FROM main.lineage_meta "
                      "WHERE key='adj_format') IS ?1", "i",
                (sqlite3_int64)ADJ_FORMAT)!=0;
}

static int dirty_key_cmp(const void *a, const void *b){
  sqlite3_int64 x = *(const sqlite3_int64*)a, y = *(const sqlite3_int64*)b;
  /* by direction, then node id */
  sqlite3_int64 dx = x & 1, dy = y & 1;
  if( dx!=dy ) return dx<dy ? -1 : 1;
  return (x>>1)<(y>>1) ? -1 : (x>>1)>(y>>1);
}

/* Rewrite block b of dir with the lists of its dirty nodes aKey[0..n)
** (ascending) read from lineage_edge, every other slot's bytes copied; the
** dirty nodes' long lists anew. */
static void fold_block(Lx *x, int dir, sqlite3_int64 b,
                       const sqlite3_int64 *aKey, int n, BlockOut *o, Buf *pOld){
  sqlite3_int64 lo = b*LINEAGE_ADJ_BLOCK;
  unsigned int aOff[LINEAGE_ADJ_OFFS];
  unsigned int i;
  int j = 0, bAny;
  read_block(x, dir, b, pOld);
  if( x->rc ) return;
  if( pOld->n>0 && !lineage_adj_decode(pOld->a, pOld->n, aOff) ){
    /* Not a block of this format: pack it whole. */
    pack_store(x, dir, b, o);
    return;
  }
  out_start(o, lo);
  o->bNotInt = 0;
  for(i=0; i<LINEAGE_ADJ_BLOCK && x->rc==SQLITE_OK; i++){
    if( j<n && (aKey[j]>>1)==lo+i ){
      sqlite3_stmt *p = lx_prepare(x, azList[dir], "i", lo+i);
      o->nList = 0;
      while( p && lx_step(x, p)==SQLITE_ROW ) out_list_add(o, out_column_id(o, p, 0));
      lx_finalize(x, p);
      if( pOld->n>0 && slot_is_mark(pOld->a, aOff, i) ){
        lx_exec(x, "DELETE FROM main.lineage_adj_long WHERE node_key=?1", "i",
                (lo+i)*2+dir);
      }
      if( o->nList ) out_slot(o, i, o->aList, o->nList);
      j++;
    }else if( pOld->n>0 && aOff[i+1]>aOff[i] ){
      out_slot_bytes(o, i, pOld->a + aOff[LINEAGE_ADJ_BLOCK+1] + aOff[i],
                     aOff[i+1]-aOff[i]);
    }
  }
  bAny = out_finish(o) && !o->bNotInt;
  if( out_oom(o) && x->rc==SQLITE_OK ) x->rc = SQLITE_NOMEM;
  if( bAny ){
    store_longs(x, dir, o);
  }else{
    drop_longs(x, dir, b);
  }
  /* Unchanged (a long list rewritten, say): nothing to write. */
  if( x->rc==SQLITE_OK
   && (bAny ? pOld->n==o->blob.n && memcmp(o->blob.a, pOld->a, (size_t)pOld->n)==0
            : pOld->n==0) ) return;
  store_block(x, dir, b, o, bAny);
}

/* Fold the dirty set into the packed blocks (below nPacked), then empty it. */
static void fold_dirty(Lx *x, sqlite3_int64 nPacked, BlockOut *o, Buf *pOld){
  sqlite3_int64 *aKey = 0;
  int nKey = 0, nAlloc = 0, i, j;
  sqlite3_stmt *p = lx_prepare(x, "SELECT node_key FROM main.lineage_adj_dirty", 0);
  while( p && lx_step(x, p)==SQLITE_ROW ){
    if( nKey==nAlloc ){
      int nNew = nAlloc ? nAlloc*2 : 64;
      sqlite3_int64 *aNew = sqlite3_realloc64(aKey, sizeof(*aNew)*(sqlite3_uint64)nNew);
      if( aNew==0 ){ x->rc = SQLITE_NOMEM; break; }
      aKey = aNew;
      nAlloc = nNew;
    }
    aKey[nKey++] = sqlite3_column_int64(p, 0);
  }
  lx_finalize(x, p);
  if( nKey>0 && x->rc==SQLITE_OK ){
    qsort(aKey, (size_t)nKey, sizeof(*aKey), dirty_key_cmp);
    for(i=0; i<nKey && x->rc==SQLITE_OK; i=j){
      int dir = (int)(aKey[i] & 1);
      sqlite3_int64 b = (aKey[i]>>1) / LINEAGE_ADJ_BLOCK;
      for(j=i+1; j<nKey && (aKey[j] & 1)==dir
                 && (aKey[j]>>1)/LINEAGE_ADJ_BLOCK==b; j++){}
      if( (aKey[i]>>1)>=0 && b<nPacked ) fold_block(x, dir, b, aKey+i, j-i, o, pOld);
    }
    lx_exec(x, "DELETE FROM main.lineage_adj_dirty", 0);
  }
  sqlite3_free(aKey);
}

/* The first block at or after b with an edge, up to nEnd. */
static sqlite3_int64 next_block(Lx *x, sqlite3_int64 b, sqlite3_int64 nEnd){
  sqlite3_int64 lo = b*LINEAGE_ADJ_BLOCK;
  sqlite3_int64 s = lx_int(x, -1, "SELECT min(src) FROM main.lineage_edge "
                                  "WHERE src>=?1", "i", lo);
  sqlite3_int64 d = lx_int(x, -1, "SELECT min(dst) FROM main.lineage_edge "
                                  "WHERE dst>=?1", "i", lo);
  sqlite3_int64 m = s<0 ? d : d<0 ? s : s<d ? s : d;
  if( m<0 ) return nEnd;
  m /= LINEAGE_ADJ_BLOCK;
  return m<nEnd ? m : nEnd;
}

/* Pack blocks nFrom .. nEnd-1 of both directions (those with an edge). */
static void pack_tail(Lx *x, sqlite3_int64 nFrom, sqlite3_int64 nEnd,
                      BlockOut *o){
  sqlite3_int64 b = nFrom;
  int dir;
  while( x->rc==SQLITE_OK && b<nEnd && (b = next_block(x, b, nEnd))<nEnd ){
    for(dir=0; dir<2 && x->rc==SQLITE_OK; dir++) pack_store(x, dir, b, o);
    b++;
  }
}

void lineage_adj_sync(Lx *x){
  sqlite3_int64 nPacked, nEnd, maxId;
  int bAll, bFormat, bTriggers;
  BlockOut o;
  Buf old;
  if( x->rc || !x->bSchema ) return;
  memset(&o, 0, sizeof(o));
  memset(&old, 0, sizeof(old));
  /* One statement (a write runs it every time): whether the blocks are of
  ** this format, how many are packed (NULL: pack all), the highest
  ** node_id (NULL: none), whether the triggers are this release's. */
  nPacked = maxId = -1;
  bFormat = bTriggers = 0;
  {
    sqlite3_stmt *p = lx_prepare(x, "SELECT (SELECT value FROM "
        "main.lineage_meta WHERE key='adj_format') IS ?1, "
        "(SELECT value FROM main.lineage_meta WHERE key='adj_blocks'), "
        "(SELECT max(node_id) FROM main.lineage_node), "
        "(SELECT value FROM main.lineage_meta WHERE key='adj_triggers') IS ?2",
        "ii", (sqlite3_int64)ADJ_FORMAT, (sqlite3_int64)ADJ_TRIGGERS);
    if( p && lx_step(x, p)==SQLITE_ROW ){
      bFormat = sqlite3_column_int(p, 0);
      if( bFormat && sqlite3_column_type(p, 1)!=SQLITE_NULL ){
        nPacked = sqlite3_column_int64(p, 1);
      }
      if( sqlite3_column_type(p, 2)!=SQLITE_NULL ){
        maxId = sqlite3_column_int64(p, 2);
      }
      bTriggers = sqlite3_column_int(p, 3);
    }
    lx_finalize(x, p);
  }
  if( x->rc ) return;
  if( !bFormat ){
    /* An earlier format: its tables and triggers anew (then pack all). */
    lineage_schema_adjacency(x);
  }else if( !bTriggers ){
    /* An earlier release's triggers: the same nodes marked, at more cost. */
    lineage_schema_triggers(x);
  }
  nEnd = maxId<0 ? 0 : (maxId+1)/LINEAGE_ADJ_BLOCK;
  o.bLongs = 1;
  o.iBound = maxId+1;
  bAll = nPacked<0;
  if( bAll ){
    lx_exec(x, "DELETE FROM main.lineage_adj", 0);
    lx_exec(x, "DELETE FROM main.lineage_adj_dirty", 0);
    lx_exec(x, "DELETE FROM main.lineage_adj_long", 0);
    nPacked = 0;
  }else{
    if( nEnd>nPacked ){
      /* A block is due: so are the long lists whose sought part may have
      ** grown. One with no neighbour from its bound on (a hub no new node
      ** used) keeps its row: only its bound moves up to the new ids. */
      lx_exec(x, "UPDATE main.lineage_adj_long SET bound = ?1 "
                 "WHERE ?1 - bound >= n / ?2 AND CASE node_key & 1 "
                 "WHEN 1 THEN NOT EXISTS (SELECT 1 FROM main.lineage_edge "
                 "  WHERE src = node_key >> 1 AND dst >= bound) "
                 "ELSE NOT EXISTS (SELECT 1 FROM main.lineage_edge "
                 "  WHERE dst = node_key >> 1 AND src >= bound) END", "ii",
              maxId+1, (sqlite3_int64)ADJ_LONG_TAIL_SHARE);
      lx_exec(x, "INSERT OR IGNORE INTO main.lineage_adj_dirty(node_key) "
                 "SELECT node_key FROM main.lineage_adj_long "
                 "WHERE ?1 - bound >= n / ?2", "ii", maxId+1,
              (sqlite3_int64)ADJ_LONG_TAIL_SHARE);
    }
    fold_dirty(x, nPacked, &o, &old);
  }
  pack_tail(x, nPacked, nEnd, &o);
  if( nEnd>nPacked || bAll ){
    lx_exec(x, "INSERT OR REPLACE INTO main.lineage_meta(key, value) "
               "VALUES ('adj_blocks', ?1)", "i", nEnd>nPacked ? nEnd : nPacked);
  }
  out_clear(&o);
  sqlite3_free(old.a);
}

/* lineage_rebuild(): pack every block anew; the number of blocks stored. */
void lineage_fn_rebuild(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  sqlite3_int64 n = 0;
  Lx x;
  (void)argc; (void)argv;
  lx_init_fn(&x, ctx);
  /* Nothing to pack (and nothing to write) without the lineage tables. */
  if( !lineage_schema_exists(&x) ){
    if( x.rc ) sqlite3_result_error_code(ctx, x.rc);
    else sqlite3_result_int64(ctx, 0);
    lx_clear(&x);
    return;
  }
  lx_begin(&x, "lineage_rebuild");
  lineage_schema_check(&x);
  if( x.bSchema ){
    /* Its tables and triggers too: a trigger dropped by hand is back. */
    lineage_schema_adjacency(&x);
    lineage_adj_sync(&x);
    n = lx_int(&x, 0, "SELECT count(*) FROM main.lineage_adj", 0);
  }
  if( lx_end(&x, ctx)==SQLITE_OK ) sqlite3_result_int64(ctx, n);
}

/* ---- lineage_check() ----------------------------------------------------- */

#define NO_BLOCK (-((sqlite3_int64)1 << 62))
static const char *const azDir[2] = { "upstream", "downstream" };

/* Node id's long list (direction dir) as stored in lineage_adj_long
** against lineage_edge's neighbours below its bound, read into o's list:
** 0 when they agree, 1 when they differ, -1 when it has no row. */
static int check_long(Lx *x, int dir, sqlite3_int64 id, BlockOut *o){
  static const char *const azBelow[2] = {
    "SELECT src FROM main.lineage_edge WHERE dst=?1 AND src<?2",
    "SELECT dst FROM main.lineage_edge WHERE src=?1 AND dst<?2",
  };
  sqlite3_stmt *pRow = lx_prepare(x, "SELECT bound, n, data FROM "
                                     "main.lineage_adj_long WHERE node_key=?1",
                                  "i", id*2+dir);
  sqlite3_stmt *p;
  Buf b;
  int bDiffer = 1;
  if( pRow==0 || lx_step(x, pRow)!=SQLITE_ROW ){
    lx_finalize(x, pRow);
    return -1;
  }
  memset(&b, 0, sizeof(b));
  o->nList = 0;
  o->bNotInt = 0;
  p = lx_prepare(x, azBelow[dir], "ii", id, sqlite3_column_int64(pRow, 0));
  while( p && lx_step(x, p)==SQLITE_ROW ) out_list_add(o, out_column_id(o, p, 0));
  lx_finalize(x, p);
  if( o->nList>0 && !o->bNotInt ) buf_list(&b, id, o->aList, o->nList);
  if( (o->bOom || b.bOom) && x->rc==SQLITE_OK ) x->rc = SQLITE_NOMEM;
  if( x->rc==SQLITE_OK && !o->bNotInt && o->nList==sqlite3_column_int64(pRow, 1)
   && b.n==sqlite3_column_bytes(pRow, 2) ){
    const void *a = sqlite3_column_blob(pRow, 2);
    if( a==0 && b.n>0 ){
      x->rc = SQLITE_NOMEM;
    }else if( b.n==0 || memcmp(b.a, a, (size_t)b.n)==0 ){
      bDiffer = 0;
    }
  }
  lx_finalize(x, pRow);
  sqlite3_free(b.a);
  return bDiffer;
}

/* 1 when o read the list of node id as long (is_long). */
static int out_has_long(const BlockOut *o, sqlite3_int64 id){
  int i;
  for(i=0; i<o->nLong; i++) if( o->aLong[i].id==id ) return 1;
  return 0;
}

/* The first difference between the stored block b of dir (and its long
** lists) and the one packed from lineage_edge, ignoring the dirty nodes
** (sqlite3_malloc'd message), or NULL. */
static char *check_block(Lx *x, int dir, sqlite3_int64 b, BlockOut *o, Buf *pOld){
  sqlite3_int64 lo = b*LINEAGE_ADJ_BLOCK;
  unsigned int aOld[LINEAGE_ADJ_OFFS], aNew[LINEAGE_ADJ_OFFS];
  const unsigned char *pOldSlots, *pNewSlots;
  unsigned int i;
  char *zBad = 0;
  sqlite3_stmt *p;
  int bAny = pack_block(x, dir, b, o), bMark;
  read_block(x, dir, b, pOld);
  if( x->rc ) return 0;
  if( pOld->n>0 && !lineage_adj_decode(pOld->a, pOld->n, aOld) ){
    return lineage_mprintf("lineage: the %s block of nodes %lld to %lld is not "
                           "a valid block: run lineage_rebuild()", azDir[dir],
                           lo, lo+LINEAGE_ADJ_BLOCK-1);
  }
  /* A long list whose slot does not send the walks to it. */
  p = lx_prepare(x, "SELECT node_key FROM main.lineage_adj_long WHERE "
                    "node_key>=?1 AND node_key<?2 AND (node_key & 1)=?3",
                 "iii", lo*2, (lo+LINEAGE_ADJ_BLOCK)*2, (sqlite3_int64)dir);
  while( zBad==0 && p && lx_step(x, p)==SQLITE_ROW ){
    sqlite3_int64 k = sqlite3_column_int64(p, 0);
    if( pOld->n==0 || !slot_is_mark(pOld->a, aOld, (unsigned int)((k>>1) - lo)) ){
      zBad = lineage_mprintf("lineage: lineage_adj_long holds the %s "
                             "neighbours of node %lld, whose packed slot does "
                             "not refer to it: run lineage_rebuild()",
                             azDir[dir], k>>1);
    }
  }
  lx_finalize(x, p);
  if( zBad || x->rc ) return zBad;
  if( pOld->n==0 && bAny==0 ) return 0;
  if( pOld->n==0 ) memset(aOld, 0, sizeof(aOld));
  if( !lineage_adj_decode(o->blob.a, o->blob.n, aNew) ){
    if( x->rc==SQLITE_OK ) x->rc = SQLITE_NOMEM;
    return 0;
  }
  pOldSlots = pOld->n>0 ? pOld->a + aOld[LINEAGE_ADJ_BLOCK+1] : 0;
  pNewSlots = o->blob.a + aNew[LINEAGE_ADJ_BLOCK+1];
  for(i=0; i<LINEAGE_ADJ_BLOCK && x->rc==SQLITE_OK; i++){
    unsigned int n1 = aOld[i+1]-aOld[i], n2 = aNew[i+1]-aNew[i];
    int bSame = n1==n2 && (n1==0 || memcmp(pOldSlots+aOld[i], pNewSlots+aNew[i], n1)==0);
    int eLong = -1;
    bMark = pOld->n>0 && slot_is_mark(pOld->a, aOld, i);
    if( bMark ){
      /* Its neighbours below the bound in lineage_adj_long, the rest
      ** sought: right whatever its length now. */
      eLong = check_long(x, dir, lo+i, o);
      if( eLong==0 ) continue;
      if( eLong<0 && bSame && !out_has_long(o, lo+i) ) continue;  /* sought */
    }else if( bSame ){
      continue;
    }
    if( lx_int(x, 0, "SELECT 1 FROM main.lineage_adj_dirty WHERE node_key=?1",
               "i", (lo+i)*2+dir) ) continue;
    return lineage_mprintf("lineage: the %s neighbours of node %lld in the "
                           "packed %s differ from lineage_edge: run "
                           "lineage_rebuild()", azDir[dir], lo+i,
                           eLong<0 ? "blocks" : "long lists");
  }
  return 0;
}

/* lineage_check(): 'ok' when every packed list (of a node not dirty) equals
** lineage_edge's, else the first difference. */
void lineage_fn_check(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  char *zBad = 0;
  sqlite3_int64 nPacked, b;
  int dir;
  BlockOut o;
  Buf old;
  Lx x;
  (void)argc; (void)argv;
  lx_init_fn(&x, ctx);
  memset(&o, 0, sizeof(o));
  memset(&old, 0, sizeof(old));
  o.bLongs = 1;                       /* check_block asks which are long */
  if( lineage_schema_version(&x)>=LINEAGE_SCHEMA_V2 ){
    nPacked = lx_int(&x, -1, "SELECT coalesce(value, -1) FROM main.lineage_meta "
                             "WHERE key='adj_blocks'", 0);
    if( nPacked<0 ) nPacked = 0;
    if( nPacked>0 && !adj_format_current(&x) ){
      zBad = lineage_mprintf("lineage: the packed blocks are of an earlier "
                             "release's format: the next write, or "
                             "lineage_rebuild(), packs them anew");
    }
    b = zBad ? NO_BLOCK : lx_int(&x, NO_BLOCK, "SELECT block_key FROM main.lineage_adj "
               "WHERE block_key>=?1 OR block_key<0 LIMIT 1", "i", nPacked*2);
    if( b!=NO_BLOCK ){
      zBad = lineage_mprintf("lineage: block_key %lld of lineage_adj is not a "
                             "packed block (%lld are packed)", b, nPacked);
    }
    b = zBad ? NO_BLOCK
             : lx_int(&x, NO_BLOCK, "SELECT node_key FROM main.lineage_adj_long "
                      "WHERE node_key>=?1 OR node_key<0 LIMIT 1", "i",
                      nPacked*LINEAGE_ADJ_BLOCK*2);
    if( b!=NO_BLOCK ){
      zBad = lineage_mprintf("lineage: node_key %lld of lineage_adj_long is "
                             "not a node of a packed block (%lld are packed)",
                             b, nPacked);
    }
    for(b=0; zBad==0 && x.rc==SQLITE_OK && b<nPacked; b++){
      for(dir=0; zBad==0 && x.rc==SQLITE_OK && dir<2; dir++){
        zBad = check_block(&x, dir, b, &o, &old);
      }
    }
  }
  out_clear(&o);
  sqlite3_free(old.a);
  if( x.rc ){
    if( x.rc==SQLITE_NOMEM ) sqlite3_result_error_nomem(ctx);
    else sqlite3_result_error(ctx, x.zErr ? x.zErr : "lineage: error", -1);
  }else if( zBad ){
    sqlite3_result_text(ctx, zBad, -1, sqlite3_free);
    zBad = 0;
  }else{
    sqlite3_result_text(ctx, "ok", 2, SQLITE_STATIC);
  }
  sqlite3_free(zBad);
  lx_clear(&x);
}
