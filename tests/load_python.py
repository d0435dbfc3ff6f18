"""load_python.py: the extension loads in Python's sqlite3 module and works.

    LINEAGE_EXT=build/lineage /usr/bin/python3 tests/load_python.py

Prints "N passed, N failed"; exits 1 on a failure.
"""
import os
import sqlite3

HERE = os.path.dirname(os.path.abspath(__file__))
EXT = os.environ.get("LINEAGE_EXT", os.path.join(HERE, "..", "build", "lineage"))
TMP = os.environ.get("LINEAGE_TMP", os.path.join(HERE, "..", "build", "testdb"))
os.makedirs(TMP, exist_ok=True)

from pycheck import check, finish  # noqa: E402

path = os.path.join(TMP, "load_python-test.db")
for suffix in ("", "-journal", "-wal", "-shm"):
    if os.path.exists(path + suffix):
        os.remove(path + suffix)
db = sqlite3.connect(path)
db.enable_load_extension(True)
db.load_extension(EXT)
db.enable_load_extension(False)


def one(sql, *args):
    return db.execute(sql, args).fetchone()[0]


check("py-1", one("SELECT run_start('vision/prep', 'preprocess')"), "vision/prep")
check("py-2", one("SELECT log_artifact('vision/prep', 'mnist', 'dataset', ?)",
                  '[{"path":"a","digest":"x","size":1}]'), "mnist:v0")
check("py-3", one("SELECT run_finish('vision/prep')"), "vision/prep")
check("py-4", one("SELECT run_start('vision/train', 'train')"), "vision/train")
check("py-5", one("SELECT use_artifact('vision/train', 'mnist:latest')"), "mnist:v0")
check("py-6", one("SELECT log_artifact('vision/train', 'model', 'model')"), "model:v0")
db.commit()

check("py-7", db.execute(
    "SELECT node_id, kind, ref, type, state, depth, parent_id "
    "FROM lineage_upstream('model:v0')").fetchall(),
    [(4, "artifact", "model:v0", "model", "committed", 0, None),
     (3, "run", "train", "train", "running", 1, 4),
     (2, "artifact", "mnist:v0", "dataset", "committed", 2, 3),
     (1, "run", "prep", "preprocess", "finished", 3, 2)])
# A parameter as the start: an int is a node_id, a str a reference.
check("py-8", db.execute(
    "SELECT ref, depth FROM lineage_downstream(?)", (1,)).fetchall(),
    [("prep", 0), ("mnist:v0", 1), ("train", 2), ("model:v0", 3)])
check("py-9", db.execute(
    "SELECT ref FROM lineage_downstream(?, ?)", ("mnist:v0", 1)).fetchall(),
    [("mnist:v0",), ("train",)])
check("py-10", db.execute(
    "SELECT ref, level, cluster FROM lineage_clusters('mnist:v0')").fetchall(),
    [("prep", -1, None), ("mnist:v0", 0, None), ("train", 1, None),
     ("model:v0", 2, None)])

# Errors come as sqlite3.OperationalError with a 'lineage: ' message.
for name, sql, part in [
        ("py-11", "SELECT * FROM lineage_upstream('nope:v0')", "nope"),
        ("py-12", "SELECT * FROM lineage_upstream", "start"),
        ("py-13", "SELECT * FROM lineage_downstream('mnist:v0', -1)", "max_depth"),
        ("py-14", "SELECT use_artifact('vision/train', 'mnist:v7')", "mnist:v7")]:
    try:
        db.execute(sql).fetchall()
        check(name, "no error", "OperationalError")
    except sqlite3.OperationalError as e:
        msg = str(e)
        check(name, msg.startswith("lineage: ") and part in msg, True)
        if not msg.startswith("lineage: "):
            print(f"  message: {msg}")

db.close()
for suffix in ("", "-journal", "-wal", "-shm"):
    if os.path.exists(path + suffix):
        os.remove(path + suffix)
finish()
