/*
** fingerprint.c: lineage_fingerprint(node), what a node was built from.
**
**   SELECT lineage_fingerprint('cnn:v3') = lineage_fingerprint('cnn:v4');
**
** The hex MD5 of the sorted lines "project/name:<version digest>\n" (sorted
** bytewise, each line ending with a newline) of every committed artifact
** version upstream of the node, the node itself left out: two nodes with
** equal fingerprints were built from exactly the same inputs. Nothing
** upstream gives the MD5 of no bytes.
**
** How it works: one upstream walk (walker.c) to its end, one seek per node
** reached for its project, name and digest, a sort, then MD5 (md5.c).
*/
#include "lineage.h"
#include <stdlib.h>
#include <string.h>

static int line_cmp(const void *a, const void *b){
  return strcmp(*(char*const*)a, *(char*const*)b);
}

void lineage_fn_fingerprint(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  static const char zSql[] =
    "SELECT n.project || '/' || n.name || ':' || v.digest || char(10) "
    "FROM main.lineage_node n JOIN main.lineage_version v "
    "ON v.node_id=n.node_id WHERE n.node_id=?1 AND n.kind='artifact' "
    "AND n.state='committed'";
  sqlite3 *db = sqlite3_context_db_handle(ctx);
  LineageConn *conn = (LineageConn*)sqlite3_user_data(ctx);
  LineageWalker w;
  LineageMeta noMeta;
  sqlite3_stmt *pStmt = 0;
  char *zErr = 0, **azLine = 0;
  unsigned int i, nLine = 0;
  int rc;
  (void)argc;
  memset(&noMeta, 0, sizeof(noMeta));
  lineage_walker_open(&w, db, conn, LINEAGE_UPSTREAM, &zErr);
  rc = lineage_walker_start_at(&w, db, &noMeta, argv[0], -1, &zErr);
  while( rc==SQLITE_OK ) rc = lineage_walker_step(&w);
  if( rc==SQLITE_DONE ){
    rc = SQLITE_OK;
    azLine = sqlite3_malloc64(sizeof(char*)*((sqlite3_uint64)w.nQueue+1));
    if( azLine==0 ) rc = SQLITE_NOMEM;
  }
  if( rc==SQLITE_OK ) pStmt = lineage_conn_stmt(conn, zSql, &rc);
  for(i=0; rc==SQLITE_OK && i<w.nQueue; i++){
    if( LINEAGE_VISIT_DEPTH(&w.aQueue[i])==0 ) continue;   /* the node */
    sqlite3_bind_int64(pStmt, 1, w.aQueue[i].id);
    rc = sqlite3_step(pStmt);
    if( rc==SQLITE_ROW ){
      azLine[nLine] = sqlite3_mprintf("%s", sqlite3_column_text(pStmt, 0));
      rc = azLine[nLine++] ? SQLITE_OK : SQLITE_NOMEM;
    }else if( rc==SQLITE_DONE ){
      rc = SQLITE_OK;
    }
    sqlite3_reset(pStmt);
  }
  lineage_conn_stmt_done(conn, pStmt);
  if( rc==SQLITE_OK ){
    LineageMd5 md5;
    unsigned char aHash[16];
    char zHex[33];
    qsort(azLine, nLine, sizeof(char*), line_cmp);
    lineage_md5_init(&md5);
    for(i=0; i<nLine; i++) lineage_md5_update(&md5, azLine[i], strlen(azLine[i]));
    lineage_md5_final(&md5, aHash);
    lineage_hex(aHash, 16, zHex);
    sqlite3_result_text(ctx, zHex, 32, SQLITE_TRANSIENT);
  }else if( rc==SQLITE_NOMEM ){
    sqlite3_result_error_nomem(ctx);
  }else{
    if( zErr==0 ) zErr = sqlite3_mprintf("lineage: %s", sqlite3_errmsg(db));
    sqlite3_result_error(ctx, zErr ? zErr : "lineage: out of memory", -1);
  }
  for(i=0; i<nLine; i++) sqlite3_free(azLine[i]);
  sqlite3_free(azLine);
  sqlite3_free(zErr);
  lineage_walker_close(&w);
}
