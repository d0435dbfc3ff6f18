// walk.js: the packed npm package loads into better-sqlite3 and walks.
//   node walk.js   (in a project with better-sqlite3 and the two tarballs)
// Prints "N passed, N failed"; exits 1 on a failure.
"use strict";
const assert = require("assert");
const Database = require("better-sqlite3");
const lineage = require("sqlite-lineage");

let passed = 0, failed = 0;
function check(name, got, want) {
  try { assert.deepStrictEqual(got, want); passed++; }
  catch (e) {
    failed++;
    console.log(`! ${name} expected: ${JSON.stringify(want)}`);
    console.log(`! ${name} got:      ${JSON.stringify(got)}`);
  }
}

const db = new Database(":memory:");
lineage.load(db);
check("path", /node_modules\/sqlite-lineage-[a-z0-9]+-[a-z0-9]+\/lineage\.(so|dylib|dll)$/
      .test(lineage.getLoadablePath()), true);
const one = (sql, ...args) => db.prepare(sql).pluck().get(...args);
db.transaction(() => {
  check("run", one("SELECT run_start(?, ?)", "prep", "preprocess"), "prep");
  check("raw", one("SELECT log_artifact(NULL, 'raw', 'raw_data')"), "raw:v0");
  check("use", one("SELECT use_artifact('prep', 'raw')"), "raw:v0");
  check("log", one("SELECT log_artifact('prep', 'mnist', 'dataset', ?)",
                   '[{"path":"train.csv","digest":"x"}]'), "mnist:v0");
})();
check("downstream", db.prepare("SELECT depth, ref FROM lineage_downstream(?)").all("raw:v0"),
      [{ depth: 0, ref: "raw:v0" }, { depth: 1, ref: "prep" }, { depth: 2, ref: "mnist:v0" }]);
check("upstream", db.prepare("SELECT ref FROM lineage_upstream('mnist:latest')").pluck().all(),
      ["mnist:v0", "prep", "raw:v0"]);
let err = "";
try { db.prepare("SELECT * FROM lineage_upstream('nope:v0')").all(); } catch (e) { err = e.message; }
check("error", err, "lineage: no artifact 'nope:v0'");
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
