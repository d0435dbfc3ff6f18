/*
** lineage.h: what the extension's source files share.
**
** Every .c file includes this header, which pulls in sqlite3ext.h with
** SQLITE_EXTENSION_INIT3 (lineage.c alone adds SQLITE_EXTENSION_INIT1), so
** one set of sources builds both the loadable extension and, compiled with
** -DSQLITE_CORE, a static library. Only the entry points are exported:
** sqlite3_lineage_init and sqlite3_lineage_replicated_init (replicated.c).
*/
#ifndef LINEAGE_H
#define LINEAGE_H

#include "sqlite3ext.h"
SQLITE_EXTENSION_INIT3

#include <stdarg.h>
#include <stddef.h>

/* The oldest SQLite this extension runs on: built-in JSON (3.38.0). */
#define LINEAGE_MIN_SQLITE      3038000
#define LINEAGE_MIN_SQLITE_TEXT "3.38.0"

/* Keeps a cold path out of a function that runs for every row (so that
** the hot one saves fewer registers). */
#if defined(__GNUC__) || defined(__clang__)
# define LINEAGE_NOINLINE __attribute__((noinline))
#elif defined(_MSC_VER)
# define LINEAGE_NOINLINE __declspec(noinline)
#else
# define LINEAGE_NOINLINE
#endif

/* The largest and smallest sqlite3_int64 (a version number, a size; an
** id below every id). */
#define LINEAGE_INT64_MAX ((sqlite3_int64)(((sqlite3_uint64)1 << 63) - 1))
#define LINEAGE_INT64_MIN (-LINEAGE_INT64_MAX - 1)

/* The project of runs and artifacts created without one. */
#define LINEAGE_DEFAULT_PROJECT "uncategorized"

/* ---- sqlutil.c: statements with a sticky error, savepoints -------------- */

/* One unit of work on a connection. The first failure is kept in rc/zErr;
** every later call is a no-op, so a writer reads as a straight line and
** checks x.rc where it must branch. */
typedef struct LineageConn LineageConn;
typedef struct Lx {
  sqlite3 *db;
  LineageConn *conn;  /* keeps prepared statements; may be NULL */
  int rc;           /* SQLITE_OK until something fails */
  char *zErr;       /* "lineage: ..." message of the first failure */
  int inSavepoint;  /* lx_begin() succeeded */
  int bOwnTxn;      /* lx_begin() opened a transaction, not a savepoint */
  sqlite3_stmt *pRollback, *pRelease;  /* lx_end's: ROLLBACK [TO], COMMIT or
                                       ** RELEASE, prepared by lx_begin */
  int bSchema;      /* the lineage tables are known to exist */
} Lx;

void lx_init(Lx *x, sqlite3 *db, LineageConn *conn);
/* For a SQL function whose user data is the LineageConn. */
void lx_init_fn(Lx *x, sqlite3_context *ctx);
/* Fail x unless text (or blob) value p is what a C string of it says: no
** NUL inside (the string would end there) and valid UTF-8; zWhat names it
** in the message. lx_check_args checks every argument of function zFunc. */
void lx_check_text(Lx *x, sqlite3_value *p, const char *zWhat);
void lx_check_args(Lx *x, const char *zFunc, int argc, sqlite3_value **argv);
/* A function argument as text, or NULL for SQL NULL. */
const char *lx_arg_text(sqlite3_value *p);
/* Give back a statement from lx_prepare (kept for reuse, or finalized). */
void lx_finalize(Lx *x, sqlite3_stmt *pStmt);
/* sqlite3_mprintf for messages: a '%s' (quotes included) shows its value
** cut to 64 characters with "...", and a NULL one as NULL, unquoted. */
char *lineage_vmprintf(const char *zFmt, va_list ap);
char *lineage_mprintf(const char *zFmt, ...);
void lx_fail(Lx *x, const char *zFmt, ...);
/* Prepare zSql and bind one argument per letter of zTypes: 't' text
** (const char*, NULL binds NULL; bound without a copy, so it must stay
** valid until lx_finalize), 'i' sqlite3_int64, 'd' double,
** 'v' sqlite3_value*. Returns NULL once x has failed. */
sqlite3_stmt *lx_prepare(Lx *x, const char *zSql, const char *zTypes, ...);
/* Step; SQLITE_ROW or SQLITE_DONE, or the error (recorded in x). */
int lx_step(Lx *x, sqlite3_stmt *pStmt);
/* Run a statement to completion. */
void lx_exec(Lx *x, const char *zSql, const char *zTypes, ...);
/* First column of the first row as an integer; iDefault when no row. */
sqlite3_int64 lx_int(Lx *x, sqlite3_int64 iDefault, const char *zSql,
                     const char *zTypes, ...);
/* First column of the first row as text (sqlite3_malloc'd), or NULL. */
char *lx_text(Lx *x, const char *zSql, const char *zTypes, ...);
/* Column iCol of the current row as text; NULL for SQL NULL, and NULL with
** x failed (SQLITE_NOMEM) when the conversion runs out of memory. */
const char *lx_column_text(Lx *x, sqlite3_stmt *pStmt, int iCol);
/* The same, copied (sqlite3_malloc'd). */
char *lx_column_dup(Lx *x, sqlite3_stmt *pStmt, int iCol);
/* A copy of z (sqlite3_malloc'd); NULL with x failed (SQLITE_NOMEM) when
** out of memory. */
char *lx_strdup(Lx *x, const char *z);
/* Record an error SQLite reported (rc), with SQLite's message. */
void lx_fail_db(Lx *x, int rc);
/* End pProbe, an Lx whose SQLITE_ERROR means "no" (bad JSON, no such
** table): any other failure (out of memory, SQLITE_BUSY, an I/O error) is
** passed on to x, message and code. */
void lx_keep_failure(Lx *x, Lx *pProbe);
/* json_type(pJson) (sqlite3_malloc'd), or NULL when pJson is not JSON. */
char *lx_json_type(Lx *x, sqlite3_value *pJson);
/* Start writer zFunc's work: BEGIN IMMEDIATE in autocommit mode, else a
** SAVEPOINT. lx_end() commits or releases it, or undoes all of it if x
** failed (a failed COMMIT included), and reports the outcome: SQLITE_OK, or
** the error set on ctx (a lock conflict as SQLITE_BUSY). */
void lx_begin(Lx *x, const char *zFunc);
int lx_end(Lx *x, sqlite3_context *ctx);
/* Free what x holds (lx_end does this). */
void lx_clear(Lx *x);

/* The current time as ISO-8601 UTC with milliseconds, or the normalized
** form of zIn; NULL (and x failed, naming zWhat) when zIn is not a time. */
char *lx_time(Lx *x, const char *zIn, const char *zWhat);

/* ---- schema.c ----------------------------------------------------------- */
/* Make sure the tables exist (creating them on the first write) and that the
** schema version is one this build knows. */
void lineage_schema_ensure(Lx *x);
/* The same version check for writers that only change existing lineage:
** a no-op when there are no lineage tables (resolving then says so). */
void lineage_schema_check(Lx *x);
/* 1 when the lineage tables exist in the main database. */
int lineage_schema_exists(Lx *x);
/* (Re)make the packed adjacency's tables and triggers, empty, with
** adj_blocks NULL (pack all at the next write): sql/adjacency.sql, then
** lineage_schema_triggers(). */
void lineage_schema_adjacency(Lx *x);
/* (Re)make the three triggers on lineage_edge that record its changes in
** lineage_adj_dirty, and set adj_triggers: sql/adjacency-triggers.sql. */
void lineage_schema_triggers(Lx *x);
/* The schema version of main: 0 without lineage tables, 1 for a database
** not migrated yet, 2 for this build's (one more for a newer one). */
int lineage_schema_version(Lx *x);
#define LINEAGE_SCHEMA_V2 2
int lineage_register_placeholders(sqlite3 *db);

/* ---- names.c: validation and references --------------------------------- */
int lineage_valid_name(const char *z);
int lineage_valid_type(const char *z);
int lineage_valid_alias(const char *z);
int lineage_valid_run_id(const char *z);
int lineage_valid_project(const char *z);
/* Validate, failing x with a message that names the value. */
void lineage_check_name(Lx *x, const char *z);
void lineage_check_type(Lx *x, const char *z);
void lineage_check_alias(Lx *x, const char *z);

/* A reference split into parts; the strings are owned by the struct. */
typedef struct LineageRef {
  char *zProject;   /* "entity/project" or "project", NULL if unqualified */
  char *zName;      /* the run id or artifact name */
  char *zSel;       /* the part after ':' (alias or vN), NULL if none */
} LineageRef;
void lineage_ref_parse(Lx *x, const char *zRef, int isArtifact, LineageRef *p);
void lineage_ref_clear(LineageRef *p);

/* What a resolved node is. */
typedef struct LineageNode {
  sqlite3_int64 id;
  char zKind[9];       /* "run" or "artifact" */
  char *zProject;
  char *zName;
  sqlite3_int64 version; /* -1 for a run */
  char *zType;
  char *zState;
} LineageNode;
void lineage_node_clear(LineageNode *p);

/* Resolve a run reference; unqualified ones must be unique across projects. */
void lineage_resolve_run(Lx *x, const char *zRef, LineageNode *pOut);
/* Resolve an artifact reference. zProject: where an unqualified reference
** lives (NULL: the one project that has such an artifact). A bare name means
** name:latest. */
void lineage_resolve_version(Lx *x, const char *zRef, const char *zProject,
                             LineageNode *pOut);
/* Resolve the start of a walk: integer node_id, artifact ref, or run ref. */
void lineage_resolve_start(Lx *x, sqlite3_value *pStart, LineageNode *pOut);
/* Load a node by id; fails x naming the id when there is none. */
void lineage_node_load(Lx *x, sqlite3_int64 id, LineageNode *pOut);
/* "name:vN", or "project/name:vN" when bQualify (sqlite3_malloc'd). */
char *lineage_version_ref(const LineageNode *p, int bQualify);

/* Parse artifact reference zRef into *pRef and return its artifact's
** project (sqlite3_malloc'd): the one it names, or the one project that
** has an artifact of that name. Fails x when there is no such artifact. */
char *lineage_artifact_project(Lx *x, const char *zRef, LineageRef *pRef);

/* ---- md5.c -------------------------------------------------------------- */
typedef struct LineageMd5 {
  unsigned int state[4];
  unsigned long long nBytes;
  unsigned char buf[64];
} LineageMd5;
void lineage_md5_init(LineageMd5 *c);
void lineage_md5_update(LineageMd5 *c, const void *p, size_t n);
void lineage_md5_final(LineageMd5 *c, unsigned char out[16]);
void lineage_hex(const unsigned char *p, int n, char *zOut);      /* 2n+1 */
void lineage_base64(const unsigned char *p, int n, char *zOut);   /* 4*ceil(n/3)+1 */

/* ---- digest.c: manifests ------------------------------------------------ */
typedef struct LineageEntry {
  char *zPath;
  char *zDigest;
  sqlite3_int64 size;   /* -1 when unknown */
  char *zRefUri;        /* NULL unless a reference entry */
} LineageEntry;
typedef struct LineageManifest {
  int n;
  LineageEntry *a;       /* sorted by path */
  sqlite3_int64 size;    /* sum of known sizes */
  char zDigest[33];      /* hex MD5 of the manifest */
} LineageManifest;
/* Parse a files JSON array (NULL: empty); bAllowLocal: read local_path. */
void lineage_manifest_load(Lx *x, sqlite3_value *pFiles, int bAllowLocal,
                           LineageManifest *p);
void lineage_manifest_clear(LineageManifest *p);
void lineage_fn_artifact_digest(sqlite3_context*, int, sqlite3_value**);

/* ---- runs.c, artifacts.c: SQL functions --------------------------------- */
void lineage_fn_run_start(sqlite3_context*, int, sqlite3_value**);
void lineage_fn_run_finish(sqlite3_context*, int, sqlite3_value**);
void lineage_fn_use_artifact(sqlite3_context*, int, sqlite3_value**);
void lineage_fn_log_artifact(sqlite3_context*, int, sqlite3_value**);
void lineage_fn_artifact_alias(sqlite3_context*, int, sqlite3_value**);
void lineage_fn_artifact_unalias(sqlite3_context*, int, sqlite3_value**);
void lineage_fn_artifact_delete(sqlite3_context*, int, sqlite3_value**);
/* Check a JSON object of options against the allowed keys (NULL-terminated). */
void lineage_check_options(Lx *x, sqlite3_value *pOpts, const char *zFunc,
                           const char *const *azAllowed);

/* ---- history.c: aliases and their history ------------------------------ */
/* Point zAlias at version p (moving it from any other version of its
** artifact), recording the assignment: zHow 'log', 'alias' or 'delete',
** at time zAt. Nothing changes when p holds it already. */
void lineage_alias_set(Lx *x, const LineageNode *p, const char *zAlias,
                       const char *zHow, const char *zAt);
/* Take zAlias (NULL: every alias) from version p; zHow 'unalias' or
** 'delete' ends its assignment at zAt. */
void lineage_alias_remove(Lx *x, const LineageNode *p, const char *zAlias,
                          const char *zHow, const char *zAt);
/* Point latest at the newest version of p's artifact that is not deleted
** (after p was deleted), if any. */
void lineage_latest_refresh(Lx *x, const LineageNode *p, const char *zAt);

/* ---- conn.c: per-connection state ---------------------------------------- */

/* Which way a walk follows the edges. */
#define LINEAGE_UPSTREAM   0   /* dst -> src: where a node came from */
#define LINEAGE_DOWNSTREAM 1   /* src -> dst: what was made from it */
#define LINEAGE_BOTHWAYS   2   /* either way (a walker only, no blocks) */

/* A new connection's limit on the blocks it keeps between walks
** (lineage_cache() changes it): the benchmark's 100k-node graphs take
** 1.5-2.9 MiB of blocks, so this keeps all of a graph of several million
** nodes. */
#define LINEAGE_CACHE_DEFAULT_LIMIT ((sqlite3_int64)128 << 20)

/* The pAux of the walk modules: the connection and the direction. */
typedef struct LineageModAux {
  LineageConn *conn;
  int dir;
} LineageModAux;

typedef struct LineageCache LineageCache;
LineageConn *lineage_conn_new(sqlite3 *db);
void lineage_conn_ref(LineageConn *c);
void lineage_conn_unref(void *c);           /* an xDestroy */
LineageModAux *lineage_conn_aux(LineageConn *c, int dir);
void lineage_aux_unref(void *pAux);         /* the modules' xDestroy */
LineageCache *lineage_conn_cache(LineageConn *c);
/* The statement cache: a statement for the SQL literal zSql (kept for
** reuse when possible), given back with lineage_conn_stmt_done. */
sqlite3_stmt *lineage_conn_stmt(LineageConn *c, const char *zSql, int *pRc);
void lineage_conn_stmt_done(LineageConn *c, sqlite3_stmt *pStmt);
/* A walk table was connected (+1) or disconnected (-1). */
void lineage_conn_vtab(LineageConn *c, int nDelta);

/* ---- adjacency.c: the packed blocks in the database -------------------- */

/* Node ids per block: 256 ids, about a byte a node and 1-2 bytes an edge,
** so a 4 KiB page holds 4-8 blocks of a typical lineage graph. */
#define LINEAGE_ADJ_BLOCK 256

/* One node's packed neighbour list, being decoded. */
typedef struct LineageSlot {
  const unsigned char *p, *pEnd;
  sqlite3_int64 prev;
  int bFirst;
} LineageSlot;
/* The next neighbour into *pId: 1, or 0 at the end of the list. */
int lineage_slot_next(LineageSlot *s, sqlite3_int64 *pId);
/* *s reads the slot a[0..n) of node id. */
void lineage_slot_init(LineageSlot *s, const unsigned char *a, int n,
                       sqlite3_int64 id);
/* A slot's encoding of a list of any length, written one neighbour at a
** time (lineage_list_add, ascending), in at most nMax bytes. */
typedef struct LineageList {
  unsigned char *a;           /* from sqlite3_malloc; the caller frees it */
  int n, nAlloc, nMax;
  sqlite3_int64 prev;         /* the node, then the last neighbour added */
  int bFirst, bFail;
} LineageList;
/* Start the list of node id, keeping the buffer l->a for reuse. */
void lineage_list_start(LineageList *l, sqlite3_int64 id, int nMax);
/* 1, or 0 for good once the list cannot be had: out of memory or of room,
** a neighbour not above the last, a first one that cannot be stored. */
int lineage_list_add(LineageList *l, sqlite3_int64 nbr);
/* Append n bytes of a slot's encoding as they are (whole varints: the
** caller then sets l->prev and l->bFirst as the slot's reader left them).
** 1, or 0 for good without room. */
int lineage_list_bytes(LineageList *l, const unsigned char *a, int n);
/* 1 when a[0..n) is a well-formed block; then aOff[i] (i <= 256) is where
** slot i starts among the slots (aOff[256]: their end), and aOff[257]
** where the slots start in a. */
#define LINEAGE_ADJ_OFFS (LINEAGE_ADJ_BLOCK+2)
int lineage_adj_decode(const unsigned char *a, int n, unsigned int *aOff);
/* Slot i (node id) of decoded block a into *s: 1, or 0 when its list is
** not in the block (too long: see lineage_adj_long). */
int lineage_adj_slot_of(const unsigned char *a, const unsigned int *aOff,
                        unsigned int i, sqlite3_int64 id, LineageSlot *s);
/* Block b of dir packed from lineage_edge as it is now, into a BLOB from
** sqlite3_malloc (*pa, *pn; *pa NULL when it holds no neighbour or an id
** that is not an integer): SQLITE_OK or an error code. */
int lineage_adj_pack(sqlite3 *db, LineageConn *conn, int dir, sqlite3_int64 b,
                     unsigned char **pa, int *pn);
/* The writers' one call (inside their savepoint, after their edges): fold
** the dirty lists into their blocks and pack the complete blocks of new
** ids (all of them after a migration or lineage_rebuild). */
void lineage_adj_sync(Lx *x);
void lineage_fn_rebuild(sqlite3_context*, int, sqlite3_value**);
void lineage_fn_check(sqlite3_context*, int, sqlite3_value**);

/* ---- cache.c: the blocks as the walks read them ------------------------- */
typedef struct LineageAdjReader LineageAdjReader;
LineageCache *lineage_cache_new(LineageConn *conn, sqlite3 *db);
void lineage_cache_free(LineageCache *c);
/* A reader of direction dir's blocks for one walk, on the data the
** connection sees now. */
int lineage_adj_open(LineageConn *conn, int dir, LineageAdjReader **pp);
void lineage_adj_close(LineageAdjReader *r);
/* Node id's neighbours from the blocks into *s: 1; 2 when after them the
** walker must seek those from *piFrom on (a long list's newest ones); 0
** when it must seek them all (dirty, not packed, or unreadable). */
int lineage_adj_slot(LineageAdjReader *r, sqlite3_int64 id, LineageSlot *s,
                     sqlite3_int64 *piFrom);
/* After 2, when *s is read to its end: 1 when it holds the long list's
** next neighbours, 0 at the list's end (then seek from *piFrom on, which
** is moved back to follow the last neighbour read if the list could not
** be read to its end). */
int lineage_adj_more(LineageAdjReader *r, LineageSlot *s, sqlite3_int64 *piFrom);
/* The neighbours the walker's seek gives for the node lineage_adj_slot()
** last sent to the seek, one at a time, then the end of its list: a clean
** list too long for its block is then kept whole with the snapshot, so the
** next walks read it from memory. Ignored for any other node. */
void lineage_adj_offer(LineageAdjReader *r, sqlite3_int64 nbr);
void lineage_adj_offer_end(LineageAdjReader *r);
void lineage_fn_cache(sqlite3_context*, int, sqlite3_value**);

/* ---- walker.c: breadth-first search ------------------------------------ */

/* One discovered node: 16 bytes. Nodes sit in the queue in the order they
** were discovered, which is breadth-first order, so depth never decreases.
** The top bits of depth say what a filter (filter.c) made of the node. */
typedef struct LineageVisit {
  sqlite3_int64 id;
  unsigned int parent;  /* queue index + 1 of the node it was reached from */
  unsigned int depth;   /* LINEAGE_VISIT_DEPTH(); flags in the top bits */
} LineageVisit;
#define LINEAGE_VISIT_STOP    0x80000000u  /* returned, not walked past */
#define LINEAGE_VISIT_HIDDEN  0x40000000u  /* neither returned nor walked */
#define LINEAGE_VISIT_FLAGS   0xc0000000u
#define LINEAGE_VISIT_DEPTH(v) ((v)->depth & ~LINEAGE_VISIT_FLAGS)

/* ---- filter.c: the walks' options (as_of, stop, prune) ------------------ */
typedef struct LineageFilter LineageFilter;
/* Parse an options object for zFunc; *ppFilter is NULL when pOpts is NULL.
** azExtra: more keys zFunc accepts (NULL-terminated, or NULL). */
int lineage_filter_open(sqlite3 *db, LineageConn *conn, sqlite3_value *pOpts,
                        const char *zFunc, const char *const *azExtra,
                        LineageFilter **ppFilter, char **pzErr);
void lineage_filter_free(LineageFilter *f);
/* 1 when f changes what a walk sees (as_of, stop or prune given). */
int lineage_filter_active(const LineageFilter *f);
/* The as_of time (normalized), or NULL. */
const char *lineage_filter_as_of(const LineageFilter *f);
/* What the walk makes of node id: 0, LINEAGE_VISIT_STOP or _HIDDEN. */
int lineage_filter_verdict(LineageFilter *f, sqlite3_int64 id,
                           unsigned int *pFlags);
/* Whether node id existed as of the filter's time (1 without as_of). */
int lineage_filter_exists(LineageFilter *f, sqlite3_int64 id, int *pbExists);
/* Set ctx to node id's state as of the filter's time. */
int lineage_filter_state(LineageFilter *f, sqlite3_int64 id,
                         sqlite3_context *ctx);
/* The same as text: *pzState (sqlite3_free it) is NULL when the node is
** gone or did not exist then. */
int lineage_filter_state_text(LineageFilter *f, sqlite3_int64 id,
                              char **pzState);

/* A breadth-first walk: the queue of discovered nodes and a visited set.
** The visited set is a hash set over the queue (open addressing; a slot
** holds a queue index + 1, 0 if empty), or, once a walk of over 1,024
** nodes fills 1/32 of the ids of a window, a bitmap over that window. */
typedef struct LineageWalker {
  LineageVisit *aQueue;
  unsigned int nQueue, nAlloc;
  unsigned int *aSlot;        /* hash set, when aBit is not in use */
  unsigned int nSlotMask;     /* number of slots - 1 (a power of two) */
  int bHashed;                /* aSlot indexes the whole queue */
  unsigned char *aBit;        /* bitmap of visited ids, nBitAlloc bytes */
  sqlite3_uint64 nBitAlloc;   /* (all clear but the window's queued ids) */
  sqlite3_int64 iBitLo;       /* the window: ids iBitLo .. iBitLo+nBit-1 */
  sqlite3_uint64 nBit;
  int bBitmap;                /* the visited set is aBit */
  unsigned int nBitmapAt;     /* switch to aBit when the queue is this long */
  unsigned int iExpand;       /* queue[iExpand] is the next node to expand */
  int bExpanding;             /* queue[iExpand-1]'s neighbours are being read */
  int bFromBlock;             /* the node's neighbours come from its block */
  LineageSlot slot;           /* then: the rest of them */
  int bThenSeek;              /* after the slot, seek those from iSeekFrom */
  sqlite3_int64 iSeekFrom;
  sqlite3_int64 maxDepth;     /* deepest depth to discover; -1: no limit */
  LineageFilter *pFilter;     /* asked about every node found; may be NULL */
  sqlite3_stmt *pTail;        /* a long list's neighbours from a bound on */
  sqlite3_stmt *pSeek;        /* the one of them being read */
  sqlite3_stmt *pNeighbors;   /* one index seek: a node's neighbours,
                              ** prepared when a block first cannot answer */
  sqlite3 *db;
  LineageConn *conn;          /* lends the statements and the blocks */
  int dir;
  LineageAdjReader *pAdj;     /* the packed blocks, one way walks only */
  char *zErr;                 /* "lineage: ..." of a bad edge row or of the
                              ** neighbour query, or NULL */
} LineageWalker;

/* A walker for direction dir, empty; its neighbour query is prepared by
** the first lineage_walker_step() that needs it. */
int lineage_walker_open(LineageWalker *w, sqlite3 *db, LineageConn *conn,
                        int dir, char **pzErr);
void lineage_walker_close(LineageWalker *w);
/* Forget the previous walk and start a new one at id. w->pFilter, set
** by the caller, applies to every node but the starts. */
int lineage_walker_start(LineageWalker *w, sqlite3_int64 id,
                         sqlite3_int64 maxDepth);
/* One more start for the walk just started (before its first step): a
** multi-source walk, depth counted from the nearest start. */
int lineage_walker_add_start(LineageWalker *w, sqlite3_int64 id);
/* Read neighbours until one more node joins the queue or the node being
** expanded has no more. SQLITE_OK, SQLITE_DONE when every discovered node
** is expanded, or an error: w->zErr is set when an edge row holds a
** neighbour that is not an integer (SQLITE_CORRUPT) and when the neighbour
** query cannot be prepared (a dropped table), else sqlite3_errmsg() says
** what failed. */
int lineage_walker_step(LineageWalker *w);
/* Read neighbours until the queue holds nWant nodes: SQLITE_OK, SQLITE_DONE
** when every discovered node is expanded first, or an error as above. */
int lineage_walker_fill(LineageWalker *w, unsigned int nWant);
/* Queue index of id, -1 when it was not discovered, -2 when out of memory
** (indexing the queue). */
int lineage_walker_find(LineageWalker *w, sqlite3_int64 id);

/* The metadata of the walk tables' rows, read on demand (meta.c): a cursor
** on lineage_node that steps along the ids, and batches of up to 64 ids. */
typedef struct LineageMetaBatch LineageMetaBatch;
typedef struct LineageMeta {
  sqlite3 *db;
  LineageConn *conn;  /* lends the statements */
  sqlite3_stmt *pStmt;
  sqlite3_int64 id;   /* the node pStmt is positioned on */
  int bValid;         /* pStmt holds id's row */
  int bDesc;          /* the cursor goes down the ids */
  LineageMetaBatch *pBatch;
} LineageMeta;
/* flags: LINEAGE_META_DESC, the ids asked for will mostly go down (an
** upstream walk); LINEAGE_META_ID_ONLY, no columns but node_id. */
#define LINEAGE_META_DESC     1
#define LINEAGE_META_ID_ONLY  2
int lineage_meta_open(LineageMeta *m, sqlite3 *db, LineageConn *conn,
                      int flags, char **pzErr);
/* Position on node id: SQLITE_ROW if it exists, SQLITE_DONE if not. */
int lineage_meta_seek(LineageMeta *m, sqlite3_int64 id);
void lineage_meta_close(LineageMeta *m);
/* Result column iCol (LINEAGE_COL_KIND..LINEAGE_COL_STATE) of node id. */
int lineage_meta_result(LineageMeta *m, sqlite3_int64 id, int iCol,
                        sqlite3_context *ctx);
/* The same for row iRow of walk w, reading ahead in batches when its
** queued ids are not a few steps apart. */
int lineage_meta_walk_result(LineageMeta *m, const LineageWalker *w,
                             unsigned int iRow, int iCol,
                             sqlite3_context *ctx);
/* How many rows the walk should have queued from iRow on before
** lineage_meta_walk_result(iRow): 0, or the size of a batch. */
unsigned int lineage_meta_ahead(LineageMeta *m, const LineageWalker *w,
                                unsigned int iRow);
/* A new walk starts: forget the batch. */
void lineage_meta_forget(LineageMeta *m);
/* The columns every walk table starts with. */
#define LINEAGE_COL_NODE_ID  0
#define LINEAGE_COL_KIND     1
#define LINEAGE_COL_PROJECT  2
#define LINEAGE_COL_REF      3
#define LINEAGE_COL_NAME     4
#define LINEAGE_COL_VERSION  5
#define LINEAGE_COL_TYPE     6
#define LINEAGE_COL_STATE    7
#define LINEAGE_NODE_COLUMNS \
  "node_id INTEGER, kind TEXT, project TEXT, ref TEXT, name TEXT, " \
  "version INTEGER, type TEXT, state TEXT"

/* The node_id a walk starts at (an integer node_id, an artifact or a run
** reference); pMeta, when open, checks an integer with a step or a seek.
** On error *pzErr gets the "lineage: ..." message. */
int lineage_start_node(sqlite3 *db, LineageConn *conn, LineageMeta *pMeta,
                       sqlite3_value *pStart, sqlite3_int64 *pId,
                       char **pzErr);

/* Start w at pStart: a node_id, a reference, or a JSON array of them (a
** multi-source walk). With as_of, a start created later is hidden. */
int lineage_walker_start_at(LineageWalker *w, sqlite3 *db, LineageMeta *pIds,
                            sqlite3_value *pStart, sqlite3_int64 maxDepth,
                            char **pzErr);

/* Check a max_depth or min_size argument: NULL gives iDefault; otherwise an
** integer >= iMin, or an error message (sqlite3_malloc'd) in *pzErr. */
int lineage_int_arg(sqlite3_value *p, const char *zName, sqlite3_int64 iMin,
                    sqlite3_int64 iDefault, sqlite3_int64 *piOut, char **pzErr);

/* ---- graph.c: the graph around a node (levels and clusters) ----------- */

/* One node of the graph: its level (-depth upstream, +depth downstream, 0
** the start) and its cluster. */
typedef struct LineageGraphNode {
  sqlite3_int64 id;
  int level;
  unsigned int seq;          /* discovery order within its walk */
  int bRun;                  /* kind is 'run' */
  int cluster;               /* 0: in none */
  unsigned int clusterSize;
} LineageGraphNode;

/* The graph around a start: both walks, merged. */
typedef struct LineageGraph {
  LineageWalker up, down;
  LineageMeta meta;          /* reads kinds (and checks an integer start) */
  int bOpen;
  LineageGraphNode *aNode;   /* sorted by (level, discovery order) */
  unsigned int nNode;
  LineageFilter *pFilter;    /* the walks' options (set by the caller), or 0 */
} LineageGraph;

/* Which walks lineage_graph_build runs. */
#define LINEAGE_GRAPH_UP     1
#define LINEAGE_GRAPH_DOWN   2
#define LINEAGE_GRAPH_BOTH   3
/* Nodes of one kind at one level that make a cluster, as W&B's lineage tab. */
#define LINEAGE_DEFAULT_MIN_SIZE 5

int lineage_graph_open(LineageGraph *g, sqlite3 *db, LineageConn *conn,
                       char **pzErr);
/* Walk from startId (dirs: LINEAGE_GRAPH_*; maxDepth -1: no limit) and fill
** g->aNode; clusters are levels' kinds with at least minSize nodes. */
int lineage_graph_build(LineageGraph *g, sqlite3_int64 startId, int dirs,
                        sqlite3_int64 maxDepth, sqlite3_int64 minSize);
/* Forget the nodes (the walkers stay open). */
void lineage_graph_reset(LineageGraph *g);
void lineage_graph_close(LineageGraph *g);
/* The message of a failed lineage_graph_build (sqlite3_malloc'd): a
** walker's own (a bad edge row), else SQLite's with the prefix. */
char *lineage_graph_errmsg(LineageGraph *g, sqlite3 *db);

/* ---- layout.c: a layered drawing ---------------------------------------- */

/* One box to place: its rank (level counted from the lowest, 0 ..) and size
** in; its centre out. Sizes should be even, so centres land on integers. */
typedef struct LineageLayoutBox {
  int rank;
  double w, h;
  double x, y;
} LineageLayoutBox;

/* Place nBox boxes: ranks left to right (top to bottom with bTB), the order
** in each rank chosen to keep the crossings of the nEdge edges (pairs of box
** indexes in aEdge) low, no two boxes overlapping. Boxes of one rank start
** in input order. *pWidth, *pHeight: the drawing's size. */
int lineage_layout(LineageLayoutBox *aBox, int nBox, const int *aEdge,
                   int nEdge, int bTB, double *pWidth, double *pHeight);

/* ---- picture.c: what the pictures draw ---------------------------------- */

/* The texts read for a node (NULL: SQL NULL). */
enum {
  LINEAGE_PIC_REF, LINEAGE_PIC_PROJECT, LINEAGE_PIC_NAME, LINEAGE_PIC_TYPE,
  LINEAGE_PIC_STATE,
  LINEAGE_PIC_STARTED_AT, LINEAGE_PIC_DURATION, LINEAGE_PIC_AUTHOR,
  LINEAGE_PIC_ALIASES, LINEAGE_PIC_CREATED_AT, LINEAGE_PIC_DESCRIPTION,
  LINEAGE_PIC_LOGGED_BY, LINEAGE_PIC_SIZE,
  LINEAGE_PIC_NFIELD
};

typedef struct LineagePicNode {
  sqlite3_int64 id;
  int level;
  int bRun;
  int bFound;              /* it has a lineage_node row */
  sqlite3_int64 version;   /* -1 for a run */
  int cluster;             /* index into aCluster + 1; 0: in none */
  int iBox;                /* the box that draws it */
  char *az[LINEAGE_PIC_NFIELD];
} LineagePicNode;

typedef struct LineagePicCluster {
  int id;                  /* lineage_clusters' cluster id */
  int level, bRun;
  int nMember;             /* members in the picture */
  int bExpanded;
  int iBox;                /* its box when folded, else -1 */
  char *zLabel;            /* "12 versions of model" */
  double x, y, w, h;       /* the box, or the members' bounding box */
} LineagePicCluster;

typedef struct LineagePicBox {
  int iNode;               /* the node it draws, or -1: */
  int iCluster;            /* the folded cluster it draws */
  LineageLayoutBox lay;
} LineagePicBox;

typedef struct LineagePicture {
  const char *zFunc;       /* the SQL function, for messages */
  int iStart;              /* index of the start node */
  const char *zDirection;  /* "up", "down", "both" */
  int bTB;                 /* rankdir TB */
  int bTruncated;          /* max_nodes dropped levels */
  int nHidden;             /* nodes left out by hide */
  LineagePicNode *aNode;   /* sorted by (level, order in level) */
  int nNode;
  int *aEdge;              /* nEdge pairs of node indexes (src, dst) */
  int nEdge;
  LineagePicCluster *aCluster;
  int nCluster;
  LineagePicBox *aBox;     /* sorted by (level, order in level) */
  int nBox;
  int *aBoxEdge;           /* nBoxEdge pairs of box indexes (src, dst) */
  int nBoxEdge;
  double width, height;
} LineagePicture;

/* What each format writes; the SQL functions. */
void lineage_dot_write(sqlite3_str *pOut, const LineagePicture *p);
void lineage_mermaid_write(sqlite3_str *pOut, const LineagePicture *p);
void lineage_json_write(sqlite3_str *pOut, const LineagePicture *p);
void lineage_html_write(sqlite3_str *pOut, const LineagePicture *p);
void lineage_fn_dot(sqlite3_context*, int, sqlite3_value**);
void lineage_fn_mermaid(sqlite3_context*, int, sqlite3_value**);
void lineage_fn_json(sqlite3_context*, int, sqlite3_value**);
void lineage_fn_html(sqlite3_context*, int, sqlite3_value**);
/* Text for a format: each character of z (UTF-8; a byte that does not
** start a valid sequence is U+FFFD) goes to xChar, which writes it escaped
** and returns 1, or returns 0 to have it written as it is. */
typedef int (*LineageEscape)(sqlite3_str *pOut, unsigned int c, int bHtml);
void lineage_pic_text(sqlite3_str *pOut, const char *z, LineageEscape xChar,
                      int bHtml);
/* A box's label, escaped by xChar: a node's two lines (an artifact's type
** above name:vN; a run's name above its job type) joined by zBreak, or a
** folded cluster's label. Returns 1 when the box is a run or runs. */
int lineage_pic_label(sqlite3_str *pOut, const LineagePicture *p, int iBox,
                      LineageEscape xChar, const char *zBreak);
/* One line per pair of boxes: "  <id><zArrow><id><zEnd>". */
void lineage_pic_edges(sqlite3_str *pOut, const LineagePicture *p,
                       const char *zArrow, const char *zEnd);
/* A box's id in the drawing: n<node id>, or c<cluster id>. */
void lineage_pic_box_id(sqlite3_str *pOut, const LineagePicture *p, int iBox);

/* ---- replicated.c: replicated mode (dqlite) ---------------------------- */
/* How an entry point is exported from the loadable extension. */
#ifdef _WIN32
# define LINEAGE_EXPORT __declspec(dllexport)
#else
# define LINEAGE_EXPORT __attribute__((visibility("default")))
#endif
/* The entry points: the plain one (lineage.c) and the one that also turns
** replicated mode on for the connection. */
int sqlite3_lineage_init(sqlite3*, char**, const sqlite3_api_routines*);
int sqlite3_lineage_replicated_init(sqlite3*, char**,
                                    const sqlite3_api_routines*);
/* 1 when connection c (may be NULL) is in replicated mode. */
int lineage_replicated(LineageConn *c);
/* In replicated mode, fail x unless an explicit transaction is open: writer
** zFunc's changes must reach a COMMIT to be replicated. */
void lineage_replicated_check(Lx *x, const char *zFunc);
void lineage_fn_replicated(sqlite3_context*, int, sqlite3_value**);
/* The flag itself, kept in the connection's state (conn.c). */
int lineage_conn_replicated(LineageConn *c);
void lineage_conn_set_replicated(LineageConn *c);

/* ---- walk.c, clusters.c, path.c, diff.c, stale.c: virtual tables ------- */
extern sqlite3_module lineage_walk_module;     /* pAux: LineageModAux* */
extern sqlite3_module lineage_clusters_module; /* pAux: LineageModAux* */
extern sqlite3_module lineage_path_module;     /* pAux: LineageModAux* */
extern sqlite3_module lineage_diff_module;     /* pAux: LineageModAux* */
extern sqlite3_module lineage_stale_module;    /* pAux: LineageModAux* */

/* ---- vtab.c: what path.c, diff.c and stale.c share -------------------- */
/* The first fields of their sqlite3_vtab. */
typedef struct LineageVtab {
  sqlite3_vtab base;
  sqlite3 *db;
  LineageConn *conn;          /* from the module's LineageModAux */
} LineageVtab;
/* xConnect: declare zDecl, innocuous, a zeroed vtab of nByte bytes. */
int lineage_vtab_connect(sqlite3 *db, void *pAux, const char *zDecl,
                         size_t nByte, sqlite3_vtab **ppVtab);
int lineage_vtab_disconnect(sqlite3_vtab *pVtab);
/* xOpen: a zeroed cursor of nByte bytes. */
int lineage_vtab_open(size_t nByte, sqlite3_vtab_cursor **ppCur);
/* xBestIndex without the required arguments: a plan costing "infinity". */
void lineage_vtab_no_plan(sqlite3_index_info *pInfo, int idxNum);
/* Replace the vtab's error message with zErr (sqlite3_malloc'd or NULL). */
void lineage_vtab_set_error(sqlite3_vtab *pVtab, char *zErr);
/* Run a started walk to its end. */
int lineage_walker_run(LineageWalker *w);

/* ---- fingerprint.c, resolve.c: readers (user data: the LineageConn) ------ */
void lineage_fn_fingerprint(sqlite3_context*, int, sqlite3_value**);
void lineage_fn_resolve(sqlite3_context*, int, sqlite3_value**);

/* ---- debug.c: what this build is ---------------------------------------- */
void lineage_fn_debug(sqlite3_context*, int, sqlite3_value**);

#endif /* LINEAGE_H */
