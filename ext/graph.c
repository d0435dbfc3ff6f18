/*
** graph.c: the graph around a node, as W&B's lineage tab draws it: every
** node upstream or downstream of a start with its level, and the clusters.
** lineage_clusters (clusters.c) returns it as rows; the pictures
** (picture.c) draw it.
**
**   LineageGraph g;
**   lineage_graph_open(&g, db, conn, &zErr);
**   lineage_graph_build(&g, startId, LINEAGE_GRAPH_BOTH, maxDepth, minSize);
**   ... g.aNode[0 .. g.nNode) sorted by (level, discovery order) ...
**   lineage_graph_close(&g);
**
** How it works: both walks (walker.c) run to the end (bounded by max_depth;
** a direction not asked for walks depth 0, the start alone), and are merged
** into one array sorted by (level, discovery order). A node's level is
** -depth upstream, +depth downstream, 0 for the start; a node reachable both
** ways takes the smaller distance, upstream on a tie. Each node's kind is
** read in id order, with a metadata cursor that mostly steps forward. All
** nodes of one kind at one level form a cluster when there are at least
** minSize of them; the start is never in one; clusters are numbered from 1
** in level order (at one level, in the order of their first node). Counting needs every node of a level, so the graph is
** complete before anything is returned. With g->pFilter (the walks'
** options, filter.c) both walks judge each node they discover; hidden ones
** are left out before levels are counted, and a start created after as_of
** leaves the graph empty.
*/
#include "lineage.h"
#include <stdlib.h>
#include <string.h>

int lineage_graph_open(LineageGraph *g, sqlite3 *db, LineageConn *conn,
                       char **pzErr){
  int rc;
  memset(g, 0, sizeof(*g));
  rc = lineage_walker_open(&g->up, db, conn, LINEAGE_UPSTREAM, pzErr);
  if( rc==SQLITE_OK ){
    rc = lineage_walker_open(&g->down, db, conn, LINEAGE_DOWNSTREAM, pzErr);
  }
  if( rc==SQLITE_OK ) rc = lineage_meta_open(&g->meta, db, conn, 0, pzErr);
  if( rc==SQLITE_OK ) g->bOpen = 1;
  return rc;
}

void lineage_graph_reset(LineageGraph *g){
  sqlite3_free(g->aNode);
  g->aNode = 0;
  g->nNode = 0;
}

void lineage_graph_close(LineageGraph *g){
  lineage_graph_reset(g);
  lineage_walker_close(&g->up);
  lineage_walker_close(&g->down);
  lineage_meta_close(&g->meta);
  g->bOpen = 0;
}

static int node_cmp(const void *a, const void *b){
  const LineageGraphNode *x = (const LineageGraphNode*)a;
  const LineageGraphNode *y = (const LineageGraphNode*)b;
  if( x->level!=y->level ) return x->level<y->level ? -1 : 1;
  return x->seq<y->seq ? -1 : x->seq>y->seq;
}

char *lineage_graph_errmsg(LineageGraph *g, sqlite3 *db){
  LineageWalker *w = g->up.zErr ? &g->up : &g->down;
  char *z = w->zErr;
  if( z ){
    w->zErr = 0;
    return z;
  }
  return sqlite3_mprintf("lineage: %s", sqlite3_errmsg(db));
}

/* An id and the node it belongs to, to visit nodes in id order. */
typedef struct IdNode { sqlite3_int64 id; unsigned int i; } IdNode;
static int idnode_cmp(const void *a, const void *b){
  sqlite3_int64 x = ((const IdNode*)a)->id, y = ((const IdNode*)b)->id;
  return x<y ? -1 : x>y;
}

/* Read each node's kind. In id order, the metadata cursor mostly steps
** forward instead of seeking. */
static int read_kinds(LineageGraph *g){
  IdNode *a = sqlite3_malloc64(sizeof(IdNode)*((sqlite3_uint64)g->nNode+1));
  unsigned int i;
  int rc = SQLITE_OK;
  if( a==0 ) return SQLITE_NOMEM;
  for(i=0; i<g->nNode; i++){
    a[i].id = g->aNode[i].id;
    a[i].i = i;
  }
  qsort(a, g->nNode, sizeof(IdNode), idnode_cmp);
  g->meta.bValid = 0;
  for(i=0; i<g->nNode; i++){
    LineageGraphNode *r = &g->aNode[a[i].i];
    rc = lineage_meta_seek(&g->meta, r->id);
    if( rc==SQLITE_ROW ){
      const unsigned char *zKind = sqlite3_column_text(g->meta.pStmt, 1);
      if( zKind==0 ){ rc = SQLITE_NOMEM; break; }
      r->bRun = zKind[0]=='r';
    }else if( rc==SQLITE_DONE ){
      r->bRun = 0;                       /* a node deleted by hand */
    }else{
      break;
    }
    rc = SQLITE_OK;
  }
  sqlite3_free(a);
  return rc;
}

/* Merge the two finished walks into g->aNode, read kinds, find clusters. */
static int merge_walks(LineageGraph *g, sqlite3_int64 minSize){
  unsigned int i, j, n = 0;
  int nCluster = 0, rc;
  g->aNode = sqlite3_malloc64(sizeof(LineageGraphNode)*
                              ((sqlite3_uint64)g->up.nQueue + g->down.nQueue));
  if( g->aNode==0 ) return SQLITE_NOMEM;
  memset(g->aNode, 0, sizeof(LineageGraphNode)*
                      ((size_t)g->up.nQueue + g->down.nQueue));
  for(i=0; i<g->up.nQueue; i++){
    const LineageVisit *v = &g->up.aQueue[i];
    int k;
    if( v->depth & LINEAGE_VISIT_HIDDEN ) continue;
    k = lineage_walker_find(&g->down, v->id);
    if( k<-1 ) return SQLITE_NOMEM;
    if( k>=0 && LINEAGE_VISIT_DEPTH(&g->down.aQueue[k])<LINEAGE_VISIT_DEPTH(v)
     && !(g->down.aQueue[k].depth & LINEAGE_VISIT_HIDDEN) ) continue;
    g->aNode[n].id = v->id;
    g->aNode[n].level = -(int)LINEAGE_VISIT_DEPTH(v);
    g->aNode[n].seq = i;
    n++;
  }
  for(i=0; i<g->down.nQueue; i++){
    const LineageVisit *v = &g->down.aQueue[i];
    int k;
    if( v->depth & LINEAGE_VISIT_HIDDEN ) continue;
    k = lineage_walker_find(&g->up, v->id);
    if( k<-1 ) return SQLITE_NOMEM;
    if( k>=0 && LINEAGE_VISIT_DEPTH(&g->up.aQueue[k])<=LINEAGE_VISIT_DEPTH(v)
     && !(g->up.aQueue[k].depth & LINEAGE_VISIT_HIDDEN) ) continue;
    g->aNode[n].id = v->id;
    g->aNode[n].level = (int)LINEAGE_VISIT_DEPTH(v);
    g->aNode[n].seq = i;
    n++;
  }
  g->nNode = n;
  qsort(g->aNode, n, sizeof(LineageGraphNode), node_cmp);
  rc = read_kinds(g);
  if( rc ) return rc;
  /* Each level is a run of nodes: count its runs and artifacts. */
  for(i=0; i<n; i=j){
    unsigned int nKind[2] = {0, 0};
    int aId[2] = {0, 0};
    for(j=i; j<n && g->aNode[j].level==g->aNode[i].level; j++){
      nKind[g->aNode[j].bRun]++;
    }
    if( g->aNode[i].level==0 ) continue;
    for(; i<j; i++){
      LineageGraphNode *r = &g->aNode[i];
      if( nKind[r->bRun]<minSize ) continue;
      if( aId[r->bRun]==0 ) aId[r->bRun] = ++nCluster;
      r->cluster = aId[r->bRun];
      r->clusterSize = nKind[r->bRun];
    }
  }
  return SQLITE_OK;
}

int lineage_graph_build(LineageGraph *g, sqlite3_int64 startId, int dirs,
                        sqlite3_int64 maxDepth, sqlite3_int64 minSize){
  int rc, bExists = 1;
  lineage_graph_reset(g);
  g->up.pFilter = g->down.pFilter = g->pFilter;
  rc = lineage_filter_exists(g->pFilter, startId, &bExists);
  if( rc || !bExists ) return rc;       /* not there yet: an empty graph */
  rc = lineage_walker_start(&g->up, startId,
                            (dirs & LINEAGE_GRAPH_UP) ? maxDepth : 0);
  if( rc==SQLITE_OK ){
    rc = lineage_walker_start(&g->down, startId,
                              (dirs & LINEAGE_GRAPH_DOWN) ? maxDepth : 0);
  }
  if( rc==SQLITE_OK ) rc = lineage_walker_run(&g->up);
  if( rc==SQLITE_OK ) rc = lineage_walker_run(&g->down);
  if( rc==SQLITE_OK ) rc = merge_walks(g, minSize);
  return rc;
}
