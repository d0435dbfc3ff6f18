/*
** walker.c: the breadth-first walk shared by the virtual tables.
**
** A walk is a queue of discovered nodes plus a hash set over that queue.
** lineage_walker_step() takes the next undiscovered-neighbours node from the
** queue, runs ONE prepared index seek for its neighbours (lineage_edge's
** primary key (src,dst) downstream, the index (dst,src) upstream) and appends
** the ones not yet seen. The queue is in breadth-first order, so a node's
** depth is the fewest edges from the start and its parent is the node it
** was first reached from. Nothing here recurses, so a chain a million nodes
** deep costs a million steps and no stack. Memory: 16 bytes a node in the
** queue plus 4-8 bytes of hash slots.
**
** Metadata columns are read on demand with one seek on lineage_node, and
** only for the rows and columns a query asks for.
*/
#include "lineage.h"
#include <string.h>

/* Fibonacci hashing of a node id into the slot table. */
static unsigned int slot_of(sqlite3_int64 id, unsigned int mask){
  sqlite3_uint64 h = (sqlite3_uint64)id * 0x9E3779B97F4A7C15ULL;
  return (unsigned int)(h >> 32) & mask;
}

static int walker_grow_slots(LineageWalker *w){
  unsigned int nSlot = w->aSlot ? (w->nSlotMask+1)*2 : 64;
  unsigned int *aNew = sqlite3_malloc64(sizeof(unsigned int)*(sqlite3_uint64)nSlot);
  unsigned int i;
  if( aNew==0 ) return SQLITE_NOMEM;
  memset(aNew, 0, sizeof(unsigned int)*nSlot);
  for(i=0; i<w->nQueue; i++){
    unsigned int h = slot_of(w->aQueue[i].id, nSlot-1);
    while( aNew[h] ) h = (h+1) & (nSlot-1);
    aNew[h] = i+1;
  }
  sqlite3_free(w->aSlot);
  w->aSlot = aNew;
  w->nSlotMask = nSlot-1;
  return SQLITE_OK;
}

int lineage_walker_find(const LineageWalker *w, sqlite3_int64 id){
  unsigned int h;
  if( w->aSlot==0 ) return -1;
  for(h=slot_of(id, w->nSlotMask); w->aSlot[h]; h=(h+1) & w->nSlotMask){
    if( w->aQueue[w->aSlot[h]-1].id==id ) return (int)w->aSlot[h]-1;
  }
  return -1;
}

/* Append id unless already discovered. SQLITE_OK or SQLITE_NOMEM. */
static int walker_visit(LineageWalker *w, sqlite3_int64 id,
                        unsigned int parent, unsigned int depth){
  unsigned int h;
  if( (w->nQueue+1)*2 > w->nSlotMask+1 || w->aSlot==0 ){
    if( walker_grow_slots(w) ) return SQLITE_NOMEM;
  }
  for(h=slot_of(id, w->nSlotMask); w->aSlot[h]; h=(h+1) & w->nSlotMask){
    if( w->aQueue[w->aSlot[h]-1].id==id ) return SQLITE_OK;
  }
  if( w->nQueue==w->nAlloc ){
    unsigned int nNew = w->nAlloc ? w->nAlloc*2 : 64;
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
  w->aSlot[h] = w->nQueue;
  return SQLITE_OK;
}

int lineage_walker_open(LineageWalker *w, sqlite3 *db, LineageConn *conn,
                        int dir, char **pzErr){
  static const char *azSql[2] = {
    "SELECT src FROM main.lineage_edge WHERE dst=?1",  /* upstream */
    "SELECT dst FROM main.lineage_edge WHERE src=?1",  /* downstream */
  };
  int rc;
  memset(w, 0, sizeof(*w));
  w->conn = conn;
  w->dir = dir;
  rc = sqlite3_prepare_v3(db, azSql[dir], -1, SQLITE_PREPARE_PERSISTENT,
                          &w->pNeighbors, 0);
  if( rc!=SQLITE_OK ){
    *pzErr = sqlite3_mprintf("lineage: %s", sqlite3_errmsg(db));
  }
  return rc;
}

void lineage_walker_close(LineageWalker *w){
  sqlite3_finalize(w->pNeighbors);
  lineage_csr_release(w->pCsr);
  sqlite3_free(w->aQueue);
  sqlite3_free(w->aSlot);
  memset(w, 0, sizeof(*w));
}

int lineage_walker_start(LineageWalker *w, sqlite3_int64 id,
                         sqlite3_int64 maxDepth){
  /* Keep the memory of the last walk unless it was large. */
  if( w->nSlotMask>=(1u<<16) ){
    sqlite3_free(w->aSlot);
    sqlite3_free(w->aQueue);
    w->aSlot = 0;
    w->aQueue = 0;
    w->nAlloc = 0;
    w->nSlotMask = 0;
  }else if( w->aSlot ){
    memset(w->aSlot, 0, sizeof(unsigned int)*(w->nSlotMask+1));
  }
  w->nQueue = 0;
  w->iExpand = 0;
  w->maxDepth = maxDepth;
  lineage_csr_release(w->pCsr);
  w->pCsr = w->conn ? lineage_cache_get(w->conn, w->dir) : 0;
  return walker_visit(w, id, 0, 0);
}

int lineage_walker_step(LineageWalker *w){
  LineageVisit v;
  unsigned int iParent;
  int rc = SQLITE_DONE;
  if( w->iExpand>=w->nQueue ) return SQLITE_DONE;
  iParent = w->iExpand++;
  v = w->aQueue[iParent];
  if( w->maxDepth>=0 && (sqlite3_int64)v.depth>=w->maxDepth ) return SQLITE_OK;
  if( w->pCsr==0 && w->conn ){
    w->pCsr = lineage_cache_note_seek(w->conn, w->dir);
  }
  if( w->pCsr ){
    /* From memory: the same neighbours, in the same order, as the seek. */
    const LineageCsr *p = w->pCsr;
    if( v.id>=0 && v.id<(sqlite3_int64)p->nNode ){
      unsigned int i, iEnd = p->aOff[v.id+1];
      for(i=p->aOff[v.id]; i<iEnd; i++){
        if( walker_visit(w, p->aNbr[i], iParent+1, v.depth+1) ) return SQLITE_NOMEM;
      }
    }
    return SQLITE_OK;
  }
  sqlite3_bind_int64(w->pNeighbors, 1, v.id);
  while( (rc = sqlite3_step(w->pNeighbors))==SQLITE_ROW ){
    rc = walker_visit(w, sqlite3_column_int64(w->pNeighbors, 0), iParent+1,
                      v.depth+1);
    if( rc ) break;
  }
  sqlite3_reset(w->pNeighbors);
  return rc==SQLITE_DONE ? SQLITE_OK : rc;
}

/* ---- metadata ----------------------------------------------------------- */

int lineage_meta_open(LineageMeta *m, sqlite3 *db, char **pzErr){
  int rc;
  memset(m, 0, sizeof(*m));
  rc = sqlite3_prepare_v3(db,
      "SELECT kind, project, name, version, type, state "
      "FROM main.lineage_node WHERE node_id=?1", -1,
      SQLITE_PREPARE_PERSISTENT, &m->pStmt, 0);
  if( rc!=SQLITE_OK ){
    *pzErr = sqlite3_mprintf("lineage: %s", sqlite3_errmsg(db));
  }
  return rc;
}

void lineage_meta_close(LineageMeta *m){
  sqlite3_finalize(m->pStmt);
  memset(m, 0, sizeof(*m));
}

int lineage_meta_result(LineageMeta *m, sqlite3_int64 id, int iCol,
                        sqlite3_context *ctx){
  sqlite3_stmt *p = m->pStmt;
  if( !m->bValid || m->id!=id ){
    int rc;
    sqlite3_reset(p);
    sqlite3_bind_int64(p, 1, id);
    rc = sqlite3_step(p);
    m->id = id;
    m->bValid = rc==SQLITE_ROW;
    if( rc!=SQLITE_ROW ){
      sqlite3_reset(p);
      /* A node deleted under the walk by hand has no metadata: NULLs. */
      return rc==SQLITE_DONE ? SQLITE_OK : rc;
    }
  }
  switch( iCol ){
    case LINEAGE_COL_KIND:    sqlite3_result_value(ctx, sqlite3_column_value(p, 0)); break;
    case LINEAGE_COL_PROJECT: sqlite3_result_value(ctx, sqlite3_column_value(p, 1)); break;
    case LINEAGE_COL_NAME:    sqlite3_result_value(ctx, sqlite3_column_value(p, 2)); break;
    case LINEAGE_COL_VERSION: sqlite3_result_value(ctx, sqlite3_column_value(p, 3)); break;
    case LINEAGE_COL_TYPE:    sqlite3_result_value(ctx, sqlite3_column_value(p, 4)); break;
    case LINEAGE_COL_STATE:   sqlite3_result_value(ctx, sqlite3_column_value(p, 5)); break;
    case LINEAGE_COL_REF:
      if( sqlite3_column_type(p, 3)==SQLITE_NULL ){
        sqlite3_result_value(ctx, sqlite3_column_value(p, 2));
      }else{
        char *z = sqlite3_mprintf("%s:v%lld", sqlite3_column_text(p, 2),
                                  sqlite3_column_int64(p, 3));
        if( z==0 ) return SQLITE_NOMEM;
        sqlite3_result_text(ctx, z, -1, sqlite3_free);
      }
      break;
  }
  return SQLITE_OK;
}

int lineage_int_arg(sqlite3_value *p, const char *zName, sqlite3_int64 iMin,
                    sqlite3_int64 iDefault, sqlite3_int64 *piOut, char **pzErr){
  sqlite3_int64 v;
  if( p==0 || sqlite3_value_type(p)==SQLITE_NULL ){
    *piOut = iDefault;
    return SQLITE_OK;
  }
  if( sqlite3_value_numeric_type(p)!=SQLITE_INTEGER ){
    *pzErr = sqlite3_mprintf("lineage: %s must be an integer, not '%s'",
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
