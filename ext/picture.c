/*
** picture.c: what lineage_dot, lineage_mermaid, lineage_json and
** lineage_html draw, and those SQL functions.
**
**   SELECT lineage_dot('model:v3');                    -- Graphviz
**   SELECT lineage_mermaid('model:v3', 'up');          -- GitHub's Mermaid
**   SELECT lineage_json('model:v3', 'both', 4, '{"expand":true}');
**   SELECT lineage_html('model:v3') ;                  -- a page to open
**
** Arguments: start [, direction ('up', 'down', 'both': the default)
** [, max_depth [, options]]]; options is a JSON object: expand (true, or an
** array of cluster ids), min_size, hide (an array of node ids), rankdir
** ('LR', 'TB'), max_nodes (default PIC_DEFAULT_MAX_NODES).
**
** How it works: the graph is lineage_clusters' (graph.c, the same walks,
** levels and clusters; one walk only for 'up' or 'down'). Hidden nodes are
** taken out; past max_nodes, whole rings of levels (distance d upstream and
** downstream together) are dropped from the farthest in. Each remaining
** node's panel fields are read with one point query (with as_of, two more:
** its state then, from filter.c as the walks give it, and the aliases it
** held then, from the alias history), its edges with one index seek
** (edges to nodes outside the picture are left out). A cluster that is not
** expanded becomes one box; every other node is a box of its
** own. Boxes are sized from their labels and placed by layout.c; then one
** of dot.c, mermaid.c, json.c writes the text. Every list is in a fixed
** order (levels, the walk's discovery order, node ids), so the same graph
** gives the same bytes.
*/
#include "lineage.h"
#include <stdlib.h>
#include <string.h>

/* Nodes (drawn or folded into a cluster) past which levels are dropped:
** the 5,000-node bench graphs export in well under a second, and a page
** with 2,000 nodes still pans smoothly. */
#define PIC_DEFAULT_MAX_NODES 2000
/* Box sizes in drawing units: a label character is about PIC_CHAR_W wide
** at the page's 12px font, plus the room of the page's icon; boxes hold two
** lines. */
#define PIC_CHAR_W    7
#define PIC_PAD_W    60
#define PIC_MIN_W   150
#define PIC_MAX_W   280
#define PIC_BOX_H    44

/* ---- options ----------------------------------------------------------- */

typedef struct PicOptions {
  sqlite3_int64 minSize, maxNodes;
  int bTB;
  int bExpandAll;
  sqlite3_int64 *aExpand; int nExpand;
  sqlite3_int64 *aHide; int nHide;
  int bWalkOptions;        /* as_of, stop or prune given (filter.c reads them) */
} PicOptions;

/* One option's value: its JSON type, its SQL value, its JSON text. */
typedef struct PicValue {
  const char *zType;
  sqlite3_value *pValue;
  const char *zJson;
} PicValue;

/* An array of integers (node or cluster ids). */
static void parse_ids(Lx *x, const char *zFunc, const char *zKey,
                      const PicValue *v, sqlite3_int64 **pa, int *pn){
  sqlite3_stmt *pStmt;
  if( strcmp(v->zType, "array")!=0 ){
    lx_fail(x, "%s option '%s' must be an array of ids, not %.64s", zFunc,
            zKey, v->zJson);
    return;
  }
  pStmt = lx_prepare(x, "SELECT type, value, json_quote(value) FROM json_each(?1)", "t",
                     v->zJson);
  while( pStmt && lx_step(x, pStmt)==SQLITE_ROW ){
    const char *zT = lx_column_text(x, pStmt, 0);
    sqlite3_int64 *aNew;
    if( zT==0 ) break;
    if( strcmp(zT, "integer")!=0 ){
      const char *zAtom = (const char*)sqlite3_column_text(pStmt, 2);
      lx_fail(x, "%s option '%s' must be an array of ids, not one holding "
              "%.64s", zFunc, zKey, zAtom ? zAtom : zT);
      break;
    }
    aNew = sqlite3_realloc64(*pa, sizeof(sqlite3_int64)*((sqlite3_uint64)*pn+1));
    if( aNew==0 ){ x->rc = SQLITE_NOMEM; break; }
    *pa = aNew;
    aNew[(*pn)++] = sqlite3_column_int64(pStmt, 1);
  }
  lx_finalize(x, pStmt);
}

/* An integer >= iMin. */
static void parse_int(Lx *x, const char *zFunc, const char *zKey,
                      const PicValue *v, sqlite3_int64 iMin,
                      sqlite3_int64 *pOut){
  if( strcmp(v->zType, "integer")!=0 ){
    lx_fail(x, "%s option '%s' must be an integer, not %.64s", zFunc, zKey,
            v->zJson);
  }else if( sqlite3_value_int64(v->pValue)<iMin ){
    lx_fail(x, "%s option '%s' must be %lld or more, not %lld", zFunc, zKey,
            iMin, sqlite3_value_int64(v->pValue));
  }else{
    *pOut = sqlite3_value_int64(v->pValue);
  }
}

static void opt_expand(Lx *x, const char *zFunc, const PicValue *v,
                       PicOptions *o){
  if( strcmp(v->zType, "true")==0 ){ o->bExpandAll = 1; return; }
  if( strcmp(v->zType, "false")==0 ) return;
  if( strcmp(v->zType, "array")!=0 ){
    lx_fail(x, "%s option 'expand' must be true, false or an array of "
            "cluster ids, not %.64s", zFunc, v->zJson);
    return;
  }
  parse_ids(x, zFunc, "expand", v, &o->aExpand, &o->nExpand);
}
static void opt_min_size(Lx *x, const char *zFunc, const PicValue *v,
                         PicOptions *o){
  parse_int(x, zFunc, "min_size", v, 1, &o->minSize);
}
static void opt_hide(Lx *x, const char *zFunc, const PicValue *v,
                     PicOptions *o){
  parse_ids(x, zFunc, "hide", v, &o->aHide, &o->nHide);
}
static void opt_rankdir(Lx *x, const char *zFunc, const PicValue *v,
                        PicOptions *o){
  const char *z = (const char*)sqlite3_value_text(v->pValue);
  if( strcmp(v->zType, "text")==0 && z && strcmp(z, "LR")==0 ) o->bTB = 0;
  else if( strcmp(v->zType, "text")==0 && z && strcmp(z, "TB")==0 ) o->bTB = 1;
  else lx_fail(x, "%s option 'rankdir' must be 'LR' or 'TB', not %.64s",
               zFunc, v->zJson);
}
static void opt_max_nodes(Lx *x, const char *zFunc, const PicValue *v,
                          PicOptions *o){
  parse_int(x, zFunc, "max_nodes", v, 1, &o->maxNodes);
}

/* as_of, stop, prune: the walks' options, parsed by filter.c. */
static void opt_walk(Lx *x, const char *zFunc, const PicValue *v,
                     PicOptions *o){
  (void)x; (void)zFunc; (void)v;
  o->bWalkOptions = 1;
}

/* The options the pictures take: adding one is one line here (and its
** parser). */
static const struct {
  const char *zKey;
  void (*xParse)(Lx*, const char*, const PicValue*, PicOptions*);
} aPicOption[] = {
  { "expand",    opt_expand },
  { "min_size",  opt_min_size },
  { "hide",      opt_hide },
  { "rankdir",   opt_rankdir },
  { "max_nodes", opt_max_nodes },
  { "as_of",     opt_walk },
  { "stop",      opt_walk },
  { "prune",     opt_walk },
};
/* The keys filter.c is to let through besides its own. */
static const char *const azPicOnly[] = {
  "expand", "min_size", "hide", "rankdir", "max_nodes", 0
};
#define PIC_NOPTION ((int)(sizeof(aPicOption)/sizeof(aPicOption[0])))

static void parse_options(Lx *x, const char *zFunc, sqlite3_value *pOpts,
                          PicOptions *o){
  sqlite3_stmt *pStmt;
  char *zType;
  if( pOpts==0 || sqlite3_value_type(pOpts)==SQLITE_NULL ) return;
  zType = lx_json_type(x, pOpts);
  if( x->rc==SQLITE_OK && (zType==0 || strcmp(zType, "object")!=0) ){
    lx_fail(x, "%s options must be a JSON object, not %.64s", zFunc,
            sqlite3_value_text(pOpts));
  }
  sqlite3_free(zType);
  pStmt = lx_prepare(x, "SELECT key, type, value, json_quote(value) "
                        "FROM json_each(?1)", "v", pOpts);
  while( pStmt && lx_step(x, pStmt)==SQLITE_ROW ){
    const char *zKey = lx_column_text(x, pStmt, 0);
    PicValue v;
    int i;
    if( zKey==0 ) break;
    v.zType = lx_column_text(x, pStmt, 1);
    v.pValue = sqlite3_column_value(pStmt, 2);
    v.zJson = lx_column_text(x, pStmt, 3);
    if( v.zType==0 || v.zJson==0 ) break;
    if( strcmp(v.zType, "array")==0 || strcmp(v.zType, "object")==0 ){
      v.zJson = (const char*)sqlite3_column_text(pStmt, 2);
      if( v.zJson==0 ){ x->rc = SQLITE_NOMEM; break; }
    }
    for(i=0; i<PIC_NOPTION && strcmp(aPicOption[i].zKey, zKey)!=0; i++){}
    if( i<PIC_NOPTION ){
      aPicOption[i].xParse(x, zFunc, &v, o);
    }else{
      char *zList = 0;
      for(i=0; i<PIC_NOPTION; i++){
        zList = sqlite3_mprintf("%z%s%s", zList, i ? ", " : "",
                                aPicOption[i].zKey);
      }
      lx_fail(x, "unknown %s option '%.64s' (options: %s)", zFunc, zKey,
              zList);
      sqlite3_free(zList);
    }
    if( x->rc ) break;
  }
  lx_finalize(x, pStmt);
}

/* ---- helpers ------------------------------------------------------------ */

/* The next character of z: its length in bytes; *pc the code point,
** U+FFFD for a byte that does not start a valid sequence (length 1). */
static int utf8_next(const unsigned char *z, unsigned int *pc){
  unsigned int c = z[0], n, i, min;
  if( c<0x80 ){ *pc = c; return 1; }
  if( c>=0xc2 && c<0xe0 ){ n = 2; c &= 0x1f; min = 0x80; }
  else if( c>=0xe0 && c<0xf0 ){ n = 3; c &= 0x0f; min = 0x800; }
  else if( c>=0xf0 && c<0xf5 ){ n = 4; c &= 0x07; min = 0x10000; }
  else{ *pc = 0xfffd; return 1; }
  for(i=1; i<n; i++){
    if( (z[i]&0xc0)!=0x80 ){ *pc = 0xfffd; return 1; }
    c = (c<<6) | (z[i]&0x3f);
  }
  if( c<min || c>0x10ffff || (c>=0xd800 && c<0xe000) ){
    *pc = 0xfffd;
    return 1;
  }
  *pc = c;
  return (int)n;
}

void lineage_pic_text(sqlite3_str *pOut, const char *z, LineageEscape xChar,
                      int bHtml){
  const unsigned char *s = (const unsigned char*)(z ? z : "");
  while( *s ){
    unsigned int c;
    int n = utf8_next(s, &c);
    if( xChar(pOut, c, bHtml) ){
      /* escaped */
    }else if( c==0xfffd && n==1 ){
      sqlite3_str_appendall(pOut, "\xef\xbf\xbd");
    }else{
      sqlite3_str_append(pOut, (const char*)s, n);
    }
    s += n;
  }
}

int lineage_pic_label(sqlite3_str *pOut, const LineagePicture *p, int iBox,
                      LineageEscape xChar, const char *zBreak){
  const LineagePicBox *b = &p->aBox[iBox];
  const LineagePicNode *q;
  const char *z1, *z2;
  if( b->iNode<0 ){
    const LineagePicCluster *c = &p->aCluster[b->iCluster];
    lineage_pic_text(pOut, c->zLabel, xChar, 0);
    return c->bRun;
  }
  q = &p->aNode[b->iNode];
  z1 = q->az[q->bRun ? LINEAGE_PIC_NAME : LINEAGE_PIC_TYPE];
  z2 = q->az[q->bRun ? LINEAGE_PIC_TYPE : LINEAGE_PIC_REF];
  if( z1==0 && z2==0 ) z1 = q->az[LINEAGE_PIC_REF];
  if( z1 ) lineage_pic_text(pOut, z1, xChar, 0);
  if( z1 && z2 ) sqlite3_str_appendall(pOut, zBreak);
  if( z2 ) lineage_pic_text(pOut, z2, xChar, 0);
  return q->bRun;
}

void lineage_pic_edges(sqlite3_str *pOut, const LineagePicture *p,
                       const char *zArrow, const char *zEnd){
  int k;
  for(k=0; k<p->nBoxEdge; k++){
    sqlite3_str_appendall(pOut, "  ");
    lineage_pic_box_id(pOut, p, p->aBoxEdge[2*k]);
    sqlite3_str_appendall(pOut, zArrow);
    lineage_pic_box_id(pOut, p, p->aBoxEdge[2*k+1]);
    sqlite3_str_appendall(pOut, zEnd);
  }
}

void lineage_pic_box_id(sqlite3_str *pOut, const LineagePicture *p, int iBox){
  const LineagePicBox *b = &p->aBox[iBox];
  if( b->iNode>=0 ){
    sqlite3_str_appendf(pOut, "n%lld", p->aNode[b->iNode].id);
  }else{
    sqlite3_str_appendf(pOut, "c%d", p->aCluster[b->iCluster].id);
  }
}

/* Characters of z (code points), for box widths. */
static int text_chars(const char *z){
  int n = 0;
  unsigned int c;
  if( z==0 ) return 0;
  while( *z ){ z += utf8_next((const unsigned char*)z, &c); n++; }
  return n;
}

static double box_width(int nChar){
  int w = PIC_PAD_W + PIC_CHAR_W*nChar;
  if( w<PIC_MIN_W ) w = PIC_MIN_W;
  if( w>PIC_MAX_W ) w = PIC_MAX_W;
  return (double)(w + (w&1));
}

static int id_cmp(const void *a, const void *b){
  sqlite3_int64 x = *(const sqlite3_int64*)a, y = *(const sqlite3_int64*)b;
  return x<y ? -1 : x>y;
}
static int has_id(const sqlite3_int64 *a, int n, sqlite3_int64 id){
  return n>0 && bsearch(&id, a, n, sizeof(sqlite3_int64), id_cmp)!=0;
}

/* An id and the node it is, sorted by id, to find a node by id. */
typedef struct PicIdx { sqlite3_int64 id; int i; } PicIdx;
static int idx_cmp(const void *a, const void *b){
  sqlite3_int64 x = ((const PicIdx*)a)->id, y = ((const PicIdx*)b)->id;
  return x<y ? -1 : x>y;
}

static int pair_cmp(const void *a, const void *b){
  const int *x = (const int*)a, *y = (const int*)b;
  if( x[0]!=y[0] ) return x[0]<y[0] ? -1 : 1;
  return x[1]<y[1] ? -1 : x[1]>y[1];
}

static void picture_clear(LineagePicture *p){
  int i, k;
  for(i=0; i<p->nNode; i++){
    for(k=0; k<LINEAGE_PIC_NFIELD; k++) sqlite3_free(p->aNode[i].az[k]);
  }
  for(i=0; i<p->nCluster; i++) sqlite3_free(p->aCluster[i].zLabel);
  sqlite3_free(p->aNode);
  sqlite3_free(p->aEdge);
  sqlite3_free(p->aCluster);
  sqlite3_free(p->aBox);
  sqlite3_free(p->aBoxEdge);
  memset(p, 0, sizeof(*p));
}

/* ---- building the picture ----------------------------------------------- */

/* Keep the graph's nodes that are not hidden, within max_nodes: whole rings
** of levels (distance d both ways) from the start outwards while they fit. */
static void pick_nodes(Lx *x, LineagePicture *p, const LineageGraph *g,
                       const PicOptions *o, sqlite3_int64 startId){
  sqlite3_int64 *aRing;   /* nodes per distance */
  unsigned int i;
  int maxDist = 0, keepDist, d;
  sqlite3_int64 nKept = 0;
  for(i=0; i<g->nNode; i++){
    int dd = g->aNode[i].level<0 ? -g->aNode[i].level : g->aNode[i].level;
    if( dd>maxDist ) maxDist = dd;
  }
  aRing = sqlite3_malloc64(sizeof(sqlite3_int64)*((sqlite3_uint64)maxDist+1));
  p->aNode = sqlite3_malloc64(sizeof(LineagePicNode)*((sqlite3_uint64)g->nNode+1));
  if( aRing==0 || p->aNode==0 ){
    sqlite3_free(aRing);
    x->rc = SQLITE_NOMEM;
    return;
  }
  memset(aRing, 0, sizeof(sqlite3_int64)*((size_t)maxDist+1));
  for(i=0; i<g->nNode; i++){
    const LineageGraphNode *n = &g->aNode[i];
    if( has_id(o->aHide, o->nHide, n->id) ){
      if( n->id==startId ){
        lx_fail(x, "%s cannot hide the start node %lld", p->zFunc, n->id);
        sqlite3_free(aRing);
        return;
      }
      p->nHidden++;
      continue;
    }
    aRing[n->level<0 ? -n->level : n->level]++;
  }
  for(keepDist=0; keepDist<=maxDist; keepDist++){
    if( keepDist>0 && nKept + aRing[keepDist] > o->maxNodes ) break;
    nKept += aRing[keepDist];
  }
  p->bTruncated = keepDist<=maxDist;
  for(i=0; i<g->nNode; i++){
    const LineageGraphNode *n = &g->aNode[i];
    LineagePicNode *q;
    d = n->level<0 ? -n->level : n->level;
    if( d>=keepDist || has_id(o->aHide, o->nHide, n->id) ) continue;
    q = &p->aNode[p->nNode++];
    memset(q, 0, sizeof(*q));
    q->id = n->id;
    q->level = n->level;
    q->bRun = n->bRun;
    q->version = -1;
    q->cluster = n->cluster;       /* the graph's id for now */
    if( n->id==startId ) p->iStart = p->nNode-1;
  }
  sqlite3_free(aRing);
}

/* With as_of, what a node's panel said then: the state the walks give
** (filter.c), no duration while it was running, and the aliases held then
** (the alias history, by its (project, name) index; a database that has no
** history yet has today's aliases from now on and none before). */
static void fields_as_of(Lx *x, LineageFilter *pFilter, const char *zNow,
                         LineagePicNode *q){
  static const char zAliasSql[] =
    "SELECT json_group_array(alias) FROM (SELECT h.alias"
    " FROM main.lineage_alias_assignment h JOIN main.lineage_node n"
    " ON n.node_id = ?1 AND h.project = n.project AND h.name = n.name"
    " WHERE h.node_id = ?1 AND h.assigned_at <= ?2"
    " AND (h.removed_at IS NULL OR h.removed_at > ?2) ORDER BY 1)";
  const char *zAsOf = lineage_filter_as_of(pFilter);
  char *zState = 0;
  int rc = lineage_filter_state_text(pFilter, q->id, &zState);
  if( rc ){ x->rc = rc; return; }
  sqlite3_free(q->az[LINEAGE_PIC_STATE]);
  q->az[LINEAGE_PIC_STATE] = zState;
  if( q->bRun ){
    if( zState && strcmp(zState, "running")==0 ){
      sqlite3_free(q->az[LINEAGE_PIC_DURATION]);
      q->az[LINEAGE_PIC_DURATION] = 0;
    }
    return;
  }
  if( lineage_schema_version(x)>=LINEAGE_SCHEMA_V2 ){
    char *z = lx_text(x, zAliasSql, "it", q->id, zAsOf);
    if( z==0 ) return;
    sqlite3_free(q->az[LINEAGE_PIC_ALIASES]);
    q->az[LINEAGE_PIC_ALIASES] = z;
  }else if( strcmp(zAsOf, zNow)<0 ){
    sqlite3_free(q->az[LINEAGE_PIC_ALIASES]);
    q->az[LINEAGE_PIC_ALIASES] = 0;          /* written as [] */
  }
}

/* Each node's panel fields: one point query per node (three with as_of:
** its state and aliases then). */
static void read_fields(Lx *x, LineagePicture *p, LineageFilter *pFilter){
  static const char zSql[] =
    "SELECT n.kind, n.project, n.name, n.version, n.type, n.state,"
    " r.display_name, r.started_at,"
    " round((julianday(r.finished_at) - julianday(r.started_at))*86400.0, 3),"
    " r.author, v.created_at, v.description, v.size,"
    " (SELECT l.name FROM main.lineage_node l WHERE l.node_id = v.logged_by),"
    " (SELECT json_group_array(alias) FROM (SELECT a.alias"
    "   FROM main.lineage_alias a WHERE a.node_id = n.node_id ORDER BY 1))"
    " FROM main.lineage_node n"
    " LEFT JOIN main.lineage_run r ON r.node_id = n.node_id"
    " LEFT JOIN main.lineage_version v ON v.node_id = n.node_id"
    " WHERE n.node_id = ?1";
  /* result column of each field, for runs and for versions (-1: none) */
  static const signed char aRunCol[LINEAGE_PIC_NFIELD] =
    { -1, 1, 6, 4, 5, 7, 8, 9, -1, -1, -1, -1, -1 };
  static const signed char aVerCol[LINEAGE_PIC_NFIELD] =
    { -1, 1, 2, 4, 5, -1, -1, -1, 14, 10, 11, 13, 12 };
  sqlite3_stmt *pStmt = lx_prepare(x, zSql, "");
  char *zNow = lineage_filter_as_of(pFilter) ? lx_time(x, 0, "now") : 0;
  int i, k;
  for(i=0; pStmt && x->rc==SQLITE_OK && i<p->nNode; i++){
    LineagePicNode *q = &p->aNode[i];
    sqlite3_reset(pStmt);
    sqlite3_bind_int64(pStmt, 1, q->id);
    if( lx_step(x, pStmt)!=SQLITE_ROW ){
      /* a node deleted by hand: drawn by its id */
      if( x->rc==SQLITE_OK ) q->az[LINEAGE_PIC_REF] = sqlite3_mprintf("%lld", q->id);
      if( x->rc==SQLITE_OK && q->az[LINEAGE_PIC_REF]==0 ) x->rc = SQLITE_NOMEM;
      continue;
    }
    q->bFound = 1;
    q->bRun = sqlite3_column_text(pStmt, 0)[0]=='r';
    for(k=0; k<LINEAGE_PIC_NFIELD && x->rc==SQLITE_OK; k++){
      int iCol = q->bRun ? aRunCol[k] : aVerCol[k];
      if( iCol>=0 ) q->az[k] = lx_column_dup(x, pStmt, iCol);
    }
    if( q->bRun ){
      if( q->az[LINEAGE_PIC_NAME]==0 ){    /* no display name: the run id */
        q->az[LINEAGE_PIC_NAME] = lx_column_dup(x, pStmt, 2);
      }
      q->az[LINEAGE_PIC_REF] = lx_column_dup(x, pStmt, 2);
    }else{
      q->version = sqlite3_column_int64(pStmt, 3);
      q->az[LINEAGE_PIC_REF] = sqlite3_mprintf("%s:v%lld",
          sqlite3_column_text(pStmt, 2), q->version);
      if( q->az[LINEAGE_PIC_REF]==0 ) x->rc = SQLITE_NOMEM;
    }
    if( zNow && x->rc==SQLITE_OK ) fields_as_of(x, pFilter, zNow, q);
  }
  lx_finalize(x, pStmt);
  sqlite3_free(zNow);
}

/* The label of a cluster: "12 versions of model" when its versions share
** an artifact name (else a type), "50 runs of train" when its runs share a
** job type. */
static char *cluster_label(const LineagePicture *p, const LineagePicCluster *c){
  const char *zName = 0, *zType = 0;
  int bOneName = 1, bOneType = 1, i;
  for(i=0; i<p->nNode; i++){
    const LineagePicNode *q = &p->aNode[i];
    const char *zN = q->bRun ? 0 : q->az[LINEAGE_PIC_NAME];
    const char *zT = q->az[LINEAGE_PIC_TYPE];
    if( q->cluster-1 != (int)(c - p->aCluster) ) continue;
    if( zN==0 || (zName && strcmp(zName, zN)!=0) ) bOneName = 0;
    if( zT==0 || (zType && strcmp(zType, zT)!=0) ) bOneType = 0;
    if( zN ) zName = zN;
    if( zT ) zType = zT;
  }
  if( c->bRun ){
    return bOneType && zType
      ? sqlite3_mprintf("%d run%s of %s", c->nMember, c->nMember==1?"":"s", zType)
      : sqlite3_mprintf("%d run%s", c->nMember, c->nMember==1?"":"s");
  }
  if( bOneName && zName ){
    return sqlite3_mprintf("%d version%s of %s", c->nMember,
                           c->nMember==1?"":"s", zName);
  }
  return bOneType && zType
    ? sqlite3_mprintf("%d version%s of %s", c->nMember, c->nMember==1?"":"s", zType)
    : sqlite3_mprintf("%d version%s", c->nMember, c->nMember==1?"":"s");
}

/* Clusters of the nodes kept; expand marks some; each folded one gets a
** box, every other node a box of its own. */
static void make_boxes(Lx *x, LineagePicture *p, const LineageGraph *g,
                       const PicOptions *o){
  int i, k, nClusterMax = 0, minLevel = 0;
  int *aMap;             /* graph cluster id -> index + 1 */
  for(i=0; i<(int)g->nNode; i++){
    if( g->aNode[i].cluster>nClusterMax ) nClusterMax = g->aNode[i].cluster;
  }
  for(k=0; k<o->nExpand; k++){
    if( o->aExpand[k]<1 || o->aExpand[k]>nClusterMax ){
      if( nClusterMax ){
        lx_fail(x, "%s option 'expand': no cluster %lld (clusters: 1-%d)",
                p->zFunc, o->aExpand[k], nClusterMax);
      }else{
        lx_fail(x, "%s option 'expand': no cluster %lld (the graph has no "
                "clusters)", p->zFunc, o->aExpand[k]);
      }
      return;
    }
  }
  aMap = sqlite3_malloc64(sizeof(int)*((sqlite3_uint64)nClusterMax+1));
  p->aCluster = sqlite3_malloc64(sizeof(LineagePicCluster)*((sqlite3_uint64)nClusterMax+1));
  p->aBox = sqlite3_malloc64(sizeof(LineagePicBox)*((sqlite3_uint64)p->nNode+1));
  if( aMap==0 || p->aCluster==0 || p->aBox==0 ){
    sqlite3_free(aMap);
    x->rc = SQLITE_NOMEM;
    return;
  }
  memset(aMap, 0, sizeof(int)*((size_t)nClusterMax+1));
  if( p->nNode ) minLevel = p->aNode[0].level;
  for(i=0; i<p->nNode; i++){
    LineagePicNode *q = &p->aNode[i];
    LineagePicCluster *c = 0;
    if( q->cluster ){
      if( aMap[q->cluster]==0 ){
        sqlite3_int64 id = q->cluster;
        c = &p->aCluster[p->nCluster];
        memset(c, 0, sizeof(*c));
        c->id = q->cluster;
        c->level = q->level;
        c->bRun = q->bRun;
        c->iBox = -1;
        c->bExpanded = o->bExpandAll || has_id(o->aExpand, o->nExpand, id);
        aMap[q->cluster] = ++p->nCluster;
      }
      q->cluster = aMap[q->cluster];
      c = &p->aCluster[q->cluster-1];
      c->nMember++;
    }
    if( c && !c->bExpanded && c->iBox>=0 ){
      q->iBox = c->iBox;
      continue;
    }
    q->iBox = p->nBox;
    memset(&p->aBox[p->nBox], 0, sizeof(LineagePicBox));
    p->aBox[p->nBox].iNode = -1;
    p->aBox[p->nBox].lay.rank = q->level - minLevel;
    p->aBox[p->nBox].lay.h = PIC_BOX_H;
    if( c && !c->bExpanded ){
      c->iBox = p->nBox;
      p->aBox[p->nBox].iCluster = q->cluster-1;
    }else{
      int n1 = text_chars(q->az[LINEAGE_PIC_TYPE]);
      int n2 = text_chars(q->az[q->bRun ? LINEAGE_PIC_NAME : LINEAGE_PIC_REF]);
      p->aBox[p->nBox].iNode = i;
      p->aBox[p->nBox].lay.w = box_width(n1>n2 ? n1 : n2);
    }
    p->nBox++;
  }
  sqlite3_free(aMap);
  for(k=0; k<p->nCluster; k++){
    LineagePicCluster *c = &p->aCluster[k];
    c->zLabel = cluster_label(p, c);
    if( c->zLabel==0 ){ x->rc = SQLITE_NOMEM; return; }
    if( c->iBox>=0 ) p->aBox[c->iBox].lay.w = box_width(text_chars(c->zLabel));
  }
}

/* The edges between nodes of the picture (one index seek per node), and
** between boxes (deduplicated). */
static void read_edges(Lx *x, LineagePicture *p){
  PicIdx *aIdx = sqlite3_malloc64(sizeof(PicIdx)*((sqlite3_uint64)p->nNode+1));
  sqlite3_stmt *pStmt;
  int i, nAlloc = 0, k, n;
  if( aIdx==0 ){ x->rc = SQLITE_NOMEM; return; }
  for(i=0; i<p->nNode; i++){ aIdx[i].id = p->aNode[i].id; aIdx[i].i = i; }
  qsort(aIdx, p->nNode, sizeof(PicIdx), idx_cmp);
  pStmt = lx_prepare(x, "SELECT dst FROM main.lineage_edge WHERE src = ?1 "
                        "ORDER BY dst", "");
  for(i=0; pStmt && x->rc==SQLITE_OK && i<p->nNode; i++){
    sqlite3_reset(pStmt);
    sqlite3_bind_int64(pStmt, 1, p->aNode[i].id);
    while( lx_step(x, pStmt)==SQLITE_ROW ){
      PicIdx key, *pHit;
      key.id = sqlite3_column_int64(pStmt, 0);
      pHit = bsearch(&key, aIdx, p->nNode, sizeof(PicIdx), idx_cmp);
      if( pHit==0 ) continue;
      if( p->nEdge>=nAlloc ){
        int *aNew;
        nAlloc = nAlloc ? nAlloc*2 : 64;
        aNew = sqlite3_realloc64(p->aEdge, sizeof(int)*2*(sqlite3_uint64)nAlloc);
        if( aNew==0 ){ x->rc = SQLITE_NOMEM; break; }
        p->aEdge = aNew;
      }
      p->aEdge[2*p->nEdge] = i;
      p->aEdge[2*p->nEdge+1] = pHit->i;
      p->nEdge++;
    }
  }
  lx_finalize(x, pStmt);
  sqlite3_free(aIdx);
  if( x->rc ) return;
  p->aBoxEdge = sqlite3_malloc64(sizeof(int)*2*((sqlite3_uint64)p->nEdge+1));
  if( p->aBoxEdge==0 ){ x->rc = SQLITE_NOMEM; return; }
  for(k=0, n=0; k<p->nEdge; k++){
    int a = p->aNode[p->aEdge[2*k]].iBox, b = p->aNode[p->aEdge[2*k+1]].iBox;
    if( a==b ) continue;
    p->aBoxEdge[2*n] = a;
    p->aBoxEdge[2*n+1] = b;
    n++;
  }
  qsort(p->aBoxEdge, n, 2*sizeof(int), pair_cmp);
  for(k=0, p->nBoxEdge=0; k<n; k++){
    if( p->nBoxEdge>0 && pair_cmp(&p->aBoxEdge[2*k], &p->aBoxEdge[2*(p->nBoxEdge-1)])==0 ){
      continue;
    }
    p->aBoxEdge[2*p->nBoxEdge] = p->aBoxEdge[2*k];
    p->aBoxEdge[2*p->nBoxEdge+1] = p->aBoxEdge[2*k+1];
    p->nBoxEdge++;
  }
}

/* A box (or node) index and where it goes: sorted by rank, then across. */
typedef struct PicSort { double rank, across; int i; } PicSort;
static int sort_cmp(const void *a, const void *b){
  const PicSort *x = (const PicSort*)a, *y = (const PicSort*)b;
  if( x->rank!=y->rank ) return x->rank<y->rank ? -1 : 1;
  if( x->across!=y->across ) return x->across<y->across ? -1 : 1;
  return x->i<y->i ? -1 : x->i>y->i;
}

/* Put boxes and nodes in the layout's order (level, then place in the
** level) and renumber what refers to them; edges sorted again. */
static int sort_by_layout(LineagePicture *p){
  int n = p->nBox>p->nNode ? p->nBox : p->nNode, i;
  PicSort *a = sqlite3_malloc64(sizeof(PicSort)*((sqlite3_uint64)n+1));
  int *aNew = sqlite3_malloc64(sizeof(int)*((sqlite3_uint64)n+1));
  LineagePicBox *aBox = sqlite3_malloc64(sizeof(LineagePicBox)*((sqlite3_uint64)p->nBox+1));
  LineagePicNode *aNode = sqlite3_malloc64(sizeof(LineagePicNode)*((sqlite3_uint64)p->nNode+1));
  if( a==0 || aNew==0 || aBox==0 || aNode==0 ){
    sqlite3_free(a); sqlite3_free(aNew); sqlite3_free(aBox); sqlite3_free(aNode);
    return SQLITE_NOMEM;
  }
  /* boxes */
  for(i=0; i<p->nBox; i++){
    const LineageLayoutBox *l = &p->aBox[i].lay;
    a[i].rank = l->rank;
    a[i].across = p->bTB ? l->x : l->y;
    a[i].i = i;
  }
  qsort(a, p->nBox, sizeof(PicSort), sort_cmp);
  for(i=0; i<p->nBox; i++){ aNew[a[i].i] = i; aBox[i] = p->aBox[a[i].i]; }
  memcpy(p->aBox, aBox, sizeof(LineagePicBox)*p->nBox);
  for(i=0; i<p->nNode; i++) p->aNode[i].iBox = aNew[p->aNode[i].iBox];
  for(i=0; i<p->nCluster; i++){
    if( p->aCluster[i].iBox>=0 ) p->aCluster[i].iBox = aNew[p->aCluster[i].iBox];
  }
  for(i=0; i<2*p->nBoxEdge; i++) p->aBoxEdge[i] = aNew[p->aBoxEdge[i]];
  qsort(p->aBoxEdge, p->nBoxEdge, 2*sizeof(int), pair_cmp);
  /* nodes: by their box, members of one folded cluster in graph order */
  for(i=0; i<p->nNode; i++){
    a[i].rank = p->aNode[i].iBox;
    a[i].across = 0;
    a[i].i = i;
  }
  qsort(a, p->nNode, sizeof(PicSort), sort_cmp);
  for(i=0; i<p->nNode; i++){ aNew[a[i].i] = i; aNode[i] = p->aNode[a[i].i]; }
  memcpy(p->aNode, aNode, sizeof(LineagePicNode)*p->nNode);
  for(i=0; i<p->nBox; i++){
    if( p->aBox[i].iNode>=0 ) p->aBox[i].iNode = aNew[p->aBox[i].iNode];
  }
  for(i=0; i<2*p->nEdge; i++) p->aEdge[i] = aNew[p->aEdge[i]];
  if( p->nEdge>1 ) qsort(p->aEdge, p->nEdge, 2*sizeof(int), pair_cmp);
  p->iStart = aNew[p->iStart];
  sqlite3_free(a); sqlite3_free(aNew); sqlite3_free(aBox); sqlite3_free(aNode);
  return SQLITE_OK;
}

/* Lay the boxes out; clusters that are expanded get their members'
** bounding box. */
static void place(Lx *x, LineagePicture *p){
  LineageLayoutBox *a = sqlite3_malloc64(sizeof(LineageLayoutBox)*((sqlite3_uint64)p->nBox+1));
  int i, rc;
  if( a==0 ){ x->rc = SQLITE_NOMEM; return; }
  for(i=0; i<p->nBox; i++) a[i] = p->aBox[i].lay;
  rc = lineage_layout(a, p->nBox, p->aBoxEdge, p->nBoxEdge, p->bTB,
                      &p->width, &p->height);
  if( rc ){ sqlite3_free(a); x->rc = rc; return; }
  for(i=0; i<p->nBox; i++) p->aBox[i].lay = a[i];
  sqlite3_free(a);
  if( sort_by_layout(p) ){ x->rc = SQLITE_NOMEM; return; }
  for(i=0; i<p->nCluster; i++){
    LineagePicCluster *c = &p->aCluster[i];
    double x0 = 1e300, y0 = 1e300, x1 = -1e300, y1 = -1e300;
    int k;
    for(k=0; k<p->nNode; k++){
      const LineageLayoutBox *b = &p->aBox[p->aNode[k].iBox].lay;
      if( p->aNode[k].cluster!=i+1 ) continue;
      if( b->x - b->w/2 < x0 ) x0 = b->x - b->w/2;
      if( b->y - b->h/2 < y0 ) y0 = b->y - b->h/2;
      if( b->x + b->w/2 > x1 ) x1 = b->x + b->w/2;
      if( b->y + b->h/2 > y1 ) y1 = b->y + b->h/2;
    }
    c->x = (x0+x1)/2; c->y = (y0+y1)/2; c->w = x1-x0; c->h = y1-y0;
  }
}

/* Read the arguments and build the picture; on failure x holds the error. */
static void picture_build(Lx *x, LineageConn *conn, int argc,
                          sqlite3_value **argv, LineagePicture *p){
  static const char *const azDir[] = { "up", "down", "both" };
  static const int aDirs[] = { LINEAGE_GRAPH_UP, LINEAGE_GRAPH_DOWN,
                               LINEAGE_GRAPH_BOTH };
  PicOptions o;
  LineageGraph g;
  LineageFilter *pFilter = 0;
  sqlite3_int64 maxDepth = -1, startId;
  int dirs = LINEAGE_GRAPH_BOTH, rc, i;
  char *zErr = 0;

  memset(&o, 0, sizeof(o));
  memset(&g, 0, sizeof(g));
  o.minSize = LINEAGE_DEFAULT_MIN_SIZE;
  o.maxNodes = PIC_DEFAULT_MAX_NODES;
  p->zDirection = "both";
  if( argc>1 && sqlite3_value_type(argv[1])!=SQLITE_NULL ){
    const char *z = (const char*)sqlite3_value_text(argv[1]);
    for(i=0; i<3 && (z==0 || strcmp(z, azDir[i])!=0); i++){}
    if( i==3 ){
      lx_fail(x, "%s direction must be 'up', 'down' or 'both', not '%.64s'",
              p->zFunc, z ? z : "");
      return;
    }
    dirs = aDirs[i];
    p->zDirection = azDir[i];
  }
  if( argc>2 ){
    rc = lineage_int_arg(argv[2], "max_depth", 0, -1, &maxDepth, &zErr);
    if( rc ){ x->rc = rc; x->zErr = zErr; return; }
  }
  if( argc>3 ) parse_options(x, p->zFunc, argv[3], &o);
  p->bTB = o.bTB;
  if( o.nHide ) qsort(o.aHide, o.nHide, sizeof(sqlite3_int64), id_cmp);
  if( o.nExpand ) qsort(o.aExpand, o.nExpand, sizeof(sqlite3_int64), id_cmp);

  if( x->rc==SQLITE_OK ){
    rc = SQLITE_OK;
    if( o.bWalkOptions ){
      rc = lineage_filter_open(x->db, conn, argv[3], p->zFunc, azPicOnly,
                               &pFilter, &zErr);
    }
    if( rc==SQLITE_OK ){
      rc = lineage_start_node(x->db, conn, &g.meta, argv[0], &startId, &zErr);
    }
    if( rc==SQLITE_OK ) rc = lineage_graph_open(&g, x->db, conn, &zErr);
    if( rc==SQLITE_OK ){
      g.pFilter = lineage_filter_active(pFilter) ? pFilter : 0;
      rc = lineage_graph_build(&g, startId, dirs, maxDepth, o.minSize);
      g.pFilter = 0;
      if( rc==SQLITE_OK && g.nNode==0 ){
        /* as_of before the start existed: nothing to draw. */
        zErr = lineage_mprintf("lineage: %s: the start did not exist as of "
                               "'%s'", p->zFunc, lineage_filter_as_of(pFilter));
        rc = zErr ? SQLITE_ERROR : SQLITE_NOMEM;
      }
    }
    if( rc ){
      x->rc = rc;
      x->zErr = zErr ? zErr : (rc==SQLITE_NOMEM ? 0 :
                lineage_graph_errmsg(&g, x->db));
    }
  }
  if( x->rc==SQLITE_OK ) pick_nodes(x, p, &g, &o, startId);
  if( x->rc==SQLITE_OK ) read_fields(x, p, pFilter);
  if( x->rc==SQLITE_OK ) make_boxes(x, p, &g, &o);
  if( x->rc==SQLITE_OK ) read_edges(x, p);
  if( x->rc==SQLITE_OK ) place(x, p);
  lineage_graph_close(&g);
  lineage_filter_free(pFilter);
  sqlite3_free(o.aHide);
  sqlite3_free(o.aExpand);
}

/* One picture function: build, then write with xWrite. */
static void picture_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv,
                       const char *zFunc,
                       void (*xWrite)(sqlite3_str*, const LineagePicture*)){
  LineagePicture pic;
  Lx x;
  lx_init_fn(&x, ctx);
  memset(&pic, 0, sizeof(pic));
  pic.zFunc = zFunc;
  picture_build(&x, (LineageConn*)sqlite3_user_data(ctx), argc, argv, &pic);
  if( x.rc==SQLITE_OK ){
    sqlite3_str *pOut = sqlite3_str_new(x.db);
    int n;
    char *z;
    xWrite(pOut, &pic);
    n = sqlite3_str_length(pOut);
    if( sqlite3_str_errcode(pOut) ){
      x.rc = sqlite3_str_errcode(pOut);
      sqlite3_free(sqlite3_str_finish(pOut));
    }else{
      z = sqlite3_str_finish(pOut);
      sqlite3_result_text(ctx, z ? z : "", n, z ? sqlite3_free : SQLITE_STATIC);
    }
  }
  if( x.rc==SQLITE_NOMEM || (x.rc && x.zErr==0) ){
    if( x.rc==SQLITE_TOOBIG ) sqlite3_result_error_toobig(ctx);
    else sqlite3_result_error_nomem(ctx);
  }else if( x.rc ){
    sqlite3_result_error(ctx, x.zErr, -1);
  }
  lx_clear(&x);
  picture_clear(&pic);
}

void lineage_fn_dot(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  picture_fn(ctx, argc, argv, "lineage_dot", lineage_dot_write);
}
void lineage_fn_mermaid(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  picture_fn(ctx, argc, argv, "lineage_mermaid", lineage_mermaid_write);
}
void lineage_fn_json(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  picture_fn(ctx, argc, argv, "lineage_json", lineage_json_write);
}
void lineage_fn_html(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  picture_fn(ctx, argc, argv, "lineage_html", lineage_html_write);
}
