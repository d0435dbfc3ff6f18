/*
** questions_bench.c: the questions of docs/questions.md, timed against the
** SQL a user would write without them.
**
**   build/questions_bench [--sizes 10k,100k] [--dir build/bench]
**                         [--ext build/lineage]
**
** For each size, a graph of the `sweep` and the `mixed` shape (generate.c,
** written in bulk, kept in --dir) and, in the same connection, each query
** repeated (the median of 3 runs, after one warm-up run that also checks
** that both methods give the same answer):
**   multi-start  the downstream of every version of the dataset with the
**                most versions: one walk from a JSON array of starts,
**                against a recursive CTE from the same starts (with the
**                fewest edges, as the walk's depth), and against a join of
**                one walk per version (what was possible before);
**   stale        lineage_stale() over the whole database, against a
**                recursive CTE of (outdated input, reached node) pairs.
** Prints a markdown table: times in ms of CPU time of this process (the
** queries run in it, on one thread; on a machine shared with other work,
** wall-clock times would measure the others too) and the ratios CTE / walk.
*/
#include "bench.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* Repetitions per measurement (the median is kept); a query that takes
** over QB_ONCE_MS is timed once. A CTE is stopped after QB_CAP_S seconds
** (the table says "> cap"). */
#define QB_REPS 3
#define QB_ONCE_MS 2000.0
#define QB_CAP_S 60.0

/* Seconds of CPU time this process has used. */
static double cpu_now(void){
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec*1e-9;
}

static double g_deadline;
static int past_deadline(void *p){ (void)p; return cpu_now() > g_deadline; }

static const char zMultiStarts[] =
  "SELECT json_group_array(node_id) FROM (SELECT node_id FROM lineage_node "
  "WHERE kind='artifact' AND name=(SELECT name FROM lineage_node "
  "WHERE kind='artifact' AND type='dataset' GROUP BY name "
  "ORDER BY count(*) DESC, name LIMIT 1) ORDER BY node_id)";
static const char zMultiExt[] =
  "SELECT count(*), sum(depth) FROM lineage_downstream(?1)";
static const char zMultiCte[] =
  "WITH RECURSIVE r(id, d) AS (SELECT value, 0 FROM json_each(?1) "
  "UNION SELECT e.dst, r.d+1 FROM r JOIN lineage_edge e ON e.src=r.id) "
  "SELECT count(*), sum(d) FROM (SELECT id, min(d) AS d FROM r GROUP BY id)";
static const char zMultiJoin[] =
  "SELECT count(*), sum(d) FROM (SELECT w.node_id, min(w.depth) AS d "
  "FROM json_each(?1) s, lineage_downstream(s.value) w GROUP BY w.node_id)";
static const char zStaleExt[] =
  "SELECT count(*), sum(depth) FROM lineage_stale()";
static const char zStaleCte[] =
  "WITH outdated(id, name, project) AS ("
  "  SELECT n.node_id, n.name, n.project FROM lineage_node n "
  "  WHERE n.kind='artifact' AND (n.state='deleted' OR EXISTS ("
  "    SELECT 1 FROM lineage_node m WHERE m.kind='artifact' AND m.name=n.name "
  "    AND m.project=n.project AND m.version>n.version AND m.state='committed'))),"
  "r(o, id, d) AS (SELECT id, id, 0 FROM outdated "
  "  UNION SELECT r.o, e.dst, r.d+1 FROM r JOIN lineage_edge e ON e.src=r.id),"
  "m(o, id, d) AS (SELECT o, id, min(d) FROM r GROUP BY o, id) "
  "SELECT count(*), sum(m.d) FROM m JOIN lineage_node s ON s.node_id=m.id "
  "JOIN outdated o ON o.id=m.o WHERE s.kind='artifact' AND m.d>0 "
  "AND NOT (s.name=o.name AND s.project=o.project)";

static void die(sqlite3 *db, const char *zWhat){
  fprintf(stderr, "questions_bench: %s: %s\n", zWhat, db ? sqlite3_errmsg(db) : "");
  exit(1);
}

/* Run zSql (one text argument) and return its first row as "a b"; -1
** when it ran past the cap (bCap: QB_CAP_S, else ten times that). */
static double run(sqlite3 *db, const char *zSql, const char *zArg,
                  int bCap, char *zOut, size_t nOut){
  sqlite3_stmt *p;
  double t0 = cpu_now();
  int rc;
  g_deadline = t0 + (bCap ? QB_CAP_S : 10*QB_CAP_S);
  sqlite3_progress_handler(db, 100000, past_deadline, 0);
  if( sqlite3_prepare_v2(db, zSql, -1, &p, 0) ) die(db, zSql);
  if( zArg ) sqlite3_bind_text(p, 1, zArg, -1, SQLITE_STATIC);
  rc = sqlite3_step(p);
  sqlite3_progress_handler(db, 0, 0, 0);
  if( rc==SQLITE_INTERRUPT ){
    sqlite3_finalize(p);
    snprintf(zOut, nOut, "timeout");
    return -1;
  }
  if( rc!=SQLITE_ROW ) die(db, zSql);
  snprintf(zOut, nOut, "%lld %lld", sqlite3_column_int64(p, 0),
           sqlite3_column_int64(p, 1));
  sqlite3_finalize(p);
  return (cpu_now() - t0)*1e3;
}

static int dbl_cmp(const void *a, const void *b){
  double x = *(const double*)a, y = *(const double*)b;
  return x<y ? -1 : x>y;
}

/* The median time of QB_REPS runs; *zOut gets the answer. */
static double timed(sqlite3 *db, const char *zSql, const char *zArg,
                    int bCap, char *zOut, size_t nOut){
  double a[QB_REPS], t;
  int i;
  t = run(db, zSql, zArg, bCap, zOut, nOut);      /* warm-up */
  if( t<0 || t>QB_ONCE_MS ) return t;
  for(i=0; i<QB_REPS; i++) a[i] = run(db, zSql, zArg, bCap, zOut, nOut);
  qsort(a, QB_REPS, sizeof(double), dbl_cmp);
  return a[QB_REPS/2];
}

/* One table row: rows is "count sum_of_depths", times in ms (-1: past the
** cap, -2: not measured). */
static void print_row(int shape, long long size, const char *zWhat,
                      const char *zRows, double tExt, double tCte,
                      double tJoin){
  char zCte[32], zRatio[32], zJoin[32];
  long long nRow = strtoll(zRows, 0, 10);
  if( tCte<0 ){
    snprintf(zCte, sizeof(zCte), "> %.0f s", QB_CAP_S);
    snprintf(zRatio, sizeof(zRatio), "> %.0f", QB_CAP_S*1e3/tExt);
  }else{
    snprintf(zCte, sizeof(zCte), "%.1f", tCte);
    snprintf(zRatio, sizeof(zRatio), "%.1f", tCte/tExt);
  }
  if( tJoin==-2 ) zJoin[0] = 0;
  else if( tJoin<0 ) snprintf(zJoin, sizeof(zJoin), "> %.0f s", QB_CAP_S);
  else snprintf(zJoin, sizeof(zJoin), "%.1f", tJoin);
  printf("| %s %lldk | %s | %lld | %.1f | %s | %s | %s |\n",
         bench_shape_name[shape], size/1000, zWhat, nRow, tExt, zCte, zRatio,
         zJoin);
  fflush(stdout);
}

static sqlite3 *open_graph(const char *zDir, const char *zExt, int shape,
                           long long size){
  char zPath[512];
  struct stat st;
  sqlite3 *db;
  char *zErr = 0;
  snprintf(zPath, sizeof(zPath), "%s/questions-%s-%lld.db", zDir,
           bench_shape_name[shape], size);
  int bNew = stat(zPath, &st)!=0;
  if( bNew ){
    GenStats gs;
    if( sqlite3_open(zPath, &db) ) die(db, zPath);
    fprintf(stderr, "generating %s...\n", zPath);
    if( bench_generate(db, shape, size, 1, &gs) ) die(db, "generate");
    sqlite3_close(db);
  }
  if( sqlite3_open(zPath, &db) ) die(db, zPath);
  sqlite3_enable_load_extension(db, 1);
  if( sqlite3_load_extension(db, zExt, 0, &zErr) ){
    fprintf(stderr, "questions_bench: %s\n", zErr);
    exit(1);
  }
  /* Plain INSERTs leave the packed blocks to the next write: pack them. */
  if( bNew && sqlite3_exec(db, "SELECT lineage_rebuild()", 0, 0, &zErr) ){
    fprintf(stderr, "questions_bench: %s\n", zErr);
    exit(1);
  }
  return db;
}

int main(int argc, char **argv){
  const char *zDir = "build/bench", *zExt = BENCH_DEFAULT_EXT;
  const char *zSizes = "10k,100k";
  static const int aShape[] = { SHAPE_SWEEP, SHAPE_MIXED };
  int i, bBad = 0;
  for(i=1; i+1<argc; i+=2){
    if( strcmp(argv[i], "--sizes")==0 ) zSizes = argv[i+1];
    else if( strcmp(argv[i], "--dir")==0 ) zDir = argv[i+1];
    else if( strcmp(argv[i], "--ext")==0 ) zExt = argv[i+1];
    else { fprintf(stderr, "usage: %s [--sizes 10k,100k] [--dir D] [--ext E]\n", argv[0]); return 2; }
  }
  printf("| graph | question | rows | walk (CPU ms) | CTE (CPU ms) | CTE / walk | join of walks (CPU ms) |\n");
  printf("|---|---|---:|---:|---:|---:|---:|\n");
  while( *zSizes ){
    long long size = strtoll(zSizes, 0, 10);
    const char *z = zSizes;
    while( *z>='0' && *z<='9' ) z++;
    if( *z=='k' ){ size *= 1000; z++; }
    else if( *z=='M' ){ size *= 1000000; z++; }
    zSizes = *z==',' ? z+1 : z;
    for(i=0; i<(int)(sizeof(aShape)/sizeof(aShape[0])); i++){
      sqlite3 *db = open_graph(zDir, zExt, aShape[i], size);
      sqlite3_stmt *p;
      char *zStarts, zA[64], zB[64], zC[64];
      double tExt, tCte, tJoin;
      if( sqlite3_prepare_v2(db, zMultiStarts, -1, &p, 0)
       || sqlite3_step(p)!=SQLITE_ROW ) die(db, "starts");
      zStarts = sqlite3_mprintf("%s", sqlite3_column_text(p, 0));
      sqlite3_finalize(p);
      tExt = timed(db, zMultiExt, zStarts, 0, zA, sizeof(zA));
      tCte = timed(db, zMultiCte, zStarts, 1, zB, sizeof(zB));
      tJoin = timed(db, zMultiJoin, zStarts, 1, zC, sizeof(zC));
      if( (tCte>=0 && strcmp(zA, zB)!=0) || (tJoin>=0 && strcmp(zA, zC)!=0) ){
        fprintf(stderr, "multi-start answers differ: %s / %s / %s\n", zA, zB, zC);
        bBad = 1;
      }
      print_row(aShape[i], size, "multi-start downstream", zA, tExt, tCte, tJoin);
      tExt = timed(db, zStaleExt, 0, 0, zA, sizeof(zA));
      tCte = timed(db, zStaleCte, 0, 1, zB, sizeof(zB));
      if( tCte>=0 && strcmp(zA, zB)!=0 ){
        fprintf(stderr, "stale answers differ: %s / %s\n", zA, zB);
        bBad = 1;
      }
      print_row(aShape[i], size, "lineage_stale()", zA, tExt, tCte, -2);
      sqlite3_free(zStarts);
      sqlite3_close(db);
    }
  }
  return bBad;
}
