/*
** replicated.c: replicated mode, for a connection of a replicated SQLite
** engine such as dqlite (Raft over SQLite's WAL pages).
**
**   SELECT lineage_replicated(1);   -- this connection: on (for good)
**   SELECT lineage_replicated();    -- 1 or 0
**   SELECT load_extension('build/lineage', 'sqlite3_lineage_replicated_init');
**
** A host that embeds the extension (lineage-node) registers
** sqlite3_lineage_replicated_init with sqlite3_auto_extension, so every
** connection it opens is in replicated mode before a client sees it.
**
** What changes, and why:
**   - A writer runs only inside an explicit transaction (BEGIN IMMEDIATE;
**     SELECT writer(...); COMMIT). dqlite tells reads from writes with
**     sqlite3_stmt_readonly(), which is true for a SELECT that calls a
**     writer: sent on its own, its changes would be acknowledged and never
**     replicated. Inside a transaction the COMMIT carries them.
**   - local_path entries are refused: they would read the leader's disk.
**   - log_artifact is safe to retry: when the same run already logged a
**     live version of the artifact with the same digest, that version is
**     returned and nothing changes (artifacts.c). A commit whose
**     acknowledgement was lost can then be sent again.
** Generated run ids and times need nothing: the engine replicates the
** pages the leader wrote, not the statements. The mode cannot be turned
** off on a connection: a client must not be able to undo what its host set.
*/
#include "lineage.h"

int lineage_replicated(LineageConn *c){
  return c!=0 && lineage_conn_replicated(c);
}

void lineage_replicated_check(Lx *x, const char *zFunc){
  if( x->rc || !lineage_replicated(x->conn) ) return;
  if( sqlite3_get_autocommit(x->db) ){
    lx_fail(x, "%s must run inside an explicit transaction in replicated "
               "mode: BEGIN IMMEDIATE; SELECT %s(...); COMMIT", zFunc, zFunc);
  }
}

/* lineage_replicated([on]) */
void lineage_fn_replicated(sqlite3_context *ctx, int argc,
                           sqlite3_value **argv){
  LineageConn *c = (LineageConn*)sqlite3_user_data(ctx);
  if( argc==1 ){
    int eType = sqlite3_value_type(argv[0]);
    sqlite3_int64 v = sqlite3_value_int64(argv[0]);
    if( eType!=SQLITE_INTEGER || (v!=0 && v!=1) ){
      char *z = sqlite3_mprintf("lineage: lineage_replicated() takes 1 (on) "
                                "or 0, not %.40s", eType==SQLITE_NULL ? "NULL"
                                : (const char*)sqlite3_value_text(argv[0]));
      if( z==0 ){ sqlite3_result_error_nomem(ctx); return; }
      sqlite3_result_error(ctx, z, -1);
      sqlite3_free(z);
      return;
    }
    if( v==0 && lineage_conn_replicated(c) ){
      sqlite3_result_error(ctx, "lineage: replicated mode cannot be turned "
                           "off on this connection", -1);
      return;
    }
    if( v==1 ) lineage_conn_set_replicated(c);
  }
  sqlite3_result_int(ctx, lineage_conn_replicated(c));
}

LINEAGE_EXPORT
int sqlite3_lineage_replicated_init(sqlite3 *db, char **pzErrMsg,
                                    const sqlite3_api_routines *pApi){
  int rc = sqlite3_lineage_init(db, pzErrMsg, pApi);
  if( rc==SQLITE_OK ){
    char *zErr = 0;
    rc = sqlite3_exec(db, "SELECT lineage_replicated(1)", 0, 0, &zErr);
    if( rc!=SQLITE_OK && pzErrMsg ){
      *pzErrMsg = sqlite3_mprintf("lineage: cannot turn on replicated "
                                  "mode: %s", zErr ? zErr : "out of memory");
    }
    sqlite3_free(zErr);
  }
  return rc;
}
