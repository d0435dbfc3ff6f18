#!/bin/sh
# pack.sh: the npm packages of sqlite-lineage, as tarballs in OUT_DIR.
#   sh npm/pack.sh BUILD_DIR OUT_DIR
# sqlite-lineage-<version>.tgz: the main package (npm/sqlite-lineage), which
# finds the library; sqlite-lineage-<os>-<cpu>-<version>.tgz: this platform's
# package, holding BUILD_DIR's lineage.so (.dylib, .dll). The version is the
# VERSION file's.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$1" && pwd)
mkdir -p "$2"
out=$(cd "$2" && pwd)
version=$(head -n 1 "$root/VERSION")
os=$(node -p process.platform)
cpu=$(node -p process.arch)
lib=$(ls "$build"/lineage.so "$build"/lineage.dylib "$build"/lineage.dll 2>/dev/null | head -n 1)
if [ -z "$lib" ]; then echo "pack.sh: no lineage library in $build" >&2; exit 1; fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp -r "$root/npm/sqlite-lineage" "$stage/main"
node -e '
  const fs = require("fs"), f = process.argv[1];
  const p = JSON.parse(fs.readFileSync(f)); p.version = process.argv[2];
  fs.writeFileSync(f, JSON.stringify(p, null, 2) + "\n");' "$stage/main/package.json" "$version"

name="sqlite-lineage-$os-$cpu"
mkdir "$stage/platform"
cp "$lib" "$stage/platform/"
cat > "$stage/platform/package.json" <<JSON
{
  "name": "$name",
  "version": "$version",
  "description": "sqlite-lineage's SQLite extension built for $os-$cpu (used by the sqlite-lineage package)",
  "files": ["$(basename "$lib")"],
  "os": ["$os"],
  "cpu": ["$cpu"],
  "license": "MIT"
}
JSON
(cd "$stage/main" && npm pack --silent --pack-destination "$out" >/dev/null)
(cd "$stage/platform" && npm pack --silent --pack-destination "$out" >/dev/null)
ls "$2/sqlite-lineage-$version.tgz" "$2/$name-$version.tgz"
