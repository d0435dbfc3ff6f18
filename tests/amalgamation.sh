#!/bin/sh
# amalgamation.sh: the one-file source builds with nothing else and works.
#   sh tests/amalgamation.sh CC AMALGAMATION_DIR SCRATCH_DIR [LAUNCH...] TCLSH
# Compiles AMALGAMATION_DIR/sqlite-lineage.c with `CC -O2 -fPIC -shared`
# (no include path, no definition) in an empty folder, then runs
# tests/smoke.test and tests/pipeline.test against the library it made.
# Exits non-zero when the compile fails or a test does.
set -eu
cc=$1; src=$2; scratch=$3; shift 3
here=$(cd "$(dirname "$0")" && pwd)
dir="$scratch/amalgamation"
rm -rf "$dir"
mkdir -p "$dir"
cp "$src/sqlite-lineage.c" "$src/sqlite-lineage.h" "$dir/"
cd "$dir"
"$cc" -O2 -fPIC -shared sqlite-lineage.c -o lineage.so
echo "built $dir/lineage.so from sqlite-lineage.c alone"
export LINEAGE_EXT="$dir/lineage"
export LINEAGE_TMP="$dir/testdb"
"$@" "$here/smoke.test"
"$@" "$here/pipeline.test"
