/*
** static_demo.c: sqlite-lineage linked into a program (-DSQLITE_CORE).
**
** Registers the extension with sqlite3_auto_extension, so every connection
** the program opens has it, then records a small lineage in memory and walks
** it. Prints the walk and exits 0 when it is what it should be. The install
** test (tests/install.sh) builds it against an installed prefix.
*/
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include "sqlite-lineage.h"

static int print_row(void *pOut, int n, char **az, char **azCol){
  int i;
  (void)azCol;
  for(i=0; i<n; i++){
    strcat((char*)pOut, az[i] ? az[i] : "NULL");
    strcat((char*)pOut, i+1<n ? "|" : "\n");
  }
  return 0;
}

int main(void){
  sqlite3 *db;
  char *zErr = 0;
  char zOut[4096] = "";
  const char *zWant = "mnist:v0|0\nprep|1\nraw:v0|2\n";
  int rc;
  sqlite3_auto_extension((void(*)(void))sqlite3_lineage_init);
  if( sqlite3_open(":memory:", &db)!=SQLITE_OK ) return 1;
  rc = sqlite3_exec(db,
      "SELECT run_start('prep');"
      "SELECT log_artifact(NULL, 'raw', 'dataset');"
      "SELECT use_artifact('prep', 'raw');"
      "SELECT log_artifact('prep', 'mnist', 'dataset', "
      "  '[{\"path\":\"a.csv\",\"digest\":\"x\"}]');", 0, 0, &zErr);
  if( rc==SQLITE_OK ){
    rc = sqlite3_exec(db, "SELECT ref, depth FROM lineage_upstream('mnist:v0')",
                      print_row, zOut, &zErr);
  }
  if( rc!=SQLITE_OK ){
    fprintf(stderr, "static_demo: %s\n", zErr ? zErr : sqlite3_errstr(rc));
    return 1;
  }
  fputs(zOut, stdout);
  sqlite3_close(db);
  if( strcmp(zOut, zWant)!=0 ){
    fprintf(stderr, "static_demo: expected\n%s", zWant);
    return 1;
  }
  return 0;
}
