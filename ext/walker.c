/*
** walker.c: the breadth-first walk shared by the virtual tables.
**
** A walk is a queue of discovered nodes plus a visited set. Nodes sit in
** the queue in the order they were found, which is breadth-first order, so a
** node's depth is the fewest edges from the start and its parent is the node
** it was first reached from. lineage_walker_step() reads the neighbours of
** the node at the head of the queue, one at a time, and returns as soon as
** one new node has joined the queue; lineage_walker_fill() goes on from
** node to node until the queue holds as many as asked: so the first rows
** of a walk come out before a node with forty thousand neighbours has
** been read to the end.
**
** Neighbours come from the node's slot in the packed blocks (cache.c reads
** them, adjacency.c keeps them), or, for a node the blocks cannot answer
** (dirty, newer than the blocks), from one prepared index seek
** (lineage_edge's primary key (src,dst) downstream, its index (dst,src)
** upstream): the same neighbours in the same order either way. A long
** list (a hub's) comes from its stored row, then a second seek of the
** same index from the row's bound on. Each seek is prepared the first
** time a node needs it, so a walk the blocks answer prepares nothing. A
** long list that the seek reads to the end is offered to the reader,
** which keeps it whole with the connection's snapshot for the next walks.
** The visited set is a hash set over the queue; a walk of over 32
** nodes whose ids fill 1/32 of a window switches to a bitmap over that
** window, which widens as the walk reaches further ids. Resetting either
** for the next walk costs the size of the last walk, not of the graph.
** Nothing here recurses: a chain a million nodes deep is a million
** steps and no stack. Memory: 16-20 bytes a node in the queue plus 6-12
** bytes of hash slots (or at most 4 bytes of bitmap).
**
** Options (filter.c): when the walk has a filter, each newly discovered node
** is judged once, as it joins the queue, and the verdict kept in the top
** bits of its depth: a stop node is never expanded; a hidden one (pruned,
** or created after as_of) is never expanded nor returned, but stays in the
** queue as visited so it is judged only once. Several starts make one
** multi-source walk: all at depth 0, one visited set.
*/
#include "lineage.h"
#include <string.h>

/* Fibonacci hashing of a node id into the slot table. */
static unsigned int slot_of(sqlite3_int64 id, unsigned int mask){
  sqlite3_uint64 h = (sqlite3_uint64)id * 0x9E3779B97F4A7C15ULL;
  return (unsigned int)(h >> 32) & mask;
}

/* Slots for n entries at most 70% full: short probes, 6-12 bytes a node. */
static unsigned int slots_for(unsigned int n){
  return (unsigned int)((sqlite3_uint64)n*10/7 + 1);
}

/* Index the whole queue in a hash table of at least nMin slots. */
static int walker_rehash(LineageWalker *w, unsigned int nMin){
  unsigned int nSlot = 64, i;
  unsigned int *aNew;
  while( nSlot<nMin ) nSlot *= 2;
  if( w->aSlot && w->nSlotMask+1==nSlot ){
    aNew = w->aSlot;
  }else{
    aNew = sqlite3_malloc64(sizeof(unsigned int)*(sqlite3_uint64)nSlot);
    if( aNew==0 ) return SQLITE_NOMEM;
    sqlite3_free(w->aSlot);
  }
  memset(aNew, 0, sizeof(unsigned int)*nSlot);
  for(i=0; i<w->nQueue; i++){
    unsigned int h = slot_of(w->aQueue[i].id, nSlot-1);
    while( aNew[h] ) h = (h+1) & (nSlot-1);
    aNew[h] = i+1;
  }
  w->aSlot = aNew;
  w->nSlotMask = nSlot-1;
  w->bHashed = 1;
  return SQLITE_OK;
}

int lineage_walker_find(LineageWalker *w, sqlite3_int64 id){
  unsigned int h;
  if( !w->bHashed && walker_rehash(w, slots_for(w->nQueue)) ) return -2;
  for(h=slot_of(id, w->nSlotMask); w->aSlot[h]; h=(h+1) & w->nSlotMask){
    if( w->aQueue[w->aSlot[h]-1].id==id ) return (int)w->aSlot[h]-1;
  }
  return -1;
}

/* The visited bitmap covers a window of ids, [iBitLo, iBitLo + nBit), at
** most WALKER_BITMAP_SPAN ids wide per queued node: at most 4 bytes a node,
** below the hash set's 6-12. A walk's ids cluster (lineage is recorded in
** id order), so the window follows the walk, not the graph: the same walk
** takes the bitmap on a graph of 100k nodes and on one of 1M. */
#define WALKER_BITMAP_SPAN 32
/* The hash set up to this many nodes, whatever their ids; then the bitmap
** is tried (a pass over the queue), and tried again each time the queue
** doubles while the ids are too far apart. From 32 nodes, the 100k
** chain's newest 1,001 ids, walked again in one connection, take 800,000
** instructions where from 1,024 they took 875,000 (the hash set's probes
** and rehashes: about 170 a node, the bitmap's about 60); from 8 or 64 they
** take the same within 0.5%. */
#define WALKER_BITMAP_MIN 32

/* Id id's bit in the window: nBit or more when outside it (unsigned, so
** an id below iBitLo is outside too). */
static sqlite3_uint64 walker_bit_of(const LineageWalker *w, sqlite3_int64 id){
  return (sqlite3_uint64)id - (sqlite3_uint64)w->iBitLo;
}

/* Clear the bits of the queued ids: O(walk), not O(window). */
static void walker_clear_bits(LineageWalker *w){
  unsigned int i;
  for(i=0; i<w->nQueue; i++){
    sqlite3_uint64 k = walker_bit_of(w, w->aQueue[i].id);
    if( k<w->nBit ) w->aBit[k>>3] = 0;
  }
}

/* The next try at the bitmap: once the queue has doubled. */
static void walker_retry_later(LineageWalker *w){
  w->nBitmapAt = w->nQueue<0x80000000u ? w->nQueue*2 : 0xffffffffu;
}

/* Make the visited set a bitmap over the window [lo, lo + nBit) (lo and
** nBit multiples of 8, every queued id inside): the queued ids' bits set,
** every other bit clear. The allocation stays for the next walks, clear. */
static int walker_place_bitmap(LineageWalker *w, sqlite3_int64 lo,
                               sqlite3_uint64 nBit){
  sqlite3_uint64 nByte = nBit/8;
  unsigned int i;
  if( w->bBitmap ) walker_clear_bits(w);
  w->bBitmap = 0;
  if( nByte>w->nBitAlloc ){
    sqlite3_free(w->aBit);
    w->aBit = sqlite3_malloc64(nByte);
    w->nBitAlloc = w->aBit ? nByte : 0;
    if( w->aBit==0 ) return SQLITE_NOMEM;
    memset(w->aBit, 0, (size_t)nByte);
  }
  w->iBitLo = lo;
  w->nBit = nBit;
  for(i=0; i<w->nQueue; i++){
    sqlite3_uint64 k = walker_bit_of(w, w->aQueue[i].id);
    w->aBit[k>>3] |= (unsigned char)(1 << (k&7));
  }
  w->bBitmap = 1;
  w->bHashed = 0;
  return SQLITE_OK;
}

/* The window for ids lo..hi: widened to whole bytes, then by as much
** again towards the side the walk grows to (bDown: the lower ids), within
** WALKER_BITMAP_SPAN ids a node and within the 64-bit ids. 1 and *pLo,
** *pnBit; 0 when lo..hi alone is wider than that. Unsigned arithmetic:
** the ids may be anything a hand-made database holds. */
static int walker_window(const LineageWalker *w, sqlite3_int64 lo,
                         sqlite3_int64 hi, int bDown, sqlite3_int64 *pLo,
                         sqlite3_uint64 *pnBit){
  const sqlite3_uint64 mask8 = ~(sqlite3_uint64)7;
  sqlite3_uint64 nMax = ((sqlite3_uint64)w->nQueue+1)*WALKER_BITMAP_SPAN;
  sqlite3_uint64 uLo = (sqlite3_uint64)lo & mask8, n, nMore, nRoom;
  if( (sqlite3_uint64)hi - uLo >= nMax ) return 0;
  n = ((sqlite3_uint64)hi - uLo + 8) & mask8;         /* <= nMax */
  nMore = n<nMax-n ? n : (nMax-n) & mask8;
  if( bDown ){
    nRoom = uLo - (sqlite3_uint64)LINEAGE_INT64_MIN;
  }else{
    nRoom = ((sqlite3_uint64)LINEAGE_INT64_MAX - (uLo + n - 1)) & mask8;
  }
  if( nMore>nRoom ) nMore = nRoom;
  *pLo = (sqlite3_int64)(bDown ? uLo - nMore : uLo);
  *pnBit = n + nMore;
  return 1;
}

/* The queue has reached nBitmapAt: the bitmap if the queued ids fit a
** window of WALKER_BITMAP_SPAN ids a node, else the hash set until the
** queue has doubled. */
static int walker_try_bitmap(LineageWalker *w){
  sqlite3_int64 lo = w->aQueue[0].id, hi = lo, iLo;
  sqlite3_uint64 nBit;
  unsigned int i;
  for(i=1; i<w->nQueue; i++){
    if( w->aQueue[i].id<lo ) lo = w->aQueue[i].id;
    if( w->aQueue[i].id>hi ) hi = w->aQueue[i].id;
  }
  walker_retry_later(w);
  if( !walker_window(w, lo, hi, w->dir==LINEAGE_UPSTREAM, &iLo, &nBit) ){
    return SQLITE_OK;
  }
  return walker_place_bitmap(w, iLo, nBit);
}

/* Widen the bitmap's window to [lo, lo + nBit), which holds the old one
** (lo and nBit multiples of 8): the old window's bytes move as they are
** (by whole bytes, when it widens to lower ids), the new ones are clear.
** A byte copy, where placing the bitmap anew takes two passes over the
** queue: on a walk of 50k nodes that widens five times, 39 of the 445
** instructions the extension spent a row. */
static int walker_grow_bitmap(LineageWalker *w, sqlite3_int64 lo,
                              sqlite3_uint64 nBit){
  sqlite3_uint64 nOld = w->nBit/8, nByte = nBit/8;
  sqlite3_uint64 nShift = ((sqlite3_uint64)w->iBitLo - (sqlite3_uint64)lo)/8;
  if( nByte>w->nBitAlloc ){
    /* Grown in place where the allocator can (a new block and a copy
    ** changed where glibc put the queue, which then faulted its pages in
    ** anew at every walk: 12% of a 100k-node walk's time). */
    unsigned char *aNew = sqlite3_realloc64(w->aBit, nByte);
    if( aNew==0 ) return SQLITE_NOMEM;
    memset(aNew + w->nBitAlloc, 0, (size_t)(nByte - w->nBitAlloc));
    w->aBit = aNew;
    w->nBitAlloc = nByte;
  }
  if( nShift ){
    /* The bytes past the old window are clear already. */
    memmove(w->aBit + nShift, w->aBit, (size_t)nOld);
    memset(w->aBit, 0, (size_t)(nShift<nOld ? nShift : nOld));
  }
  w->iBitLo = lo;
  w->nBit = nBit;
  return SQLITE_OK;
}

/* A new id outside the bitmap's window: a window that takes it in too if
** one fits and is half as wide again as the old one, else back to the hash
** set (until the queue has doubled). As the windows grow by half each
** time, the bytes they copy add up to a few per node, where a window at
** its limit might move at every new node (ids 32 apart). */
static int walker_widen_bitmap(LineageWalker *w, sqlite3_int64 id){
  sqlite3_int64 lo = w->iBitLo, iLo;
  sqlite3_int64 hi = (sqlite3_int64)((sqlite3_uint64)lo + w->nBit - 1);
  sqlite3_uint64 nBit;
  int bDown = id<lo;
  if( bDown ) lo = id; else hi = id;
  if( walker_window(w, lo, hi, bDown, &iLo, &nBit)
   && nBit - w->nBit >= w->nBit/2 ){
    return walker_grow_bitmap(w, iLo, nBit);
  }
  walker_clear_bits(w);
  w->bBitmap = 0;
  walker_retry_later(w);
  return walker_rehash(w, slots_for(w->nQueue+1));
}

/* Append id unless already discovered; the filter, if any, judges it
** (not a start). SQLITE_OK, SQLITE_NOMEM or the filter's error. */
static LINEAGE_NOINLINE int walker_visit_any(LineageWalker *w,
                                             sqlite3_int64 id,
                                             unsigned int parent,
                                             unsigned int depth){
  unsigned int h = 0;
  int rc;
  if( w->bBitmap && walker_bit_of(w, id)>=w->nBit ){
    rc = walker_widen_bitmap(w, id);
    if( rc ) return rc;
  }
  if( w->bBitmap ){
    sqlite3_uint64 k = walker_bit_of(w, id);
    if( w->aBit[k>>3] & (1 << (k&7)) ) return SQLITE_OK;
    w->aBit[k>>3] |= (unsigned char)(1 << (k&7));
  }else{
    if( slots_for(w->nQueue+1)>w->nSlotMask+1 || !w->bHashed ){
      if( walker_rehash(w, slots_for(w->nQueue+1)) ) return SQLITE_NOMEM;
    }
    for(h=slot_of(id, w->nSlotMask); w->aSlot[h]; h=(h+1) & w->nSlotMask){
      if( w->aQueue[w->aSlot[h]-1].id==id ) return SQLITE_OK;
    }
  }
  if( w->pFilter && parent ){
    unsigned int flags;
    rc = lineage_filter_verdict(w->pFilter, id, &flags);
    if( rc ) return rc;
    depth |= flags;
  }
  if( w->nQueue==w->nAlloc ){
    /* Grow by a quarter: at most 20 bytes of queue a node. */
    unsigned int nNew = w->nAlloc + w->nAlloc/4 + 64;
    LineageVisit *aNew = sqlite3_realloc64(w->aQueue,
                                   sizeof(LineageVisit)*(sqlite3_uint64)nNew);
    if( aNew==0 ) return SQLITE_NOMEM;
    w->aQueue = aNew;
    w->nAlloc = nNew;
  }
  w->aQueue[w->nQueue].id = id;
  w->aQueue[w->nQueue].parent = parent;
  w->aQueue[w->nQueue].depth = depth;
  w->nQueue++;
  if( w->bBitmap ){
    w->bHashed = 0;
  }else{
    w->aSlot[h] = w->nQueue;
    if( w->nQueue>=w->nBitmapAt ) return walker_try_bitmap(w);
  }
  return SQLITE_OK;
}

/* walker_visit_any(), with the case of every node of a large walk first:
** an id the bitmap covers, no filter to ask and room in the queue. */
static int walker_visit(LineageWalker *w, sqlite3_int64 id,
                        unsigned int parent, unsigned int depth){
  sqlite3_uint64 k = walker_bit_of(w, id);
  if( w->bBitmap && k<w->nBit ){
    unsigned char *pBit = &w->aBit[k>>3];
    unsigned char mask = (unsigned char)(1 << (k&7));
    LineageVisit *v;
    if( *pBit & mask ) return SQLITE_OK;
    if( w->pFilter || w->nQueue==w->nAlloc ){
      return walker_visit_any(w, id, parent, depth);
    }
    *pBit |= mask;
    v = &w->aQueue[w->nQueue++];
    v->id = id;
    v->parent = parent;
    v->depth = depth;
    w->bHashed = 0;
    return SQLITE_OK;
  }
  return walker_visit_any(w, id, parent, depth);
}

/* The neighbour query of each direction: one index seek. */
static const char *const azNeighborSql[3] = {
  "SELECT src FROM main.lineage_edge WHERE dst=?1",  /* upstream */
  "SELECT dst FROM main.lineage_edge WHERE src=?1",  /* downstream */
  ("SELECT dst FROM main.lineage_edge WHERE src=?1 " /* both ways */
   "UNION ALL SELECT src FROM main.lineage_edge WHERE dst=?1"),
};

/* A long list's neighbours from its bound ?2 on (lineage_adj_long holds
** those below). */
static const char *const azTailSql[2] = {
  "SELECT src FROM main.lineage_edge WHERE dst=?1 AND src>=?2",
  "SELECT dst FROM main.lineage_edge WHERE src=?1 AND dst>=?2",
};

int lineage_walker_open(LineageWalker *w, sqlite3 *db, LineageConn *conn,
                        int dir, char **pzErr){
  (void)pzErr;
  memset(w, 0, sizeof(*w));
  w->db = db;
  w->conn = conn;
  w->dir = dir;
  return SQLITE_OK;
}

void lineage_walker_close(LineageWalker *w){
  if( w->pNeighbors ) lineage_conn_stmt_done(w->conn, w->pNeighbors);
  if( w->pTail ) lineage_conn_stmt_done(w->conn, w->pTail);
  lineage_adj_close(w->pAdj);
  sqlite3_free(w->zErr);
  sqlite3_free(w->aQueue);
  sqlite3_free(w->aSlot);
  sqlite3_free(w->aBit);
  memset(w, 0, sizeof(*w));
}

/* Empty the visited set, in time proportional to the last walk. */
static void walker_clear(LineageWalker *w){
  unsigned int i;
  if( w->bBitmap ){
    walker_clear_bits(w);
  }else if( w->aSlot && w->bHashed ){
    if( (sqlite3_int64)w->nQueue*16 >= (sqlite3_int64)w->nSlotMask ){
      memset(w->aSlot, 0, sizeof(unsigned int)*(w->nSlotMask+1));
    }else{
      /* Remove the entries newest first: each one's probe sequence then
      ** still holds only older entries, so it is found. */
      for(i=w->nQueue; i>0; i--){
        unsigned int h = slot_of(w->aQueue[i-1].id, w->nSlotMask);
        while( w->aSlot[h]!=i ) h = (h+1) & w->nSlotMask;
        w->aSlot[h] = 0;
      }
    }
  }
  w->nQueue = 0;
}

int lineage_walker_start(LineageWalker *w, sqlite3_int64 id,
                         sqlite3_int64 maxDepth){
  walker_clear(w);
  if( w->bExpanding && !w->bFromBlock ) sqlite3_reset(w->pSeek);
  sqlite3_free(w->zErr);
  w->zErr = 0;
  w->iExpand = 0;
  w->bExpanding = 0;
  w->bThenSeek = 0;
  w->maxDepth = maxDepth;
  lineage_adj_close(w->pAdj);
  w->pAdj = 0;
  if( w->conn && w->dir!=LINEAGE_BOTHWAYS ){
    int rc = lineage_adj_open(w->conn, w->dir, &w->pAdj);
    if( rc ) return rc;
  }
  /* Every walk starts with the hash set. */
  w->bBitmap = 0;
  w->bHashed = 0;
  w->nBitmapAt = WALKER_BITMAP_MIN;
  return walker_visit(w, id, 0, 0);
}

int lineage_walker_add_start(LineageWalker *w, sqlite3_int64 id){
  return walker_visit(w, id, 0, 0);
}

/* The neighbour seek (bTail: from a bound on), prepared the first time a
** node is not answered by its block (borrowed from the connection's kept
** statements). If it cannot be prepared (a dropped table), w->zErr says
** why. */
static LINEAGE_NOINLINE int walker_prepare_seek(LineageWalker *w, int bTail){
  int rc;
  sqlite3_stmt **pp = bTail ? &w->pTail : &w->pNeighbors;
  *pp = lineage_conn_stmt(w->conn, bTail ? azTailSql[w->dir]
                                         : azNeighborSql[w->dir], &rc);
  if( rc==SQLITE_OK || rc==SQLITE_NOMEM ) return rc;
  sqlite3_free(w->zErr);
  w->zErr = sqlite3_mprintf("lineage: %s", sqlite3_errmsg(w->db));
  return w->zErr ? rc : SQLITE_NOMEM;
}

/* Seek the neighbours of node id (bTail: those from iFrom on): SQLITE_OK,
** or the error of preparing the seek. */
static int walker_seek(LineageWalker *w, sqlite3_int64 id, int bTail,
                       sqlite3_int64 iFrom){
  sqlite3_stmt *p = bTail ? w->pTail : w->pNeighbors;
  if( p==0 ){
    int rc = walker_prepare_seek(w, bTail);
    if( rc ) return rc;
    p = bTail ? w->pTail : w->pNeighbors;
  }
  sqlite3_bind_int64(p, 1, id);
  if( bTail ) sqlite3_bind_int64(p, 2, iFrom);
  w->pSeek = p;
  w->bFromBlock = 0;
  return SQLITE_OK;
}

/* Start reading the neighbours of queue[iExpand]: SQLITE_OK, and
** w->bExpanding unless it has none to read (stop, hidden, a depth limit),
** or the error of preparing the seek. */
static int walker_begin_node(LineageWalker *w){
  const LineageVisit *v = &w->aQueue[w->iExpand];
  int k;
  if( v->depth & LINEAGE_VISIT_FLAGS ){                 /* stop or hidden */
    w->iExpand++;
    return SQLITE_OK;
  }
  if( w->maxDepth>=0 && (sqlite3_int64)v->depth>=w->maxDepth ){
    w->iExpand++;
    return SQLITE_OK;
  }
  k = w->pAdj ? lineage_adj_slot(w->pAdj, v->id, &w->slot, &w->iSeekFrom) : 0;
  w->bFromBlock = k!=0;
  w->bThenSeek = k==2;
  if( k==0 ){
    int rc = walker_seek(w, v->id, 0, 0);
    if( rc ) return rc;
  }
  w->iExpand++;
  w->bExpanding = 1;
  return SQLITE_OK;
}

/* lineage_walker_step() for a node whose neighbours come from the seek. */
static LINEAGE_NOINLINE int walker_step_seek(LineageWalker *w){
  unsigned int iParent = w->iExpand, nBefore = w->nQueue;
  unsigned int depth = LINEAGE_VISIT_DEPTH(&w->aQueue[iParent-1]) + 1;
  sqlite3_int64 id;
  int rc;
  while( w->nQueue==nBefore ){
    rc = sqlite3_step(w->pSeek);
    if( rc!=SQLITE_ROW ){
      sqlite3_reset(w->pSeek);
      w->bExpanding = 0;
      if( rc!=SQLITE_DONE ) return rc;
      if( w->pAdj ) lineage_adj_offer_end(w->pAdj);
      return SQLITE_OK;
    }
    if( sqlite3_column_type(w->pSeek, 0)!=SQLITE_INTEGER ){
      /* Not reinterpreted: such a block is never packed (adjacency.c), so
      ** that both ways of reading the edges give this error. */
      sqlite3_free(w->zErr);
      w->zErr = sqlite3_mprintf("lineage: lineage_edge holds a node id that "
                                "is not an integer: '%.40s' (an edge of node "
                                "%lld)", sqlite3_column_text(w->pSeek, 0),
                                w->aQueue[iParent-1].id);
      sqlite3_reset(w->pSeek);
      w->bExpanding = 0;
      return w->zErr ? SQLITE_CORRUPT : SQLITE_NOMEM;
    }
    id = sqlite3_column_int64(w->pSeek, 0);
    if( w->pAdj ) lineage_adj_offer(w->pAdj, id);
    rc = walker_visit(w, id, iParent, depth);
    if( rc ) return rc;
  }
  return SQLITE_OK;
}

/* Read the neighbours of the nodes from queue[iExpand] on until the queue
** holds nWant nodes (bOneNode: or the node being expanded has no more).
** Both lineage_walker_step() and lineage_walker_fill(): a walk the blocks
** answer stays in this loop from node to node, one call for many rows. */
static int walker_expand(LineageWalker *w, unsigned int nWant, int bOneNode){
  int rc;
  while( w->nQueue<nWant ){
    unsigned int iParent, depth;
    sqlite3_int64 id;
    if( !w->bExpanding ){
      if( w->iExpand>=w->nQueue ) return SQLITE_DONE;
      rc = walker_begin_node(w);
      if( rc ) return rc;
      if( !w->bExpanding ){
        if( bOneNode ) return SQLITE_OK;
        continue;
      }
    }
    if( !w->bFromBlock ){
      if( bOneNode ) return walker_step_seek(w);
      rc = walker_step_seek(w);
      if( rc ) return rc;
      continue;
    }
    iParent = w->iExpand;              /* queue index + 1 of the node */
    depth = LINEAGE_VISIT_DEPTH(&w->aQueue[iParent-1]) + 1;
    while( w->nQueue<nWant ){
      if( !lineage_slot_next(&w->slot, &id) ){
        if( w->bThenSeek ){
          /* A long list: its next chunk, then its newest neighbours, from
          ** its bound on. */
          if( lineage_adj_more(w->pAdj, &w->slot, &w->iSeekFrom) ) continue;
          w->bThenSeek = 0;
          rc = walker_seek(w, w->aQueue[iParent-1].id, 1, w->iSeekFrom);
          if( rc ) return rc;
          break;                       /* on with the seek */
        }
        w->bExpanding = 0;
        break;
      }
      rc = walker_visit(w, id, iParent, depth);
      if( rc ) return rc;
    }
    if( bOneNode && !w->bExpanding ) return SQLITE_OK;
  }
  return SQLITE_OK;
}

int lineage_walker_step(LineageWalker *w){
  return walker_expand(w, w->nQueue+1, 1);
}

int lineage_walker_fill(LineageWalker *w, unsigned int nWant){
  return walker_expand(w, nWant, 0);
}

/* ---- the start of a walk ------------------------------------------------ */

int lineage_start_node(sqlite3 *db, LineageConn *conn, LineageMeta *pMeta,
                       sqlite3_value *pStart, sqlite3_int64 *pId,
                       char **pzErr){
  LineageNode start;
  Lx x;
  if( pMeta->pStmt && sqlite3_value_type(pStart)==SQLITE_INTEGER
   && lineage_meta_seek(pMeta, sqlite3_value_int64(pStart))==SQLITE_ROW ){
    /* A node_id that exists: the cursor's own metadata cursor says so (the
    ** common case of a join that walks from every row of a table). */
    *pId = sqlite3_value_int64(pStart);
    return SQLITE_OK;
  }
  lx_init(&x, db, conn);
  lineage_resolve_start(&x, pStart, &start);
  if( x.rc ){
    *pzErr = x.zErr;
    return x.rc;
  }
  *pId = start.id;
  lineage_node_clear(&start);
  return SQLITE_OK;
}

/* Start (or, bMore, add a start to) the walk at pStart; with as_of, a
** start created later is hidden and not expanded. */
static int walker_start_one(LineageWalker *w, sqlite3 *db, LineageMeta *pIds,
                            sqlite3_value *pStart, sqlite3_int64 maxDepth,
                            int bMore, char **pzErr){
  sqlite3_int64 id;
  int rc = lineage_start_node(db, w->conn, pIds, pStart, &id, pzErr);
  int bExists = 1;
  unsigned int n = w->nQueue;
  if( rc ) return rc;
  rc = lineage_filter_exists(w->pFilter, id, &bExists);
  if( rc==SQLITE_OK ){
    rc = bMore ? lineage_walker_add_start(w, id)
               : lineage_walker_start(w, id, maxDepth);
  }
  if( rc ){
    /* SQLite's message, such as a table that is missing. */
    if( rc!=SQLITE_NOMEM && *pzErr==0 ){
      *pzErr = sqlite3_mprintf("lineage: %s", sqlite3_errmsg(db));
    }
    return rc;
  }
  if( bMore && w->nQueue==n ) return SQLITE_OK;   /* already a start */
  if( !bExists ) w->aQueue[w->nQueue-1].depth |= LINEAGE_VISIT_HIDDEN;
  return SQLITE_OK;
}

/* pStart as the elements of a multi-source walk's JSON array (a
** statement stepping through them), or NULL when it is not one. */
static sqlite3_stmt *start_array(LineageConn *conn, sqlite3_value *pStart,
                                 int *pRc){
  static const char zCheck[] =
      "SELECT CASE WHEN json_valid(?1) THEN json_type(?1)='array' END";
  static const char zEach[] = "SELECT type, value FROM main.json_each(?1)";
  sqlite3_stmt *pStmt;
  const unsigned char *z;
  int bArray;
  *pRc = SQLITE_OK;
  if( sqlite3_value_type(pStart)!=SQLITE_TEXT ) return 0;
  z = sqlite3_value_text(pStart);
  while( z && (*z==' ' || *z=='\t' || *z=='\n' || *z=='\r') ) z++;
  if( z==0 || *z!='[' ) return 0;
  pStmt = lineage_conn_stmt(conn, zCheck, pRc);
  if( *pRc==SQLITE_OK ) *pRc = sqlite3_bind_value(pStmt, 1, pStart);
  if( *pRc==SQLITE_OK ) *pRc = sqlite3_step(pStmt);
  bArray = *pRc==SQLITE_ROW && sqlite3_column_int(pStmt, 0);
  if( *pRc==SQLITE_ROW ) *pRc = SQLITE_OK;
  lineage_conn_stmt_done(conn, pStmt);
  if( *pRc || !bArray ) return 0;   /* not JSON: a reference with a '[' */
  pStmt = lineage_conn_stmt(conn, zEach, pRc);
  if( *pRc==SQLITE_OK ) *pRc = sqlite3_bind_value(pStmt, 1, pStart);
  return pStmt;
}

int lineage_walker_start_at(LineageWalker *w, sqlite3 *db, LineageMeta *pIds,
                            sqlite3_value *pStart, sqlite3_int64 maxDepth,
                            char **pzErr){
  int rc, n = 0;
  sqlite3_stmt *pArr = start_array(w->conn, pStart, &rc);
  if( rc ){
    lineage_conn_stmt_done(w->conn, pArr);
    if( rc!=SQLITE_NOMEM ){
      *pzErr = sqlite3_mprintf("lineage: %s", sqlite3_errmsg(db));
    }
    return rc;
  }
  if( pArr==0 ) return walker_start_one(w, db, pIds, pStart, maxDepth, 0, pzErr);
  while( (rc = sqlite3_step(pArr))==SQLITE_ROW ){
    const char *zType = (const char*)sqlite3_column_text(pArr, 0);
    if( zType==0 ){ rc = SQLITE_NOMEM; break; }
    if( strcmp(zType, "integer")!=0 && strcmp(zType, "text")!=0 ){
      *pzErr = lineage_mprintf("lineage: a start in '%s' must be a node_id "
                               "or a reference, not %s",
                               (const char*)sqlite3_value_text(pStart), zType);
      rc = SQLITE_ERROR;
      break;
    }
    rc = walker_start_one(w, db, pIds, sqlite3_column_value(pArr, 1),
                          maxDepth, n++>0, pzErr);
    if( rc ) break;
  }
  if( rc==SQLITE_DONE ){
    rc = SQLITE_OK;
    if( n==0 ){
      *pzErr = lineage_mprintf("lineage: the start is an empty array: give "
                               "at least one node_id or reference");
      rc = SQLITE_ERROR;
    }
  }else if( rc!=SQLITE_OK && *pzErr==0 && rc!=SQLITE_NOMEM ){
    *pzErr = sqlite3_mprintf("lineage: %s", sqlite3_errmsg(db));
  }
  lineage_conn_stmt_done(w->conn, pArr);
  return rc;
}

int lineage_int_arg(sqlite3_value *p, const char *zName, sqlite3_int64 iMin,
                    sqlite3_int64 iDefault, sqlite3_int64 *piOut, char **pzErr){
  sqlite3_int64 v;
  if( p==0 || sqlite3_value_type(p)==SQLITE_NULL ){
    *piOut = iDefault;
    return SQLITE_OK;
  }
  if( sqlite3_value_numeric_type(p)!=SQLITE_INTEGER ){
    *pzErr = lineage_mprintf("lineage: %s must be an integer, not '%s'",
                             zName, sqlite3_value_text(p));
    return SQLITE_ERROR;
  }
  v = sqlite3_value_int64(p);
  if( v<iMin ){
    *pzErr = sqlite3_mprintf("lineage: %s must be %lld or more, not %lld",
                             zName, iMin, v);
    return SQLITE_ERROR;
  }
  *piOut = v;
  return SQLITE_OK;
}
