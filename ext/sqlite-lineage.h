/*
** sqlite-lineage.h: the public header of sqlite-lineage.
**
** A program that links sqlite-lineage in (the static library, or the
** one-file source sqlite-lineage.c compiled with -DSQLITE_CORE) registers it
** for every connection it opens:
**
**   #include <sqlite3.h>
**   #include "sqlite-lineage.h"
**   sqlite3_auto_extension((void(*)(void))sqlite3_lineage_init);
**
** A program that loads the shared library needs no header: SQLite finds the
** entry point from the file name (load_extension('.../lineage')).
*/
#ifndef SQLITE_LINEAGE_H
#define SQLITE_LINEAGE_H

#include <sqlite3.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Registers the functions and virtual tables of sqlite-lineage on db. Returns
** SQLITE_OK, or an error with a "lineage: ..." message in *pzErrMsg (for
** example when SQLite is older than 3.38.0). */
int sqlite3_lineage_init(sqlite3 *db, char **pzErrMsg,
                         const sqlite3_api_routines *pApi);

/* The same, with replicated mode on for the connection (for a host of a
** replicated engine such as dqlite: see docs/cluster.md). */
int sqlite3_lineage_replicated_init(sqlite3 *db, char **pzErrMsg,
                                    const sqlite3_api_routines *pApi);

#ifdef __cplusplus
}
#endif

#endif /* SQLITE_LINEAGE_H */
