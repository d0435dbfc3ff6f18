#!/bin/sh
# load_shell.sh: the extension loads in the sqlite3 shell (.load) and works.
#   sh tests/load_shell.sh /usr/bin/sqlite3
# LINEAGE_EXT names the extension (default build/lineage beside tests/).
# Prints "N passed, N failed"; exits non-zero on a mismatch.
SHELL_BIN=${1:-sqlite3}
HERE=$(cd "$(dirname "$0")" && pwd)
EXT=${LINEAGE_EXT:-$HERE/../build/lineage}
TMP=${LINEAGE_TMP:-$HERE/../build/testdb}
mkdir -p "$TMP"
DB="$TMP/load_shell-test.db"
rm -f "$DB" "$DB-journal" "$DB-wal"
pass=0
fail=0

# check NAME SQL EXPECTED: run SQL in the shell (list mode) and compare.
check() {
  got=$(printf '.load %s\n%s\n' "$EXT" "$2" | "$SHELL_BIN" -batch "$DB" 2>&1)
  if [ "$got" = "$3" ]; then
    pass=$((pass+1))
  else
    fail=$((fail+1))
    echo "! $1 expected:"; echo "$3"
    echo "! $1 got:"; echo "$got"
  fi
}

check shell-1 "SELECT run_start('vision/prep', 'preprocess');
SELECT log_artifact('vision/prep', 'mnist', 'dataset', '[{\"path\":\"a\",\"digest\":\"x\",\"size\":1}]');
SELECT run_finish('vision/prep');
SELECT run_start('vision/train', 'train');
SELECT use_artifact('vision/train', 'mnist:latest');
SELECT log_artifact('vision/train', 'model', 'model');" \
'vision/prep
mnist:v0
vision/prep
vision/train
mnist:v0
model:v0'

check shell-2 ".mode list
.headers on
SELECT node_id, kind, ref, type, state, depth, parent_id FROM lineage_upstream('model:v0');" \
'node_id|kind|ref|type|state|depth|parent_id
4|artifact|model:v0|model|committed|0|
3|run|train|train|running|1|4
2|artifact|mnist:v0|dataset|committed|2|3
1|run|prep|preprocess|finished|3|2'

check shell-3 "SELECT ref || ' ' || depth FROM lineage_downstream('vision/prep');" \
'prep 0
mnist:v0 1
train 2
model:v0 3'

check shell-4 "SELECT ref, level, cluster FROM lineage_clusters('mnist:v0');" \
'prep|-1|
mnist:v0|0|
train|1|
model:v0|2|'

# The shell's own prefix ("Runtime error near line 2: ", "Error: ...")
# varies between versions: only the message is compared.
got=$(printf '.load %s\nSELECT * FROM lineage_upstream(%s);\n' "$EXT" "'nope:v0'" \
      | "$SHELL_BIN" -batch "$DB" 2>&1)
case "$got" in
  *"lineage: no artifact 'nope:v0'") pass=$((pass+1)) ;;
  *) fail=$((fail+1)); echo "! shell-5 got: $got" ;;
esac

rm -f "$DB" "$DB-journal" "$DB-wal"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
