"""python_package.py: the Python package (python/) works.

    python tests/python_package.py            # the installed package
    python tests/python_package.py --source   # python/ as it is in the tree

Installed (CI: pip install into a venv), load() gives a connection the
extension, and a pipeline and a walk give the expected rows. From the
source tree, where no library is built, the module still imports and load()
says what is missing. Prints "N passed, N failed"; exits 1 on a failure.
"""
import os
import sqlite3
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SOURCE = "--source" in sys.argv
if SOURCE:
    sys.path.insert(0, os.path.join(ROOT, "python"))
else:
    # The installed package, not the tree's python/ folder.
    sys.path = [p for p in sys.path if os.path.abspath(p or ".") != os.path.join(ROOT, "python")]

import sqlite_lineage  # noqa: E402

from pycheck import check, finish  # noqa: E402

pkg_dir = os.path.dirname(os.path.abspath(sqlite_lineage.__file__))
check("pkg-path", sqlite_lineage.loadable_path(), os.path.join(pkg_dir, "lineage"))
check("pkg-from", pkg_dir == os.path.join(ROOT, "python", "sqlite_lineage"), SOURCE)
con = sqlite3.connect(":memory:")
if SOURCE:
    try:
        sqlite_lineage.load(con)
        check("pkg-unbuilt", "loaded", "FileNotFoundError")
    except FileNotFoundError as e:
        check("pkg-unbuilt", "the extension library is not in this package" in str(e), True)
else:
    with open(os.path.join(ROOT, "VERSION")) as f:
        version = f.readline().strip()
    check("pkg-lib", os.path.exists(sqlite_lineage.loadable_path() + ".so"), True)
    sqlite_lineage.load(con)
    check("pkg-version", con.execute("SELECT lineage_version()").fetchone()[0], version)
    # Extension loading is off again after load().
    try:
        con.execute("SELECT load_extension('nope')")
        check("pkg-load-off", "allowed", "not authorized")
    except sqlite3.OperationalError as e:
        check("pkg-load-off", str(e), "not authorized")
    # A pipeline in one transaction, then walks.
    con.isolation_level = None
    con.execute("BEGIN")
    for sql, want in [
            ("SELECT run_start('prep', 'preprocess')", "prep"),
            ("SELECT log_artifact(NULL, 'raw', 'raw_data')", "raw:v0"),
            ("SELECT use_artifact('prep', 'raw:latest')", "raw:v0"),
            ("SELECT log_artifact('prep', 'mnist', 'dataset', "
             "'[{\"path\":\"train.csv\",\"digest\":\"x\"}]')", "mnist:v0"),
            ("SELECT run_finish('prep')", "prep"),
            ("SELECT run_start('train', 'train')", "train"),
            ("SELECT use_artifact('train', 'mnist')", "mnist:v0"),
            ("SELECT log_artifact('train', 'cnn', 'model', NULL, '[\"best\"]')", "cnn:v0")]:
        check(sql, con.execute(sql).fetchone()[0], want)
    con.execute("COMMIT")
    check("pkg-upstream", con.execute(
        "SELECT depth, kind, ref FROM lineage_upstream('cnn:best')").fetchall(),
        [(0, "artifact", "cnn:v0"), (1, "run", "train"), (2, "artifact", "mnist:v0"),
         (3, "run", "prep"), (4, "artifact", "raw:v0")])
    # All or nothing, as docs/install.md shows: a failing call, then ROLLBACK,
    # leaves no trace of the calls before it.
    con.execute("BEGIN")
    con.execute("SELECT run_start('eval', 'eval')")
    try:
        con.execute("SELECT use_artifact('eval', 'cnn:v9')")
        check("pkg-tx-error", "no error", "OperationalError")
    except sqlite3.OperationalError as e:
        check("pkg-tx-error", str(e).startswith("lineage: ") and "cnn:v9" in str(e), True)
        con.execute("ROLLBACK")
    check("pkg-tx-rolled-back", con.execute(
        "SELECT count(*) FROM lineage_runs WHERE run_id = 'eval'").fetchone()[0], 0)
    check("pkg-downstream", con.execute(
        "SELECT ref FROM lineage_downstream('raw:v0', 2)").fetchall(),
        [("raw:v0",), ("prep",), ("mnist:v0",)])
con.close()
finish()
