"""test_cli.py: lineage-cli's parts against independent references, no
cluster needed: statement splitting against SQLite's sqlite3_complete()
on random scripts, values as text against SQLite's own CAST(x AS TEXT), and
list and box output against the sqlite3 shell on random tables."""

import os
import random
import shutil
import sqlite3
import subprocess
import sys

from harness import SOURCE, TMP, check, finish

sys.path.insert(0, os.path.join(SOURCE, "python"))
from sqlite_lineage.cli import print_box, print_list, split_statements, sqlite_text  # noqa: E402

rng = random.Random(12)
# Random scripts and tables: enough to meet every kind of token many times.
N_SCRIPTS = 300
N_FLOATS = 2000
N_TABLES = 40

# ---- splitting: pieces a script is made of, each with ';' in awkward places --
PIECES = ["SELECT 1", "SELECT 'a;b'", "SELECT \"x;y\" FROM t", "SELECT [a;b]",
          "SELECT `q;`", "SELECT 'it''s; ok'", "SELECT json('{\"k\":\";\"}')",
          "SELECT 2 -- a comment; with a semicolon\n", "SELECT /* ; */ 3",
          "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; SELECT 2; END",
          "SELECT log_artifact('r', 'a', 't', '[{\"path\":\"a;b\",\"digest\":\"x\"}]')"]
for n in range(N_SCRIPTS):
    stmts = [rng.choice(PIECES) for _ in range(rng.randint(1, 5))]
    script = "".join(s + ";" + rng.choice(["", " ", "\n", "\n\n-- note\n"]) for s in stmts)
    got = [s for s, _line, _end in split_statements(script)]
    # The reference: every statement is complete by SQLite's rule, and
    # none of them splits into complete parts earlier than where it ends.
    ok = "".join(got).replace(" ", "") in script.replace(" ", "") and len(got) == len(stmts)
    ok = ok and all(sqlite3.complete_statement(s) for s in got)
    if not ok:
        check("split-%d" % n, got, stmts)
        break
else:
    check("split-random-scripts", N_SCRIPTS, N_SCRIPTS)
check("split-lines", [(s.strip(), line) for s, line, _e in
                      split_statements("SELECT 1;\n\nSELECT\n 2;\nSELECT 3;")],
      [("SELECT 1;", 1), ("SELECT\n 2;", 3), ("SELECT 3;", 5)])
check("split-unfinished", [s for s, _l, _e in split_statements("SELECT 1; SELECT 'x;")],
      ["SELECT 1;"])

# ---- values as text: SQLite's own conversion ------------------------------------
db = sqlite3.connect(":memory:")
bad = []
for _ in range(N_FLOATS):
    kind = rng.randrange(4)
    if kind == 0:
        v = rng.uniform(-1e6, 1e6)
    elif kind == 1:
        v = float(rng.randint(-10**6, 10**6))
    elif kind == 2:
        v = rng.uniform(-1, 1) * 10 ** rng.randint(-300, 300)
    else:
        v = round(rng.uniform(0, 5000), rng.randint(0, 3))
    want = db.execute("SELECT CAST(? AS TEXT)", (v,)).fetchone()[0]
    if sqlite_text(v) != want:
        bad.append((v, sqlite_text(v), want))
check("float-text", bad[:5], [])
check("other-text", [sqlite_text(x) for x in (None, 7, -3, "é|x", b"ab")],
      ["", "7", "-3", "é|x", "ab"])

# ---- the client's own errors, before any node is asked ----------------------
from sqlite_lineage import cluster  # noqa: E402


def error_of(f):
    try:
        f()
        return None
    except cluster.Error as e:
        return "%s: %s" % (type(e).__name__, e)


check("no-address", error_of(lambda: cluster.connect([])),
      "Error: lineage cluster: no node address given")
check("bad-address", error_of(lambda: cluster.connect(["localhost"])),
      "Error: lineage cluster: an address is HOST:PORT, not 'localhost'")
port = __import__("harness").free_port()
check("no-leader", error_of(lambda: cluster.connect(["127.0.0.1:%d" % port], timeout=0.3)),
      "NoLeader: lineage cluster: no leader within 0.3 s (cannot connect to 127.0.0.1:%d: "
      "[Errno 111] Connection refused)" % port)
check("param-type", error_of(lambda: cluster._params((1, [2]))),
      "Error: lineage cluster: parameter 2 has type list; use None, int, float, str or bytes")
check("param-count", error_of(lambda: cluster._params(range(256))),
      "Error: lineage cluster: a statement takes at most 255 parameters, not 256")

# ---- list and box output against the shell ------------------------------------------
shell = shutil.which("sqlite3")
if shell:
    import io
    words = ["", "a", "bé", "mnist:v0", "[\"latest\",\"best\"]", "a b c", "x" * 30]
    bad = []
    for n in range(N_TABLES):
        ncol = rng.randint(1, 5)
        names = ["c%d%s" % (k, "x" * rng.randint(0, 12)) for k in range(ncol)]
        rows = []
        for _ in range(rng.randint(0, 6)):
            row = []
            for _k in range(ncol):
                t = rng.randrange(4)
                row.append(None if t == 0 else rng.randint(-10**9, 10**9) if t == 1
                           else round(rng.uniform(-100, 100), rng.randint(0, 4)) if t == 2
                           else rng.choice(words))
            rows.append(tuple(row))
        path = os.path.join(TMP, "cli-box.db")
        if os.path.exists(path):
            os.remove(path)
        t = sqlite3.connect(path)
        t.execute("CREATE TABLE t(%s)" % ", ".join(names))
        t.executemany("INSERT INTO t VALUES (%s)" % ",".join("?" * ncol), rows)
        t.commit()
        t.close()
        for mode in ("box", "list"):
            want = subprocess.run([shell, path, "-cmd", ".mode " + mode,
                                   "SELECT * FROM t ORDER BY rowid"],
                                  capture_output=True, text=True, timeout=30).stdout
            out = io.StringIO()
            if mode == "box":
                print_box(out, names, rows)
            else:
                print_list(out, names, rows, False)
            if out.getvalue() != want:
                bad.append((mode, n, out.getvalue(), want))
    check("output-equals-shell", bad[:2], [])
else:
    print("no sqlite3 shell: output not compared")
finish()
