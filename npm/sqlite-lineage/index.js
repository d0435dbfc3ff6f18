// sqlite-lineage for Node: the path of this platform's built extension, and
// load(db) for better-sqlite3 (or any driver with loadExtension(path)).
//
//   const Database = require("better-sqlite3");
//   const lineage = require("sqlite-lineage");
//   const db = new Database("lineage.db");
//   lineage.load(db);
//
// As sqlite-vec's packages: the library itself is in a package per platform,
// sqlite-lineage-<os>-<cpu> (e.g. sqlite-lineage-linux-x64), installed beside
// this one; this package finds it.
"use strict";
const fs = require("fs");
const path = require("path");

const SUFFIX = { darwin: "dylib", win32: "dll" }[process.platform] || "so";

function platformPackage() {
  return `sqlite-lineage-${process.platform}-${process.arch}`;
}

// The extension library's full path, e.g. .../sqlite-lineage-linux-x64/lineage.so.
function getLoadablePath() {
  const pkg = platformPackage();
  let dir;
  try {
    dir = path.dirname(require.resolve(`${pkg}/package.json`));
  } catch (e) {
    throw new Error(`sqlite-lineage: no library for ${process.platform}-${process.arch}: ` +
                    `install the package ${pkg} beside sqlite-lineage`);
  }
  const file = path.join(dir, `lineage.${SUFFIX}`);
  if (!fs.existsSync(file)) {
    throw new Error(`sqlite-lineage: ${pkg} has no lineage.${SUFFIX} (${file})`);
  }
  return file;
}

// Load the extension into db (better-sqlite3's Database: db.loadExtension).
function load(db) {
  db.loadExtension(getLoadablePath());
}

module.exports = { getLoadablePath, load, platformPackage };
