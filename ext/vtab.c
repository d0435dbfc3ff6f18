/*
** vtab.c: what the read-only tables lineage_path, lineage_diff and
** lineage_stale share: connecting (the declaration, SQLITE_VTAB_INNOCUOUS,
** the connection's state from the module's pAux), disconnecting, opening a
** zeroed cursor, the "needs its arguments" plan of xBestIndex, and running
** a walk to its end.
*/
#include "lineage.h"
#include <string.h>

int lineage_vtab_connect(sqlite3 *db, void *pAux, const char *zDecl,
                         size_t nByte, sqlite3_vtab **ppVtab){
  LineageVtab *p;
  int rc = sqlite3_declare_vtab(db, zDecl);
  if( rc!=SQLITE_OK ) return rc;
  sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
  p = sqlite3_malloc64(nByte);
  if( p==0 ) return SQLITE_NOMEM;
  memset(p, 0, nByte);
  p->db = db;
  p->conn = ((LineageModAux*)pAux)->conn;
  *ppVtab = &p->base;
  return SQLITE_OK;
}

int lineage_vtab_disconnect(sqlite3_vtab *pVtab){
  sqlite3_free(pVtab);
  return SQLITE_OK;
}

int lineage_vtab_open(size_t nByte, sqlite3_vtab_cursor **ppCur){
  sqlite3_vtab_cursor *c = sqlite3_malloc64(nByte);
  if( c==0 ) return SQLITE_NOMEM;
  memset(c, 0, nByte);
  *ppCur = c;
  return SQLITE_OK;
}

void lineage_vtab_no_plan(sqlite3_index_info *pInfo, int idxNum){
  /* A plan no query picks when another exists; if it is the only one,
  ** xFilter says which argument is missing. (SQLite also asks about
  ** plans without them, e.g. for one side of an OR.) */
  pInfo->idxNum = idxNum;
  pInfo->estimatedCost = 1e300;
  pInfo->estimatedRows = 2147483647;
}

void lineage_vtab_set_error(sqlite3_vtab *pVtab, char *zErr){
  sqlite3_free(pVtab->zErrMsg);
  pVtab->zErrMsg = zErr;
}

int lineage_walker_run(LineageWalker *w){
  int rc;
  while( (rc = lineage_walker_step(w))==SQLITE_OK ){}
  return rc==SQLITE_DONE ? SQLITE_OK : rc;
}
