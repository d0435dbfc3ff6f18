#!/bin/sh
# install.sh: `cmake --install` gives a prefix users can build against.
#   sh tests/install.sh CMAKE BUILD_DIR CC PKG_CONFIG PREFIX EXTRA_CFLAGS [SQLITE3]
# Installs BUILD_DIR into PREFIX (emptied first), checks every file the docs
# promise is there, compiles tests/static_demo.c with
# `pkg-config --cflags --libs sqlite-lineage` alone, runs it (a walk), and,
# given a sqlite3 shell, walks with the installed loadable extension found
# through `pkg-config --variable=extension`.
set -eu
cmake=$1; build=$2; cc=$3; pkgconfig=$4; prefix=$5; extra=$6; shell=${7:-}
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$prefix"
"$cmake" --install "$build" --prefix "$prefix" >/dev/null
fail=0
for f in include/sqlite-lineage.h lib/libsqlite-lineage.a lib/pkgconfig/sqlite-lineage.pc \
         share/doc/sqlite-lineage/README.md share/doc/sqlite-lineage/docs/install.md; do
  if [ ! -f "$prefix/$f" ]; then echo "! not installed: $f"; fail=1; fi
done
ext=$(ls "$prefix"/lib/sqlite-lineage/lineage.* 2>/dev/null || true)
if [ -z "$ext" ]; then echo "! not installed: lib/sqlite-lineage/lineage.so"; fail=1; fi
[ "$fail" -eq 0 ] || exit 1

export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
flags=$("$pkgconfig" --cflags --libs sqlite-lineage)
echo "pkg-config --cflags --libs sqlite-lineage: $flags"
# shellcheck disable=SC2086  # the flags are words
"$cc" $extra "$here/static_demo.c" -o "$prefix/static_demo" $flags
got=$("$prefix/static_demo")
want="mnist:v0|0
prep|1
raw:v0|2"
if [ "$got" != "$want" ]; then
  echo "! static_demo printed:"; echo "$got"; echo "! expected:"; echo "$want"
  exit 1
fi
echo "static_demo built against $prefix: ok"

if [ -n "$shell" ] && [ -z "$extra" ]; then
  path=$("$pkgconfig" --variable=extension sqlite-lineage)
  got=$("$shell" :memory: -cmd ".load $path" \
        "SELECT run_start('prep'); SELECT log_artifact('prep', 'm', 'model');" \
        "SELECT ref || ' ' || depth FROM lineage_upstream('m:v0');" 2>&1)
  want="prep
m:v0
m:v0 0
prep 1"
  if [ "$got" != "$want" ]; then
    echo "! the installed $path printed:"; echo "$got"; echo "! expected:"; echo "$want"
    exit 1
  fi
  echo "$path loads and walks: ok"
fi
