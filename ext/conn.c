/*
** conn.c: per-connection state: the modules' pAux, the walks' block cache
** (cache.c) and the writers' kept statements.
**
** The connection state keeps the writers' prepared statements, so that
** log_artifact in a loop prepares nothing. SQLite's sqlite3_close() refuses
** to close a connection with unfinalized statements, but it disconnects
** virtual tables first: so the statements are finalized in the walk
** tables' xDisconnect, and a statement is only kept while such a table is
** connected (lineage_conn_stmt connects lineage_upstream when it is not).
*/
#include "lineage.h"
#include <string.h>

/* Statements kept per connection: the writers, the walks and the block
** cache use about 40 distinct SQL literals; past this many, the rest are
** prepared per use. */
#define CONN_STMT_MAX 64

struct LineageConn {
  int nRef;
  sqlite3 *db;
  LineageCache *pCache;         /* the walks' blocks (cache.c) */
  LineageModAux aAux[2];        /* pAux of the modules, one per direction */
  int nVtab;                    /* walk tables connected now */
  int bReplicated;              /* replicated mode (replicated.c) is on */
  int nStmt;
  struct ConnStmt {
    const char *zSql;           /* the SQL literal: compared by address */
    sqlite3_stmt *pStmt;
    int bBusy;                  /* handed out and not yet given back */
  } aStmt[CONN_STMT_MAX];
};

LineageConn *lineage_conn_new(sqlite3 *db){
  LineageConn *c = sqlite3_malloc(sizeof(*c));
  int i;
  if( c==0 ) return 0;
  memset(c, 0, sizeof(*c));
  c->nRef = 1;
  c->db = db;
  c->pCache = lineage_cache_new(c, db);
  if( c->pCache==0 ){
    sqlite3_free(c);
    return 0;
  }
  for(i=0; i<2; i++){
    c->aAux[i].conn = c;
    c->aAux[i].dir = i;
  }
  return c;
}

void lineage_conn_ref(LineageConn *c){ c->nRef++; }

LineageCache *lineage_conn_cache(LineageConn *c){ return c->pCache; }

/* Forget the kept statements. One in use is only forgotten: giving it back
** (lineage_conn_stmt_done) then finalizes it. */
static void conn_flush(LineageConn *c){
  int i;
  for(i=0; i<c->nStmt; i++){
    if( !c->aStmt[i].bBusy ) sqlite3_finalize(c->aStmt[i].pStmt);
  }
  c->nStmt = 0;
}

int lineage_conn_replicated(LineageConn *c){ return c->bReplicated; }
void lineage_conn_set_replicated(LineageConn *c){ c->bReplicated = 1; }

void lineage_conn_vtab(LineageConn *c, int nDelta){
  c->nVtab += nDelta;
  if( nDelta<0 ) conn_flush(c);
}

sqlite3_stmt *lineage_conn_stmt(LineageConn *c, const char *zSql, int *pRc){
  sqlite3_stmt *pStmt = 0;
  int i;
  for(i=0; i<c->nStmt; i++){
    if( c->aStmt[i].zSql==zSql && !c->aStmt[i].bBusy ){
      c->aStmt[i].bBusy = 1;
      *pRc = SQLITE_OK;
      return c->aStmt[i].pStmt;
    }
  }
  if( c->nVtab==0 ){
    /* Connect a walk table, whose xDisconnect will finalize what is kept. */
    sqlite3_stmt *p = 0;
    sqlite3_prepare_v2(c->db, "SELECT 1 FROM main.lineage_upstream(NULL) WHERE 0",
                       -1, &p, 0);
    sqlite3_finalize(p);
  }
  *pRc = sqlite3_prepare_v3(c->db, zSql, -1, SQLITE_PREPARE_PERSISTENT,
                            &pStmt, 0);
  if( *pRc==SQLITE_OK && c->nVtab>0 && c->nStmt<CONN_STMT_MAX ){
    c->aStmt[c->nStmt].zSql = zSql;
    c->aStmt[c->nStmt].pStmt = pStmt;
    c->aStmt[c->nStmt].bBusy = 1;
    c->nStmt++;
  }
  return pStmt;
}

void lineage_conn_stmt_done(LineageConn *c, sqlite3_stmt *pStmt){
  int i;
  if( pStmt==0 ) return;
  for(i=0; c && i<c->nStmt; i++){
    if( c->aStmt[i].pStmt==pStmt ){
      sqlite3_reset(pStmt);
      sqlite3_clear_bindings(pStmt);
      c->aStmt[i].bBusy = 0;
      return;
    }
  }
  sqlite3_finalize(pStmt);
}

void lineage_conn_unref(void *p){
  LineageConn *c = (LineageConn*)p;
  if( c && --c->nRef==0 ){
    conn_flush(c);
    lineage_cache_free(c->pCache);
    sqlite3_free(c);
  }
}

void lineage_aux_unref(void *p){
  lineage_conn_unref(((LineageModAux*)p)->conn);
}

LineageModAux *lineage_conn_aux(LineageConn *c, int dir){
  return &c->aAux[dir];
}
