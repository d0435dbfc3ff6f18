/*
** pictures_bench.c: how good and how fast the pictures are.
**
**   lineage_bench_pictures [--ext build/lineage.so] [--sizes 100,300,1000,2000,5000]
**                          [--func-size 10k] [--dir build/bench] [--md FILE]
**
** 1. Crossings. For each size it writes a generated lineage (a seed
**    dataset; runs that each use one to three of the last PB_WINDOW
**    versions and log one or two: long edges and many crossings, all of it
**    downstream of the seed) and exports it with lineage_json(seed, 'down',
**    NULL, '{"expand":true,...}'): every node its own box. The same nodes
**    and edges, with the same levels (one `rank=same` per level; an edge
**    that goes back a level is `constraint=false`) and the same box sizes,
**    are laid out by Graphviz `dot -Tplain`. Both drawings' crossings are
**    counted by one counter: pairs of straight segments between box
**    centres that cross (segments that share a node do not count).
** 2. Cost. On the bench's generated 10k-node graphs (generate.c, the bulk
**    path; shapes chain, sweep, diamond, mixed) each format is timed from
**    the middle dataset version (as lineage_bench's down-mid walk), beside
**    lineage_clusters from the same start: the walk the pictures build on.
**    Default options (clusters folded), then every cluster expanded.
** Output: markdown on stdout (and --md FILE). Exit status non-zero when a
** picture fails, dot does not keep the levels, or the layout has more than
** PB_MAX_RATIO times dot's crossings. --func-size 0 skips the cost part
** (ctest bench_pictures_smoke: --sizes 100,300 --func-size 0).
*/
#include "bench.h"
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef BENCH_DEFAULT_EXT
# define BENCH_DEFAULT_EXT "build/lineage.so"
#endif

/* How far back a run picks its inputs: wide enough for edges that span
** several levels (virtual nodes) and cross a lot, as a real project with
** many datasets and models does. */
#define PB_WINDOW 24
/* The aim: at most twice the crossings of dot given the same levels. */
#define PB_MAX_RATIO 2.0
/* Box size in drawing units (the pictures' own) and points per unit for
** dot (72 points per inch: 1 unit = 1 point). */
#define PB_POINTS_PER_INCH 72.0

static struct {
  const char *zExt, *zDir, *zMd;
  long long aSize[16]; int nSize;
  long long funcSize;
} O;
static FILE *g_md;
static int g_nBad;

static void out(const char *zFmt, ...){
  va_list ap;
  va_start(ap, zFmt); vprintf(zFmt, ap); va_end(ap);
  if( g_md ){ va_start(ap, zFmt); vfprintf(g_md, zFmt, ap); va_end(ap); }
}

static void die(const char *zMsg, sqlite3 *db){
  fprintf(stderr, "lineage_bench_pictures: %s: %s\n", zMsg, db ? sqlite3_errmsg(db) : "");
  exit(1);
}

static void exec(sqlite3 *db, const char *zSql){
  char *zErr = 0;
  if( sqlite3_exec(db, zSql, 0, 0, &zErr)!=SQLITE_OK ){
    fprintf(stderr, "%s\n", zErr);
    die(zSql, 0);
  }
}

static sqlite3 *open_db(const char *zPath){
  sqlite3 *db;
  char *zErr = 0;
  if( sqlite3_open(zPath, &db)!=SQLITE_OK ) die("open", db);
  sqlite3_enable_load_extension(db, 1);
  if( sqlite3_load_extension(db, O.zExt, 0, &zErr)!=SQLITE_OK ){
    fprintf(stderr, "%s\n", zErr);
    die("load", 0);
  }
  return db;
}

/* A small deterministic generator (the graphs are the same every run). */
static unsigned long long g_rand = 88172645463325252ULL;
static unsigned int rnd(unsigned int n){
  g_rand ^= g_rand<<13; g_rand ^= g_rand>>7; g_rand ^= g_rand<<17;
  return (unsigned int)(g_rand % n);
}

/* The crossings graph: about nTarget nodes, all downstream of seed:v0. */
static void make_crossing_graph(sqlite3 *db, long long nTarget){
  char **azVer = malloc(sizeof(char*)*(size_t)(nTarget+4));
  long long nVer = 0, nNode = 0, r = 0;
  sqlite3_stmt *pStart = 0, *pUse = 0, *pLog = 0;
  g_rand = 88172645463325252ULL;
  exec(db, "BEGIN");
  if( sqlite3_prepare_v2(db, "SELECT run_start(?1, ?2, '{\"started_at\":\"2026-01-01T00:00:00Z\"}')", -1, &pStart, 0)
   || sqlite3_prepare_v2(db, "SELECT use_artifact(?1, ?2)", -1, &pUse, 0)
   || sqlite3_prepare_v2(db, "SELECT log_artifact(?1, ?2, 'data', json_array(json_object('path', 'f', 'digest', ?3)))", -1, &pLog, 0) ){
    die("prepare", db);
  }
  sqlite3_bind_null(pLog, 1);
  sqlite3_bind_text(pLog, 2, "seed", -1, SQLITE_STATIC);
  sqlite3_bind_text(pLog, 3, "seed", -1, SQLITE_STATIC);
  if( sqlite3_step(pLog)!=SQLITE_ROW ) die("log seed", db);
  azVer[nVer++] = strdup((const char*)sqlite3_column_text(pLog, 0));
  sqlite3_reset(pLog);
  nNode = 1;
  while( nNode<nTarget ){
    char zRun[32], zName[32], zDigest[32];
    int nUse = 1 + rnd(3), nLog = 1 + rnd(2), k;
    snprintf(zRun, sizeof(zRun), "r%lld", r++);
    sqlite3_bind_text(pStart, 1, zRun, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(pStart, 2, r%3 ? "train" : "eval", -1, SQLITE_STATIC);
    if( sqlite3_step(pStart)!=SQLITE_ROW ) die("run_start", db);
    sqlite3_reset(pStart);
    nNode++;
    for(k=0; k<nUse; k++){
      long long lo = nVer>PB_WINDOW ? nVer-PB_WINDOW : 0;
      const char *zV = azVer[lo + rnd((unsigned int)(nVer-lo))];
      sqlite3_bind_text(pUse, 1, zRun, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(pUse, 2, zV, -1, SQLITE_TRANSIENT);
      if( sqlite3_step(pUse)!=SQLITE_ROW ) die("use_artifact", db);
      sqlite3_reset(pUse);
    }
    for(k=0; k<nLog && nNode<nTarget; k++){
      snprintf(zName, sizeof(zName), "a%u", rnd(40));
      snprintf(zDigest, sizeof(zDigest), "d%lld", nNode);
      sqlite3_bind_text(pLog, 1, zRun, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(pLog, 2, zName, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(pLog, 3, zDigest, -1, SQLITE_TRANSIENT);
      if( sqlite3_step(pLog)!=SQLITE_ROW ) die("log_artifact", db);
      azVer[nVer++] = strdup((const char*)sqlite3_column_text(pLog, 0));
      sqlite3_reset(pLog);
      nNode++;
    }
  }
  sqlite3_finalize(pStart); sqlite3_finalize(pUse); sqlite3_finalize(pLog);
  exec(db, "COMMIT");
  while( nVer>0 ) free(azVer[--nVer]);
  free(azVer);
}

/* ---- one counter for both drawings ------------------------------------ */

typedef struct Pt { double x, y; } Pt;
typedef struct Seg { int a, b; double x0, x1; } Seg;   /* node indexes */

static int seg_cmp(const void *p, const void *q){
  double x = ((const Seg*)p)->x0, y = ((const Seg*)q)->x0;
  return x<y ? -1 : x>y;
}
static double orient(Pt p, Pt q, Pt r){
  return (q.x-p.x)*(r.y-p.y) - (q.y-p.y)*(r.x-p.x);
}
/* Pairs of segments (between node centres aPt) that properly cross. */
static long long count_crossings(const Pt *aPt, const int *aEdge, int nEdge){
  Seg *a = malloc(sizeof(Seg)*(size_t)(nEdge+1));
  long long n = 0;
  int i, j;
  for(i=0; i<nEdge; i++){
    a[i].a = aEdge[2*i]; a[i].b = aEdge[2*i+1];
    a[i].x0 = fmin(aPt[a[i].a].x, aPt[a[i].b].x);
    a[i].x1 = fmax(aPt[a[i].a].x, aPt[a[i].b].x);
  }
  qsort(a, nEdge, sizeof(Seg), seg_cmp);
  for(i=0; i<nEdge; i++){
    Pt p1 = aPt[a[i].a], p2 = aPt[a[i].b];
    for(j=i+1; j<nEdge && a[j].x0 < a[i].x1; j++){
      Pt q1 = aPt[a[j].a], q2 = aPt[a[j].b];
      double d1, d2, d3, d4;
      if( a[j].a==a[i].a || a[j].a==a[i].b || a[j].b==a[i].a || a[j].b==a[i].b ) continue;
      d1 = orient(p1, p2, q1); d2 = orient(p1, p2, q2);
      d3 = orient(q1, q2, p1); d4 = orient(q1, q2, p2);
      if( ((d1>0 && d2<0) || (d1<0 && d2>0)) && ((d3>0 && d4<0) || (d3<0 && d4>0)) ) n++;
    }
  }
  free(a);
  return n;
}

/* ---- crossings against dot ---------------------------------------------- */

typedef struct Pic {
  int nNode, nEdge, nLevel;
  long long *aId;
  int *aLevel;
  double *aW, *aH;
  Pt *aOurs, *aDot;
  int *aEdge;
} Pic;

static int node_index(const Pic *p, long long id){
  int lo = 0, hi = p->nNode-1;       /* aId sorted by the query */
  while( lo<=hi ){
    int mid = (lo+hi)/2;
    if( p->aId[mid]==id ) return mid;
    if( p->aId[mid]<id ) lo = mid+1; else hi = mid-1;
  }
  return -1;
}

/* Read our picture from lineage_json's text (SQLite's JSON functions). */
static void read_json(sqlite3 *db, const char *zJson, Pic *p){
  sqlite3_stmt *s;
  int i = 0;
  memset(p, 0, sizeof(*p));
  sqlite3_prepare_v2(db, "SELECT json_array_length(?1, '$.nodes'), json_array_length(?1, '$.edges')", -1, &s, 0);
  sqlite3_bind_text(s, 1, zJson, -1, SQLITE_STATIC);
  sqlite3_step(s);
  p->nNode = sqlite3_column_int(s, 0); p->nEdge = sqlite3_column_int(s, 1);
  sqlite3_finalize(s);
  p->aId = malloc(sizeof(long long)*(p->nNode+1)); p->aLevel = malloc(sizeof(int)*(p->nNode+1));
  p->aW = malloc(sizeof(double)*(p->nNode+1)); p->aH = malloc(sizeof(double)*(p->nNode+1));
  p->aOurs = malloc(sizeof(Pt)*(p->nNode+1)); p->aDot = calloc(p->nNode+1, sizeof(Pt));
  p->aEdge = malloc(sizeof(int)*2*(p->nEdge+1));
  sqlite3_prepare_v2(db, "SELECT value->>'id', value->>'level', value->>'x', value->>'y', value->>'w', value->>'h' "
                         "FROM json_each(?1, '$.nodes') ORDER BY 1", -1, &s, 0);
  sqlite3_bind_text(s, 1, zJson, -1, SQLITE_STATIC);
  while( sqlite3_step(s)==SQLITE_ROW ){
    p->aId[i] = sqlite3_column_int64(s, 0);
    p->aLevel[i] = sqlite3_column_int(s, 1);
    if( p->aLevel[i]+1>p->nLevel ) p->nLevel = p->aLevel[i]+1;
    p->aOurs[i].x = sqlite3_column_double(s, 2); p->aOurs[i].y = sqlite3_column_double(s, 3);
    p->aW[i] = sqlite3_column_double(s, 4); p->aH[i] = sqlite3_column_double(s, 5);
    i++;
  }
  sqlite3_finalize(s);
  sqlite3_prepare_v2(db, "SELECT value->>'src', value->>'dst' FROM json_each(?1, '$.edges')", -1, &s, 0);
  sqlite3_bind_text(s, 1, zJson, -1, SQLITE_STATIC);
  i = 0;
  while( sqlite3_step(s)==SQLITE_ROW ){
    p->aEdge[2*i] = node_index(p, sqlite3_column_int64(s, 0));
    p->aEdge[2*i+1] = node_index(p, sqlite3_column_int64(s, 1));
    i++;
  }
  sqlite3_finalize(s);
}

static void pic_free(Pic *p){
  free(p->aId); free(p->aLevel); free(p->aW); free(p->aH);
  free(p->aOurs); free(p->aDot); free(p->aEdge);
}

/* Lay the same nodes out with dot; returns seconds, or -1 on failure.
** Sets *pnMisranked to the nodes dot did not put at their level's x. */
static double run_dot(const Pic *p, const char *zDir, int *pnMisranked){
  char zDot[600], zCmd[1400], zLine[512];
  FILE *f;
  int i, l;
  double t0, *aRankX;
  snprintf(zDot, sizeof(zDot), "%s/pictures-crossings.dot", zDir);
  f = fopen(zDot, "w");
  if( f==0 ) return -1;
  fprintf(f, "digraph g {\n  rankdir=LR;\n  node [shape=box, fixedsize=true, label=\"\"];\n");
  for(i=0; i<p->nNode; i++){
    fprintf(f, "  n%lld [width=%.4f, height=%.4f];\n", p->aId[i],
            p->aW[i]/PB_POINTS_PER_INCH, p->aH[i]/PB_POINTS_PER_INCH);
  }
  for(l=0; l<p->nLevel; l++){
    fprintf(f, "  {rank=same;");
    for(i=0; i<p->nNode; i++) if( p->aLevel[i]==l ) fprintf(f, " n%lld;", p->aId[i]);
    fprintf(f, "}\n");
  }
  for(i=0; i<p->nEdge; i++){
    int a = p->aEdge[2*i], b = p->aEdge[2*i+1];
    fprintf(f, "  n%lld -> n%lld%s;\n", p->aId[a], p->aId[b],
            p->aLevel[a] < p->aLevel[b] ? "" : " [constraint=false]");
  }
  fprintf(f, "}\n");
  fclose(f);
  snprintf(zCmd, sizeof(zCmd), "dot -Tplain '%s'", zDot);
  t0 = bench_now();
  f = popen(zCmd, "r");
  if( f==0 ) return -1;
  while( fgets(zLine, sizeof(zLine), f) ){
    long long id; double x, y;
    if( sscanf(zLine, "node n%lld %lf %lf", &id, &x, &y)==3 ){
      int k = node_index(p, id);
      if( k>=0 ){ p->aDot[k].x = x*PB_POINTS_PER_INCH; p->aDot[k].y = y*PB_POINTS_PER_INCH; }
    }
  }
  if( pclose(f)!=0 ) return -1;
  t0 = bench_now() - t0;
  /* dot keeps the levels: every node of a level at that level's x */
  aRankX = malloc(sizeof(double)*(p->nLevel+1));
  for(l=0; l<p->nLevel; l++) aRankX[l] = NAN;
  *pnMisranked = 0;
  for(i=0; i<p->nNode; i++){
    if( isnan(aRankX[p->aLevel[i]]) ) aRankX[p->aLevel[i]] = p->aDot[i].x;
    else if( fabs(aRankX[p->aLevel[i]] - p->aDot[i].x) > 0.5 ) (*pnMisranked)++;
  }
  for(l=1; l<p->nLevel; l++) if( !(aRankX[l] > aRankX[l-1]) ) (*pnMisranked)++;
  free(aRankX);
  return t0;
}

static char *one_text(sqlite3 *db, const char *zSql, double *pSec){
  sqlite3_stmt *s;
  char *z = 0;
  double t0 = bench_now();
  if( sqlite3_prepare_v2(db, zSql, -1, &s, 0)!=SQLITE_OK ) die(zSql, db);
  if( sqlite3_step(s)==SQLITE_ROW && sqlite3_column_text(s, 0) ){
    z = strdup((const char*)sqlite3_column_text(s, 0));
  }else{
    fprintf(stderr, "%s: %s\n", zSql, sqlite3_errmsg(db));
    g_nBad++;
  }
  sqlite3_finalize(s);
  if( pSec ) *pSec = bench_now() - t0;
  return z;
}

static void bench_crossings(void){
  int i;
  out("\n### Edge crossings: our layout and Graphviz dot, same nodes and levels\n\n"
      "| nodes | edges | levels | crossings (ours) | crossings (dot) | ours / dot | layout ms (lineage_json) | dot ms |\n"
      "|--:|--:|--:|--:|--:|--:|--:|--:|\n");
  for(i=0; i<O.nSize; i++){
    char zPath[600];
    sqlite3 *db;
    char *zJson;
    Pic p;
    double tOurs, tDot;
    long long cOurs, cDot;
    int nMis = 0;
    snprintf(zPath, sizeof(zPath), "%s/pictures-crossings-%lld.db", O.zDir, O.aSize[i]);
    remove(zPath);
    db = open_db(zPath);
    make_crossing_graph(db, O.aSize[i]);
    zJson = one_text(db, "SELECT lineage_json('seed:v0', 'down', NULL, "
                         "'{\"expand\":true,\"max_nodes\":1000000}')", &tOurs);
    if( zJson==0 ){ sqlite3_close(db); continue; }
    read_json(db, zJson, &p);
    tDot = run_dot(&p, O.zDir, &nMis);
    cOurs = count_crossings(p.aOurs, p.aEdge, p.nEdge);
    if( tDot<0 ){
      fprintf(stderr, "dot failed on %lld nodes\n", O.aSize[i]);
      g_nBad++;
    }else{
      if( nMis ){ fprintf(stderr, "dot moved %d nodes off their level\n", nMis); g_nBad++; }
      cDot = count_crossings(p.aDot, p.aEdge, p.nEdge);
      if( cOurs > PB_MAX_RATIO*cDot ){
        fprintf(stderr, "%d nodes: %lld crossings, more than %.0f times dot's %lld\n",
                p.nNode, cOurs, PB_MAX_RATIO, cDot);
        g_nBad++;
      }
      out("| %d | %d | %d | %lld | %lld | %.2f | %.0f | %.0f |\n", p.nNode, p.nEdge,
          p.nLevel, cOurs, cDot, cDot ? (double)cOurs/cDot : 0.0, tOurs*1e3, tDot*1e3);
      fprintf(stderr, "crossings %d nodes: ours %lld, dot %lld\n", p.nNode, cOurs, cDot);
    }
    pic_free(&p);
    free(zJson);
    sqlite3_close(db);
  }
}

/* ---- cost on the 10k graphs ---------------------------------------------- */

static double median3(sqlite3 *db, const char *zSql, long long *pnByte){
  double a[3], t;
  int k;
  for(k=0; k<3; k++){
    char *z = one_text(db, zSql, &a[k]);
    if( pnByte ) *pnByte = z ? (long long)strlen(z) : 0;
    free(z);
  }
  for(k=0; k<2; k++){ if( a[k]>a[k+1] ){ t = a[k]; a[k] = a[k+1]; a[k+1] = t; } }
  if( a[0]>a[1] ){ t = a[0]; a[0] = a[1]; a[1] = t; }
  return a[1];
}

static void bench_cost(void){
  static const char *azFn[] = { "lineage_dot", "lineage_mermaid", "lineage_json", "lineage_html" };
  static const char *azOpt[] = { "NULL", "'{\"expand\":true,\"max_nodes\":1000000}'" };
  int shape, o, k;
  out("\n### Cost of each format on the %lld-node graphs (ms, median of 3; from the middle dataset version)\n\n"
      "| shape | options | nodes | boxes | walk: lineage_clusters | lineage_dot | lineage_mermaid | lineage_json | lineage_html | JSON KiB |\n"
      "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|\n", O.funcSize);
  for(shape=0; shape<SHAPE_COUNT; shape++){
    char zPath[600], zSql[400];
    sqlite3 *db;
    GenStats st;
    long long start, nByte = 0;
    snprintf(zPath, sizeof(zPath), "%s/pictures-%s-%lld.db", O.zDir, bench_shape_name[shape], O.funcSize);
    remove(zPath);
    db = open_db(zPath);
    if( bench_generate(db, shape, O.funcSize, 1, &st)!=SQLITE_OK ) die("generate", db);
    {
      sqlite3_stmt *s;
      sqlite3_prepare_v2(db, "SELECT coalesce((SELECT min(node_id) FROM lineage_node WHERE kind='artifact' "
                             "AND type='dataset' AND node_id >= (SELECT max(node_id)/2 FROM lineage_node)), "
                             "(SELECT min(node_id) FROM lineage_node WHERE kind='artifact' "
                             "AND node_id >= (SELECT max(node_id)/2 FROM lineage_node)))", -1, &s, 0);
      sqlite3_step(s);
      start = sqlite3_column_int64(s, 0);
      sqlite3_finalize(s);
    }
    for(o=0; o<2; o++){
      double tWalk, aT[4];
      long long nNodes = 0, nBoxes = 0;
      char *zJson;
      snprintf(zSql, sizeof(zSql), "SELECT count(*) FROM lineage_clusters(%lld, NULL, %s)", start,
               o ? "1000000" : "NULL");
      tWalk = median3(db, zSql, 0);
      for(k=0; k<4; k++){
        snprintf(zSql, sizeof(zSql), "SELECT %s(%lld, 'both', NULL, %s)", azFn[k], start, azOpt[o]);
        aT[k] = median3(db, zSql, k==2 ? &nByte : 0);
      }
      snprintf(zSql, sizeof(zSql), "SELECT lineage_json(%lld, 'both', NULL, %s)", start, azOpt[o]);
      zJson = one_text(db, zSql, 0);
      if( zJson ){
        sqlite3_stmt *s;
        sqlite3_prepare_v2(db, "SELECT json_array_length(?1, '$.nodes'), "
            "(SELECT count(*) FROM json_each(?1, '$.nodes') WHERE value->>'cluster' IS NULL) + "
            "(SELECT count(*) FROM json_each(?1, '$.clusters') WHERE value->>'expanded' = 0) + "
            "(SELECT coalesce(sum(value->>'size'), 0) FROM json_each(?1, '$.clusters') WHERE value->>'expanded' = 1)",
            -1, &s, 0);
        sqlite3_bind_text(s, 1, zJson, -1, SQLITE_STATIC);
        sqlite3_step(s);
        nNodes = sqlite3_column_int64(s, 0); nBoxes = sqlite3_column_int64(s, 1);
        sqlite3_finalize(s);
        free(zJson);
      }
      out("| %s | %s | %lld | %lld | %.1f | %.1f | %.1f | %.1f | %.1f | %.0f |\n",
          bench_shape_name[shape], o ? "expand, no max_nodes" : "default", nNodes, nBoxes,
          tWalk*1e3, aT[0]*1e3, aT[1]*1e3, aT[2]*1e3, aT[3]*1e3, nByte/1024.0);
      fprintf(stderr, "%s %s: walk %.1f ms, json %.1f ms\n", bench_shape_name[shape],
              o ? "expanded" : "default", tWalk*1e3, aT[2]*1e3);
    }
    sqlite3_close(db);
  }
}

static long long parse_size(const char *z){
  char *e;
  double v = strtod(z, &e);
  if( *e=='k' || *e=='K' ) v *= 1e3;
  else if( *e=='M' ) v *= 1e6;
  return (long long)v;
}

int main(int argc, char **argv){
  int i;
  O.zExt = BENCH_DEFAULT_EXT;
  O.zDir = "build/bench";
  O.funcSize = 10000;
  for(i=1; i<argc; i+=2){
    const char *z = argv[i], *zArg = i+1<argc ? argv[i+1] : 0;
    if( zArg==0 ){ fprintf(stderr, "%s needs a value\n", z); return 2; }
    if( strcmp(z, "--ext")==0 ) O.zExt = zArg;
    else if( strcmp(z, "--dir")==0 ) O.zDir = zArg;
    else if( strcmp(z, "--md")==0 ) O.zMd = zArg;
    else if( strcmp(z, "--func-size")==0 ) O.funcSize = parse_size(zArg);
    else if( strcmp(z, "--sizes")==0 ){
      char *zCopy = strdup(zArg), *zTok;
      for(zTok=strtok(zCopy, ","); zTok && O.nSize<16; zTok=strtok(0, ",")){
        O.aSize[O.nSize++] = parse_size(zTok);
      }
      free(zCopy);
    }else{
      fprintf(stderr, "usage: lineage_bench_pictures [--ext PATH] [--sizes 100,300,1000,2000,5000] "
              "[--func-size 10k] [--dir DIR] [--md FILE]\n");
      return 2;
    }
  }
  if( O.nSize==0 ){
    static const long long aDef[] = { 100, 300, 1000, 2000, 5000 };
    for(i=0; i<5; i++) O.aSize[O.nSize++] = aDef[i];
  }
  mkdir(O.zDir, 0777);              /* may exist already */
  if( O.zMd && (g_md = fopen(O.zMd, "w"))==0 ){ perror(O.zMd); return 1; }
  bench_crossings();
  if( O.funcSize>0 ) bench_cost();
  if( g_md ) fclose(g_md);
  return g_nBad ? 1 : 0;
}
