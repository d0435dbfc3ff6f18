/*
** debug.c: lineage_debug(), what this build of sqlite-lineage is.
**
**   SELECT lineage_debug();
**
** One text of "key: value" lines, for bug reports (as sqlite-vec's
** vec_debug()): the version, the source commit and build type when the
** build knew them (CMake passes LINEAGE_COMMIT and LINEAGE_BUILD_TYPE; the
** one-file source carries the commit it was made from), the compiler, the
** SQLite it was compiled against and the one it runs on, and the defaults of
** the cache and the walks.
*/
#include "lineage.h"

#ifndef LINEAGE_COMMIT
# define LINEAGE_COMMIT ""
#endif
#ifndef LINEAGE_BUILD_TYPE
# define LINEAGE_BUILD_TYPE ""
#endif

#if defined(__clang__)
# define LINEAGE_COMPILER "clang " __clang_version__
#elif defined(__GNUC__)
# define LINEAGE_COMPILER "gcc " __VERSION__
#elif defined(_MSC_VER)
# define LINEAGE_COMPILER_MSVC 1
#else
# define LINEAGE_COMPILER "unknown"
#endif

#ifdef SQLITE_CORE
# define LINEAGE_LINKING "linked in (SQLITE_CORE)"
#else
# define LINEAGE_LINKING "loadable extension"
#endif

void lineage_fn_debug(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  char *z;
  (void)argc; (void)argv;
  z = sqlite3_mprintf(
      "version: %s\n"
      "commit: %s\n"
      "build type: %s\n"
#ifdef LINEAGE_COMPILER_MSVC
      "compiler: MSVC %d\n"
#else
      "compiler: %s\n"
#endif
      "built as: %s\n"
      "sqlite compiled: %s\n"
      "sqlite running: %s\n"
      "sqlite minimum: %s\n"
      "cache limit default: %lld bytes\n"
      "packed block: %u node ids\n"
      "clusters min_size default: %d\n"
      "walks max_depth default: none",
      LINEAGE_VERSION,
      LINEAGE_COMMIT[0] ? LINEAGE_COMMIT : "unknown",
      LINEAGE_BUILD_TYPE[0] ? LINEAGE_BUILD_TYPE : "unknown",
#ifdef LINEAGE_COMPILER_MSVC
      _MSC_VER,
#else
      LINEAGE_COMPILER,
#endif
      LINEAGE_LINKING, SQLITE_VERSION, sqlite3_libversion(),
      LINEAGE_MIN_SQLITE_TEXT, (long long)LINEAGE_CACHE_DEFAULT_LIMIT,
      (unsigned int)LINEAGE_ADJ_BLOCK, LINEAGE_DEFAULT_MIN_SIZE);
  if( z==0 ){
    sqlite3_result_error_nomem(ctx);
    return;
  }
  sqlite3_result_text(ctx, z, -1, sqlite3_free);
}
