#!/bin/sh
# bench/hash.sh [MiB] [sqlite3 shell]: hashing a local_path, against md5sum.
# Writes a file of random bytes (default 1024 MiB) in $TMPDIR, then times
# md5sum on it and log_artifact with it as a local_path (build/lineage.so,
# built here), each twice after a read that puts the file in the page
# cache, and prints the seconds and the ratio. The digests must agree.
set -e
cd "$(dirname "$0")/.."
MIB=${1:-1024}
SHELL3=${2:-sqlite3}
cmake -S . -B build >/dev/null
cmake --build build --target lineage >/dev/null
F=${TMPDIR:-/tmp}/lineage-hash-bench.bin
head -c $((MIB * 1048576)) /dev/urandom > "$F"
cat "$F" > /dev/null
now() { date +%s.%N; }
for i in 1 2; do
  t0=$(now); sum=$(md5sum "$F" | cut -d' ' -f1); t1=$(now)
  b64=$("$SHELL3" :memory: ".load build/lineage" \
    "SELECT log_artifact(NULL, 'big', 'file', json_array(json_object('path', 'f', 'local_path', '$F')));" \
    "SELECT digest FROM lineage_files;" | tail -1); t2=$(now)
  hex=$(printf '%s' "$b64" | base64 -d | od -An -tx1 | tr -d ' \n')
  [ "$hex" = "$sum" ] || { echo "digests differ: $hex $sum"; exit 1; }
  echo "$MIB MiB: md5sum $(echo "$t1 - $t0" | bc) s, log_artifact $(echo "$t2 - $t1" | bc) s, ratio $(echo "scale=2; ($t2 - $t1) / ($t1 - $t0)" | bc)"
done
rm -f "$F"
