/*
** generate.c: synthetic lineage graphs, the way ML teams build them.
**
** Four shapes, each in its own project acme/<shape>:
**   chain    a long fine-tune chain: corpus:v0 -> pretrain -> model:v0 ->
**            ft-1 -> model:v1 -> ft-2 -> ... (2 nodes a step).
**   sweep    a dataset chain (prep-k uses dataset:v(k-1), logs dataset:vk);
**            on each dataset version a sweep of 50-200 training runs, each
**            logging a model that its own eval run consumes (3 nodes a trial).
**   diamond  generations: each training run uses the current dataset, the
**            previous generation's best model (model:best) and a shared
**            tokenizer; an eval run consumes the generation's models and the
**            best one gets the alias `best`; the next dataset is made from
**            the previous dataset and the best model (pseudo-labels).
**   mixed    one project mixing small fine-tune chains, sweeps, diamond
**            generations and report runs that read 2-5 versions from
**            anywhere in the history (cross-links), all fed from earlier
**            versions, so walks see every kind of structure at once.
**
** Every event goes either through the extension's SQL functions (bBulk 0)
** or through plain prepared INSERTs of exactly the rows those functions
** write (bBulk 1): same node ids, same versions, digests, aliases and edges;
** only times differ, and the bulk path keeps no alias history (no walk
** reads it). bench_compare_tables() checks that.
**
** Randomness comes from a fixed seed per shape and the stream never looks
** at the target size except to stop, so the 100k graph is a prefix of the
** 1M graph: an upstream walk from node 50000 is the same walk in both.
*/
#include "bench.h"
#include "lineage.h"            /* lineage_md5_*, lineage_hex, lineage_base64 */
#include "lineage_schema_sql.h"
#include "lineage_adjacency_sql.h"
#include "lineage_views_sql.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *const bench_shape_name[SHAPE_COUNT] = {
  "chain", "sweep", "diamond", "mixed"
};

int bench_shape_parse(const char *z){
  int i;
  for(i=0; i<SHAPE_COUNT; i++) if( strcmp(z, bench_shape_name[i])==0 ) return i;
  return -1;
}

double bench_now(void){
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec*1e-9;
}

/* The W&B digests the bulk path must store use the extension's own MD5
** (ext/md5.c, compiled into the benchmark). */

/* ---- the generator ------------------------------------------------------ */

typedef struct Art {
  char zName[48];            /* as long as the names art_new is given */
  const char *zType;
  long long nVer;
  long long best;            /* version index holding alias best, or -1 */
} Art;

typedef struct Gen {
  sqlite3 *db;
  int bBulk, shape, err;
  long long nTarget;
  char zProject[32];
  unsigned long long rng;
  long long nNode;           /* = the last node id */
  Art *aArt; long long nArt, nArtAlloc;
  long long *aVerNode, *aVerArt, *aVerNum; long long nVer, nVerAlloc;
  long long runNode;         /* the open run */
  char zRunRef[96];
  char zNow[32];
  sqlite3_stmt *pRunStart, *pRunFinish, *pUse, *pLog, *pAlias;     /* functions */
  sqlite3_stmt *pNode, *pRun, *pVer, *pFile, *pAliasSet, *pEdge;   /* bulk */
  GenStats *st;
} Gen;

static unsigned long long rnd(Gen *g){
  g->rng ^= g->rng >> 12; g->rng ^= g->rng << 25; g->rng ^= g->rng >> 27;
  return g->rng * 2685821657736338717ULL;
}
static long long rnd_range(Gen *g, long long lo, long long hi){   /* [lo,hi] */
  return lo + (long long)(rnd(g) % (unsigned long long)(hi-lo+1));
}

static void *grow(void *p, long long *pnAlloc, long long n, size_t sz){
  if( n < *pnAlloc ) return p;
  *pnAlloc = *pnAlloc ? *pnAlloc*2 : 1024;
  p = realloc(p, (size_t)*pnAlloc*sz);
  if( p==0 ){ fprintf(stderr, "out of memory\n"); exit(2); }
  return p;
}

static void fail(Gen *g, const char *zWhat){
  if( g->err ) return;
  fprintf(stderr, "generate %s: %s: %s\n", bench_shape_name[g->shape], zWhat,
          sqlite3_errmsg(g->db));
  g->err = 1;
}

static int done(Gen *g){ return g->err || g->nNode >= g->nTarget; }

static void step_done(Gen *g, sqlite3_stmt *p, const char *zWhat){
  int rc = sqlite3_step(p);
  if( rc!=SQLITE_ROW && rc!=SQLITE_DONE ) fail(g, zWhat);
  sqlite3_reset(p);
}

static sqlite3_stmt *prep(Gen *g, const char *zSql){
  sqlite3_stmt *p = 0;
  if( sqlite3_prepare_v3(g->db, zSql, -1, SQLITE_PREPARE_PERSISTENT, &p, 0) ){
    fail(g, zSql);
  }
  return p;
}

static long long art_new(Gen *g, const char *zName, const char *zType){
  Art *a;
  g->aArt = grow(g->aArt, &g->nArtAlloc, g->nArt, sizeof(Art));
  a = &g->aArt[g->nArt];
  snprintf(a->zName, sizeof(a->zName), "%s", zName);
  a->zType = zType;
  a->nVer = 0;
  a->best = -1;
  return g->nArt++;
}

/* Start a run (it is finished by run_end). zConfig: a JSON object or NULL. */
static void run_begin(Gen *g, const char *zRunId, const char *zJobType,
                      const char *zConfig){
  double t0 = bench_now();
  snprintf(g->zRunRef, sizeof(g->zRunRef), "%s/%s", g->zProject, zRunId);
  g->runNode = ++g->nNode;
  if( g->bBulk ){
    sqlite3_bind_int64(g->pNode, 1, g->runNode);
    sqlite3_bind_text(g->pNode, 2, "run", -1, SQLITE_STATIC);
    sqlite3_bind_text(g->pNode, 3, zRunId, -1, SQLITE_TRANSIENT);
    sqlite3_bind_null(g->pNode, 4);
    sqlite3_bind_text(g->pNode, 5, zJobType, -1, SQLITE_STATIC);
    sqlite3_bind_text(g->pNode, 6, "finished", -1, SQLITE_STATIC);
    step_done(g, g->pNode, "insert run node");
    sqlite3_bind_int64(g->pRun, 1, g->runNode);
    if( zConfig ) sqlite3_bind_text(g->pRun, 2, zConfig, -1, SQLITE_TRANSIENT);
    else sqlite3_bind_null(g->pRun, 2);
    step_done(g, g->pRun, "insert run");
  }else{
    char zOpt[256];
    sqlite3_bind_text(g->pRunStart, 1, g->zRunRef, -1, SQLITE_STATIC);
    sqlite3_bind_text(g->pRunStart, 2, zJobType, -1, SQLITE_STATIC);
    if( zConfig ){
      snprintf(zOpt, sizeof(zOpt), "{\"config\":%s}", zConfig);
      sqlite3_bind_text(g->pRunStart, 3, zOpt, -1, SQLITE_TRANSIENT);
    }else{
      sqlite3_bind_null(g->pRunStart, 3);
    }
    step_done(g, g->pRunStart, "run_start");
  }
  g->st->nRows += 2;
  g->st->nCall[GEN_RUN]++;
  g->st->tCall[GEN_RUN] += bench_now()-t0;
}

static void run_end(Gen *g){
  double t0 = bench_now();
  if( !g->bBulk ){
    sqlite3_bind_text(g->pRunFinish, 1, g->zRunRef, -1, SQLITE_STATIC);
    step_done(g, g->pRunFinish, "run_finish");
  }
  g->st->tCall[GEN_RUN] += bench_now()-t0;
}

/* The open run uses version iVer; zAlias: refer to it by that alias. */
static void use_ver(Gen *g, long long iVer, const char *zAlias){
  double t0 = bench_now();
  if( g->bBulk ){
    sqlite3_bind_int64(g->pEdge, 1, g->aVerNode[iVer]);
    sqlite3_bind_int64(g->pEdge, 2, g->runNode);
    step_done(g, g->pEdge, "insert input edge");
  }else{
    char zRef[96];
    const Art *a = &g->aArt[g->aVerArt[iVer]];
    if( zAlias ) snprintf(zRef, sizeof(zRef), "%s:%s", a->zName, zAlias);
    else snprintf(zRef, sizeof(zRef), "%s:v%lld", a->zName, g->aVerNum[iVer]);
    sqlite3_bind_text(g->pUse, 1, g->zRunRef, -1, SQLITE_STATIC);
    sqlite3_bind_text(g->pUse, 2, zRef, -1, SQLITE_TRANSIENT);
    step_done(g, g->pUse, "use_artifact");
  }
  g->st->nRows += 1;
  g->st->nCall[GEN_USE]++;
  g->st->tCall[GEN_USE] += bench_now()-t0;
}

/* The open run logs a new version of artifact iArt; returns its index. */
static long long log_ver(Gen *g, long long iArt){
  Art *a = &g->aArt[iArt];
  char zPath[64], zEntry[32], zHex[33], zFiles[256];
  unsigned char h[16];
  LineageMd5 m;
  long long size, iVer;
  double t0;

  /* The one file entry of this version and the W&B manifest digest. */
  snprintf(zPath, sizeof(zPath), "%s.bin", a->zType);
  lineage_md5_init(&m);
  lineage_md5_update(&m, g->zProject, strlen(g->zProject));
  lineage_md5_update(&m, a->zName, strlen(a->zName));
  lineage_md5_update(&m, &a->nVer, sizeof(a->nVer));
  lineage_md5_final(&m, h);
  lineage_base64(h, 16, zEntry);
  size = 1000 + (long long)(h[0] | (h[1]<<8) | (h[2]<<16));
  lineage_md5_init(&m);
  lineage_md5_update(&m, "wandb-artifact-manifest-v1\n", 27);
  lineage_md5_update(&m, zPath, strlen(zPath));
  lineage_md5_update(&m, ":", 1);
  lineage_md5_update(&m, zEntry, strlen(zEntry));
  lineage_md5_update(&m, "\n", 1);
  lineage_md5_final(&m, h);
  lineage_hex(h, 16, zHex);

  t0 = bench_now();
  g->aVerNode = grow(g->aVerNode, &g->nVerAlloc, g->nVer, sizeof(long long));
  g->aVerArt = realloc(g->aVerArt, (size_t)g->nVerAlloc*sizeof(long long));
  g->aVerNum = realloc(g->aVerNum, (size_t)g->nVerAlloc*sizeof(long long));
  if( g->aVerArt==0 || g->aVerNum==0 ){ fprintf(stderr, "out of memory\n"); exit(2); }
  iVer = g->nVer++;
  g->aVerNode[iVer] = ++g->nNode;
  g->aVerArt[iVer] = iArt;
  g->aVerNum[iVer] = a->nVer++;
  if( g->bBulk ){
    sqlite3_bind_int64(g->pNode, 1, g->nNode);
    sqlite3_bind_text(g->pNode, 2, "artifact", -1, SQLITE_STATIC);
    sqlite3_bind_text(g->pNode, 3, a->zName, -1, SQLITE_STATIC);
    sqlite3_bind_int64(g->pNode, 4, g->aVerNum[iVer]);
    sqlite3_bind_text(g->pNode, 5, a->zType, -1, SQLITE_STATIC);
    sqlite3_bind_text(g->pNode, 6, "committed", -1, SQLITE_STATIC);
    step_done(g, g->pNode, "insert version node");
    sqlite3_bind_int64(g->pVer, 1, g->nNode);
    sqlite3_bind_text(g->pVer, 2, zHex, -1, SQLITE_STATIC);
    sqlite3_bind_int64(g->pVer, 3, size);
    sqlite3_bind_int64(g->pVer, 4, g->runNode);
    step_done(g, g->pVer, "insert version");
    sqlite3_bind_int64(g->pFile, 1, g->nNode);
    sqlite3_bind_text(g->pFile, 2, zPath, -1, SQLITE_STATIC);
    sqlite3_bind_text(g->pFile, 3, zEntry, -1, SQLITE_STATIC);
    sqlite3_bind_int64(g->pFile, 4, size);
    step_done(g, g->pFile, "insert file");
    sqlite3_bind_text(g->pAliasSet, 1, a->zName, -1, SQLITE_STATIC);
    sqlite3_bind_text(g->pAliasSet, 2, "latest", -1, SQLITE_STATIC);
    sqlite3_bind_int64(g->pAliasSet, 3, g->nNode);
    step_done(g, g->pAliasSet, "set alias latest");
    sqlite3_bind_int64(g->pEdge, 1, g->runNode);
    sqlite3_bind_int64(g->pEdge, 2, g->nNode);
    step_done(g, g->pEdge, "insert output edge");
  }else{
    snprintf(zFiles, sizeof(zFiles),
             "[{\"path\":\"%s\",\"digest\":\"%s\",\"size\":%lld}]",
             zPath, zEntry, size);
    sqlite3_bind_text(g->pLog, 1, g->zRunRef, -1, SQLITE_STATIC);
    sqlite3_bind_text(g->pLog, 2, a->zName, -1, SQLITE_STATIC);
    sqlite3_bind_text(g->pLog, 3, a->zType, -1, SQLITE_STATIC);
    sqlite3_bind_text(g->pLog, 4, zFiles, -1, SQLITE_TRANSIENT);
    step_done(g, g->pLog, "log_artifact");
  }
  g->st->nRows += 5;
  g->st->nCall[GEN_LOG]++;
  g->st->tCall[GEN_LOG] += bench_now()-t0;
  return iVer;
}

static void alias_best(Gen *g, long long iVer){
  double t0 = bench_now();
  Art *a = &g->aArt[g->aVerArt[iVer]];
  if( g->bBulk ){
    sqlite3_bind_text(g->pAliasSet, 1, a->zName, -1, SQLITE_STATIC);
    sqlite3_bind_text(g->pAliasSet, 2, "best", -1, SQLITE_STATIC);
    sqlite3_bind_int64(g->pAliasSet, 3, g->aVerNode[iVer]);
    step_done(g, g->pAliasSet, "set alias best");
  }else{
    char zRef[128];
    snprintf(zRef, sizeof(zRef), "%s/%s:v%lld", g->zProject, a->zName,
             g->aVerNum[iVer]);
    sqlite3_bind_text(g->pAlias, 1, zRef, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(g->pAlias, 2, "best", -1, SQLITE_STATIC);
    step_done(g, g->pAlias, "artifact_alias");
  }
  a->best = iVer;
  g->st->nRows += 1;
  g->st->nCall[GEN_ALIAS]++;
  g->st->tCall[GEN_ALIAS] += bench_now()-t0;
}

/* ---- the shapes --------------------------------------------------------- */

static void gen_chain(Gen *g){
  long long corpus = art_new(g, "corpus", "dataset");
  long long model = art_new(g, "model", "model");
  long long prev, i;
  char zId[32];
  run_begin(g, "prep-0", "preprocess", 0);
  prev = log_ver(g, corpus);
  run_end(g);
  for(i=0; !done(g); i++){
    snprintf(zId, sizeof(zId), i ? "ft-%lld" : "pretrain", i);
    run_begin(g, zId, i ? "finetune" : "train", 0);
    use_ver(g, prev, 0);
    prev = log_ver(g, model);
    run_end(g);
  }
}

/* A sweep of 50-200 trials on dataset version iData: each trial's run logs
** a model that an eval run consumes. zTag names the runs. */
static void sweep_on(Gen *g, long long iData, const char *zTag, long long lo,
                     long long hi){
  long long nTrial = rnd_range(g, lo, hi), j, iModel, iArt;
  char zId[64], zArt[48], zCfg[96];
  snprintf(zArt, sizeof(zArt), "%s-model", zTag);
  iArt = art_new(g, zArt, "model");
  for(j=0; j<nTrial && !done(g); j++){
    snprintf(zId, sizeof(zId), "%s-trial-%lld", zTag, j);
    snprintf(zCfg, sizeof(zCfg), "{\"lr_e6\":%lld,\"batch\":%d,\"seed\":%lld}",
             rnd_range(g, 10, 5000), 32 << (int)rnd_range(g, 0, 3), j);
    run_begin(g, zId, "train", zCfg);
    use_ver(g, iData, 0);
    iModel = log_ver(g, iArt);
    run_end(g);
    snprintf(zId, sizeof(zId), "%s-eval-%lld", zTag, j);
    run_begin(g, zId, "eval", 0);
    use_ver(g, iModel, 0);
    run_end(g);
  }
}

static void gen_sweep(Gen *g){
  long long data = art_new(g, "dataset", "dataset"), prev = -1, k;
  char zId[32];
  for(k=0; !done(g); k++){
    snprintf(zId, sizeof(zId), "prep-%lld", k);
    run_begin(g, zId, "preprocess", 0);
    if( prev>=0 ) use_ver(g, prev, 0);
    prev = log_ver(g, data);
    run_end(g);
    snprintf(zId, sizeof(zId), "s%lld", k);
    sweep_on(g, prev, zId, 50, 200);
  }
}

/* nGen generations of R (rLo..rHi) training runs on the artifacts iData
** (dataset), iModel (model, alias best), iTok (tokenizer version). Each
** generation starts from the dataset version iVer (updated). */
static void diamond_gens(Gen *g, const char *zTag, long long nGen,
                         long long rLo, long long rHi, long long *piData,
                         long long iDataArt, long long iModelArt,
                         long long iTok){
  long long gen, r, aModel[64];
  char zId[96];              /* a tag (at most 24 characters) and two numbers */
  for(gen=0; gen<nGen && !done(g); gen++){
    long long nRun = rnd_range(g, rLo, rHi), nMade = 0;
    for(r=0; r<nRun && !done(g); r++){
      char zCfg[64];
      snprintf(zId, sizeof(zId), "%.24s-g%lld-r%lld", zTag, gen, r);
      snprintf(zCfg, sizeof(zCfg), "{\"gen\":%lld,\"seed\":%lld}", gen, r);
      run_begin(g, zId, "train", zCfg);
      use_ver(g, *piData, "latest");
      if( g->aArt[iModelArt].best>=0 ) use_ver(g, g->aArt[iModelArt].best, "best");
      use_ver(g, iTok, 0);
      aModel[nMade++] = log_ver(g, iModelArt);
      run_end(g);
    }
    if( done(g) || nMade==0 ) break;
    snprintf(zId, sizeof(zId), "%.24s-g%lld-eval", zTag, gen);
    run_begin(g, zId, "eval", 0);
    for(r=0; r<nMade; r++) use_ver(g, aModel[r], 0);
    run_end(g);
    alias_best(g, aModel[rnd_range(g, 0, nMade-1)]);
    if( done(g) ) break;
    /* The next dataset: the last one relabelled by the best model. */
    snprintf(zId, sizeof(zId), "%.24s-g%lld-relabel", zTag, gen);
    run_begin(g, zId, "preprocess", 0);
    use_ver(g, *piData, 0);
    use_ver(g, g->aArt[iModelArt].best, "best");
    *piData = log_ver(g, iDataArt);
    run_end(g);
  }
}

static void gen_diamond(Gen *g){
  long long tokArt = art_new(g, "tokenizer", "tokenizer");
  long long dataArt = art_new(g, "dataset", "dataset");
  long long modelArt = art_new(g, "model", "model");
  long long tok, data;
  run_begin(g, "tokenizer-fit", "preprocess", 0);
  tok = log_ver(g, tokArt);
  run_end(g);
  run_begin(g, "prep-0", "preprocess", 0);
  data = log_ver(g, dataArt);
  run_end(g);
  diamond_gens(g, "d", 1LL<<40, 6, 12, &data, dataArt, modelArt, tok);
}

/* A version from the last 2000 logged (recent work), or from anywhere. */
static long long pick_recent(Gen *g){
  long long n = g->nVer < 2000 ? g->nVer : 2000;
  return g->nVer - 1 - rnd_range(g, 0, n-1);
}
static long long pick_any(Gen *g){ return rnd_range(g, 0, g->nVer-1); }

static void gen_mixed(Gen *g){
  long long raw = art_new(g, "raw", "dataset");
  long long report = art_new(g, "report", "report");
  long long tok, b, i;
  char zId[64], zName[48];
  long long tokArt = art_new(g, "tokenizer", "tokenizer");
  run_begin(g, "ingest-0", "ingest", 0);
  log_ver(g, raw);
  run_end(g);
  run_begin(g, "tokenizer-fit", "preprocess", 0);
  use_ver(g, 0, 0);
  tok = log_ver(g, tokArt);
  run_end(g);
  for(b=0; !done(g); b++){
    long long kind = rnd_range(g, 0, 99);
    if( kind<8 ){
      /* New raw data arrives. */
      snprintf(zId, sizeof(zId), "ingest-%lld", b);
      run_begin(g, zId, "ingest", 0);
      log_ver(g, raw);
      run_end(g);
    }else if( kind<45 ){
      /* A fine-tune chain of 5-50 steps from a recent model or dataset. */
      long long n = rnd_range(g, 5, 50), prev = pick_recent(g), art;
      snprintf(zName, sizeof(zName), "ft%lld", b);
      art = art_new(g, zName, "model");
      for(i=0; i<n && !done(g); i++){
        snprintf(zId, sizeof(zId), "ft%lld-%lld", b, i);
        run_begin(g, zId, "finetune", 0);
        use_ver(g, prev, 0);
        if( rnd_range(g, 0, 3)==0 ) use_ver(g, pick_recent(g), 0);
        prev = log_ver(g, art);
        run_end(g);
      }
    }else if( kind<60 ){
      /* A sweep on a fresh dataset made from recent data. */
      long long data, dArt;
      snprintf(zName, sizeof(zName), "ds%lld", b);
      dArt = art_new(g, zName, "dataset");
      snprintf(zId, sizeof(zId), "prep-%lld", b);
      run_begin(g, zId, "preprocess", 0);
      use_ver(g, pick_recent(g), 0);
      use_ver(g, pick_any(g), 0);
      data = log_ver(g, dArt);
      run_end(g);
      snprintf(zId, sizeof(zId), "sw%lld", b);
      sweep_on(g, data, zId, 50, 200);
    }else if( kind<75 ){
      /* 3-10 diamond generations on a fresh dataset. */
      long long data, dArt, mArt;
      snprintf(zName, sizeof(zName), "dd%lld", b);
      dArt = art_new(g, zName, "dataset");
      snprintf(zName, sizeof(zName), "dm%lld", b);
      mArt = art_new(g, zName, "model");
      snprintf(zId, sizeof(zId), "dprep-%lld", b);
      run_begin(g, zId, "preprocess", 0);
      use_ver(g, pick_recent(g), 0);
      data = log_ver(g, dArt);
      run_end(g);
      snprintf(zId, sizeof(zId), "dg%lld", b);
      diamond_gens(g, zId, rnd_range(g, 3, 10), 4, 8, &data, dArt, mArt, tok);
    }else{
      /* Report runs reading 2-5 versions from anywhere. */
      long long n = rnd_range(g, 5, 20), k, m;
      for(i=0; i<n && !done(g); i++){
        snprintf(zId, sizeof(zId), "report-%lld-%lld", b, i);
        run_begin(g, zId, "analysis", 0);
        m = rnd_range(g, 2, 5);
        for(k=0; k<m; k++) use_ver(g, k ? pick_any(g) : pick_recent(g), 0);
        if( rnd_range(g, 0, 1) ) log_ver(g, report);
        run_end(g);
      }
    }
  }
}

int bench_generate(sqlite3 *db, int shape, long long nTarget, int bBulk,
                   GenStats *pStats){
  Gen g;
  char *zErr = 0;
  double t0;
  memset(&g, 0, sizeof(g));
  memset(pStats, 0, sizeof(*pStats));
  g.db = db;
  g.bBulk = bBulk;
  g.shape = shape;
  g.nTarget = nTarget;
  g.st = pStats;
  g.rng = 0x9E3779B97F4A7C15ULL ^ (unsigned long long)(shape+1)*0x2545F4914F6CDD1DULL;
  snprintf(g.zProject, sizeof(g.zProject), "acme/%s", bench_shape_name[shape]);
  {
    time_t now = time(0);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(g.zNow, sizeof(g.zNow), "%Y-%m-%dT%H:%M:%S.000Z", &tm);
  }

  t0 = bench_now();
  if( sqlite3_exec(db, "BEGIN", 0, 0, &zErr) ){
    fprintf(stderr, "generate: %s\n", zErr);
    sqlite3_free(zErr);
    return SQLITE_ERROR;
  }
  if( bBulk ){
    char zSql[512];
    if( sqlite3_exec(db, lineage_schema_sql, 0, 0, &zErr)
     || sqlite3_exec(db, lineage_adjacency_sql, 0, 0, &zErr)
     || sqlite3_exec(db, lineage_views_sql, 0, 0, &zErr) ){
      fprintf(stderr, "generate: schema: %s\n", zErr);
      sqlite3_free(zErr);
      sqlite3_exec(db, "ROLLBACK", 0, 0, 0);
      return SQLITE_ERROR;
    }
    g.pNode = prep(&g, "INSERT INTO lineage_node(node_id, kind, project, name, "
                       "version, type, state) VALUES (?1,?2,"
                       "?7,?3,?4,?5,?6)");
    /* The project is constant: bind it once as ?7 of every statement. */
    snprintf(zSql, sizeof(zSql), "INSERT INTO lineage_run(node_id, config, "
             "started_at, finished_at) VALUES (?1, ?2, '%s', '%s')",
             g.zNow, g.zNow);
    g.pRun = prep(&g, zSql);
    snprintf(zSql, sizeof(zSql), "INSERT INTO lineage_version(node_id, digest, "
             "size, file_count, created_at, logged_by) VALUES "
             "(?1, ?2, ?3, 1, '%s', ?4)", g.zNow);
    g.pVer = prep(&g, zSql);
    g.pFile = prep(&g, "INSERT INTO lineage_file(node_id, path, digest, size) "
                       "VALUES (?1,?2,?3,?4)");
    g.pAliasSet = prep(&g, "INSERT INTO lineage_alias(project, name, alias, "
                           "node_id) VALUES (?7,?1,?2,?3) ON CONFLICT"
                           "(project, name, alias) DO UPDATE SET "
                           "node_id=excluded.node_id");
    snprintf(zSql, sizeof(zSql), "INSERT OR IGNORE INTO lineage_edge(src, dst, "
             "created_at) VALUES (?1, ?2, '%s')", g.zNow);
    g.pEdge = prep(&g, zSql);
    if( !g.err ){
      sqlite3_bind_text(g.pNode, 7, g.zProject, -1, SQLITE_STATIC);
      sqlite3_bind_text(g.pAliasSet, 7, g.zProject, -1, SQLITE_STATIC);
    }
  }else{
    g.pRunStart = prep(&g, "SELECT run_start(?1, ?2, ?3)");
    g.pRunFinish = prep(&g, "SELECT run_finish(?1)");
    g.pUse = prep(&g, "SELECT use_artifact(?1, ?2)");
    g.pLog = prep(&g, "SELECT log_artifact(?1, ?2, ?3, ?4)");
    g.pAlias = prep(&g, "SELECT artifact_alias(?1, ?2)");
  }
  if( !g.err ){
    switch( shape ){
      case SHAPE_CHAIN:   gen_chain(&g); break;
      case SHAPE_SWEEP:   gen_sweep(&g); break;
      case SHAPE_DIAMOND: gen_diamond(&g); break;
      default:            gen_mixed(&g); break;
    }
  }
  sqlite3_finalize(g.pRunStart); sqlite3_finalize(g.pRunFinish);
  sqlite3_finalize(g.pUse); sqlite3_finalize(g.pLog); sqlite3_finalize(g.pAlias);
  sqlite3_finalize(g.pNode); sqlite3_finalize(g.pRun); sqlite3_finalize(g.pVer);
  sqlite3_finalize(g.pFile); sqlite3_finalize(g.pAliasSet);
  sqlite3_finalize(g.pEdge);
  if( g.err ){
    sqlite3_exec(db, "ROLLBACK", 0, 0, 0);
  }else if( sqlite3_exec(db, "COMMIT", 0, 0, &zErr) ){
    fprintf(stderr, "generate: commit: %s\n", zErr);
    sqlite3_free(zErr);
    g.err = 1;
  }
  pStats->nNode = g.nNode;
  pStats->tTotal = bench_now()-t0;
  free(g.aArt); free(g.aVerNode); free(g.aVerArt); free(g.aVerNum);
  return g.err ? SQLITE_ERROR : SQLITE_OK;
}

/* ---- bulk == functions -------------------------------------------------- */

long long bench_compare_tables(sqlite3 *db, const char *zOther){
  static const char *const azCols[][2] = {
    {"lineage_meta", "key, value"},
    {"lineage_node", "node_id, kind, project, name, version, type, state"},
    {"lineage_run", "node_id, display_name, author, group_name, config, "
                    "finished_at IS NULL"},
    {"lineage_version", "node_id, digest, size, file_count, description, "
                        "metadata, tags, logged_by"},
    {"lineage_alias", "project, name, alias, node_id"},
    {"lineage_file", "node_id, path, digest, size, ref_uri"},
    {"lineage_edge", "src, dst"},
    {"lineage_adj", "block_key, data"},
    {"lineage_adj_dirty", "node_key"},
  };
  long long nDiff = 0;
  size_t i;
  for(i=0; i<sizeof(azCols)/sizeof(azCols[0]); i++){
    char *zSql = sqlite3_mprintf(
        "SELECT (SELECT count(*) FROM (SELECT %s FROM main.%s EXCEPT "
        "SELECT %s FROM \"%w\".%s)) + (SELECT count(*) FROM (SELECT %s FROM "
        "\"%w\".%s EXCEPT SELECT %s FROM main.%s)) + abs((SELECT count(*) FROM "
        "main.%s) - (SELECT count(*) FROM \"%w\".%s))",
        azCols[i][1], azCols[i][0], azCols[i][1], zOther, azCols[i][0],
        azCols[i][1], zOther, azCols[i][0], azCols[i][1], azCols[i][0],
        azCols[i][0], zOther, azCols[i][0]);
    sqlite3_stmt *p = 0;
    long long n = -1;
    if( sqlite3_prepare_v2(db, zSql, -1, &p, 0)==SQLITE_OK
     && sqlite3_step(p)==SQLITE_ROW ){
      n = sqlite3_column_int64(p, 0);
    }else{
      fprintf(stderr, "compare %s: %s\n", azCols[i][0], sqlite3_errmsg(db));
    }
    sqlite3_finalize(p);
    sqlite3_free(zSql);
    if( n<0 ) return -1;
    if( n>0 ) fprintf(stderr, "compare: %s differs in %lld rows\n", azCols[i][0], n);
    nDiff += n;
  }
  return nDiff;
}
