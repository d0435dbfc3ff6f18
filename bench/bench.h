/*
** bench.h: what the benchmark's two halves share.
**
** generate.c writes synthetic lineage graphs, either through the
** extension's own SQL functions (run_start, use_artifact, log_artifact,
** artifact_alias, run_finish) or through plain INSERTs of exactly the rows
** those functions would write (the bulk path). lineage_bench.c times the
** walks on them.
*/
#ifndef LINEAGE_BENCH_H
#define LINEAGE_BENCH_H

#include <sqlite3.h>

/* The graph shapes. */
enum { SHAPE_CHAIN, SHAPE_SWEEP, SHAPE_DIAMOND, SHAPE_MIXED, SHAPE_COUNT };
extern const char *const bench_shape_name[SHAPE_COUNT];
int bench_shape_parse(const char *z);   /* -1 when unknown */

/* What a generation did and what it cost. */
typedef struct GenStats {
  long long nNode;          /* nodes written */
  long long nRows;          /* rows written into all lineage tables */
  long long nCall[5];       /* run (start+finish), use, log, alias, -- */
  double tCall[5];          /* seconds spent in each kind of call */
  double tTotal;            /* seconds, the whole transaction */
} GenStats;
enum { GEN_RUN, GEN_USE, GEN_LOG, GEN_ALIAS };

/* Write a graph of about nTarget nodes of the given shape into db (a fresh
** database with the extension loaded when bBulk is 0), in one transaction.
** The event stream depends only on the shape, never on nTarget, so a
** smaller graph is a prefix of a larger one (same node ids). Returns
** SQLITE_OK or an error (printed to stderr). */
int bench_generate(sqlite3 *db, int shape, long long nTarget, int bBulk,
                   GenStats *pStats);

/* Compare the lineage tables of main and the attached schema zOther modulo
** times. Returns the number of differing rows (0: same), -1 on error. */
long long bench_compare_tables(sqlite3 *db, const char *zOther);

double bench_now(void);   /* monotonic seconds */

#endif
