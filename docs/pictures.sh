#!/bin/sh
# docs/pictures.sh: makes the images of docs/pictures.md again from the
# demo (sql/demo.sql): Graphviz's drawing of lineage_dot, and Chromium
# screenshots of lineage_html's page. Needs the build (build/lineage),
# the sqlite3 shell, Graphviz (dot) and Chromium.
#   sh docs/pictures.sh
set -e
cd "$(dirname "$0")/.."
OUT=docs/pictures
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
EXT=$(pwd)/build/lineage
# The demo's database, kept in a file this time.
(cd "$TMP" && sqlite3 demo.db -cmd ".load $EXT" < "$OLDPWD/sql/demo.sql" >/dev/null)
pic() { sqlite3 "$TMP/demo.db" -cmd ".load $EXT" "$1"; }
mkdir -p $OUT
pic "SELECT lineage_dot('mnist:clean')" | dot -Tpng -Gdpi=110 -o $OUT/demo-dot.png
shot() {   # shot SQL PNG: the page lineage_html makes, as Chromium draws it
  pic "$1" > "$TMP/page.html"
  chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --screenshot="$TMP/shot.png" --window-size=1400,700 "file://$TMP/page.html" 2>/dev/null
  mv "$TMP/shot.png" "$2"
}
shot "SELECT lineage_html('mnist:clean')" $OUT/demo-page.png
shot "SELECT lineage_html('mnist:clean', 'both', NULL, '{\"expand\":[1]}')" $OUT/demo-page-expanded.png
echo "wrote $OUT/demo-dot.png $OUT/demo-page.png $OUT/demo-page-expanded.png"
