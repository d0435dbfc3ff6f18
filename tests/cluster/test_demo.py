"""test_demo.py: sql/demo.sql through the cluster with lineage-cli prints
what the sqlite3 shell prints on a local database and stores the same rows;
afterwards every node, made leader in turn, holds the same database: the
same pages (dqlite's DUMP: the database file and every WAL frame's page)
and the same rows and walks."""

import os
import shutil
import struct
import sqlite3
import subprocess
import tempfile
import time

from harness import SOURCE, Cluster, check, finish

EXT = os.environ.get("LINEAGE_EXT", os.path.join(SOURCE, "build", "lineage"))
CLI = os.path.join(SOURCE, "python", "lineage-cli")
DEMO = os.path.join(SOURCE, "sql", "demo.sql")


def files_rows(files):
    """The rows of a DUMP (database file and WAL), read with Python's sqlite3."""
    d = tempfile.mkdtemp()
    try:
        for name, data in files.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
        db = sqlite3.connect(os.path.join(d, "lineage"))
        text = "\n".join(db.iterdump())
        db.close()
        return text
    finally:
        shutil.rmtree(d)


def wal_pages(wal):
    """The frames of a WAL as (page number, database size at commit, page).
    The salts and checksums are left out: each node's WAL has its own."""
    page_size, = struct.unpack(">I", wal[8:12])
    frames, i = [], 32
    while i + 24 + page_size <= len(wal):
        pgno, commit = struct.unpack(">II", wal[i:i + 8])
        frames.append((pgno, commit, wal[i + 24:i + 24 + page_size]))
        i += 24 + page_size
    return frames


def pages(files):
    return files["lineage"], wal_pages(files["lineage-wal"])


def local_tables(path):
    """The lineage tables of a local database, as Cluster.dump_tables gives
    them, edges without created_at (the time of the call)."""
    db = sqlite3.connect(path)
    out = [db.execute("SELECT type, name, sql FROM sqlite_schema ORDER BY name").fetchall()]
    for table, order in (("lineage_meta", "key"), ("lineage_node", "node_id"),
                         ("lineage_run", "node_id"), ("lineage_version", "node_id"),
                         ("lineage_alias", "project, name, alias"),
                         ("lineage_file", "node_id, path"), ("lineage_edge", "src, dst")):
        out.append(db.execute("SELECT * FROM main.%s ORDER BY %s" % (table, order)).fetchall())
    db.close()
    return out


def without_edge_times(tables):
    return tables[:-1] + [[(s, d) for s, d, _t in tables[-1]]]


shell = shutil.which("sqlite3")
with open(DEMO, "rb") as f:
    demo = f.read()
# The demo ends by writing its pictures (.once) into the current folder:
# the shell's and the cluster's go to folders of their own, and must match.
shell_dir, cluster_dir = tempfile.mkdtemp(), tempfile.mkdtemp()
if shell:
    ref = subprocess.run([shell, ":memory:", "-cmd", ".load " + EXT], input=demo,
                         capture_output=True, timeout=60, cwd=shell_dir)
    check("shell-status", (ref.returncode, ref.stderr), (0, b""))
    expected = ref.stdout
    local = os.path.join(tempfile.mkdtemp(), "demo.db")
    subprocess.run([shell, local, "-cmd", ".load " + EXT], input=demo,
                   capture_output=True, timeout=60, check=True, cwd=os.path.dirname(local))
    expected_tables = local_tables(local)
    shutil.rmtree(os.path.dirname(local))
else:
    print("no sqlite3 shell: comparing with the recorded line count only")
    expected = expected_tables = None

with Cluster("demo", 3) as cl:
    t0 = time.monotonic()
    r = subprocess.run([CLI, "--cluster", ",".join(cl.addresses())], input=demo,
                       capture_output=True, timeout=120, cwd=cluster_dir)
    print("sql/demo.sql through the cluster in %.1f s" % (time.monotonic() - t0))
    check("cli-status", (r.returncode, r.stderr), (0, b""))
    if expected is not None:
        check("demo-output-equals-shell", r.stdout.decode(), expected.decode())
    check("demo-output-lines", len(r.stdout.splitlines()) > 150, True)
    # The pictures drawn on the leader are the shell's, byte for byte.
    for name in ("lineage.html", "lineage.svg"):
        path = os.path.join(cluster_dir, name)
        got = open(path, "rb").read() if os.path.exists(path) else b""
        check("picture-" + name + "-written", len(got) > 1000, True)
        if shell:
            with open(os.path.join(shell_dir, name), "rb") as f:
                check("picture-" + name + "-equals-shell", got == f.read(), True)
    if expected_tables is not None:
        c = cl.client()
        check("rows-equal-shell", without_edge_times(cl.dump_tables(c)) ==
              without_edge_times(expected_tables), True)
        c.close()

    # The SQL argument, several statements, ';' inside a JSON string.
    r = subprocess.run([CLI, "--cluster", cl.node(2).address,
                        "SELECT json_extract('{\"a\":\";\"}', '$.a'); SELECT 1, NULL, 2.5"],
                       capture_output=True, text=True, timeout=60)
    check("cli-argument", (r.returncode, r.stdout), (0, ";\n1||2.5\n"))
    r = subprocess.run([CLI, "--cluster", cl.node(3).address, "SELECT log_artifact("
                        "'nosuch', 'x', 'dataset')"], capture_output=True, text=True,
                       timeout=60)
    check("cli-error", (r.returncode, r.stdout, r.stderr),
          (1, "", "Error near line 1: lineage: no run 'nosuch'\n"))

    # Dot commands lineage-cli does not have: an error that lists those it
    # has; without .bail on the script goes on.
    r = subprocess.run([CLI, "--cluster", cl.node(1).address], input=".tables\nSELECT 5;\n",
                       capture_output=True, text=True, timeout=60)
    check("cli-dot-unknown", (r.returncode, r.stdout, r.stderr),
          (1, "5\n", "Error near line 1: lineage-cli understands .print, .mode list|box, "
           ".headers on|off, .once FILE|'|COMMAND', .bail on|off and .quit, not '.tables'\n"))

    # A script's own transaction: its writers join it; ROLLBACK undoes them.
    script = (".headers on\nBEGIN IMMEDIATE;\nSELECT run_start('cli-1') AS r;\n"
              "SELECT run_start('cli-2') AS r;\nROLLBACK;\n"
              "SELECT count(*) AS n FROM lineage_runs WHERE run_id LIKE 'cli-%';\n"
              "BEGIN;\nSELECT run_start('cli-3') AS r;\nCOMMIT;\n"
              "SELECT run_id FROM lineage_runs WHERE run_id LIKE 'cli-%';\n")
    r = subprocess.run([CLI, "--cluster", cl.node(1).address], input=script,
                       capture_output=True, text=True, timeout=60)
    check("cli-script-transaction", (r.returncode, r.stdout, r.stderr),
          (0, "r\ncli-1\nr\ncli-2\nn\n0\nr\ncli-3\nrun_id\ncli-3\n", ""))

    # Every node's copy, each made leader in turn.
    c = cl.client()
    walks = ("SELECT depth, ref FROM lineage_upstream('cnn:best') ORDER BY 1, 2",
             "SELECT depth, ref FROM lineage_downstream('mnist:clean') ORDER BY 1, 2",
             "SELECT level, ref, cluster FROM lineage_clusters('mnist:clean') ORDER BY 1, 2")
    copies = {}
    for node in cl.nodes:
        cl.make_leader(c, node)
        files = c.dump()
        copies[node.id] = (files, cl.dump_tables(c), [c.execute(w) for w in walks],
                           files_rows(files))
    first = copies[1]
    check("dump-has-database", sorted(first[0]), ["lineage", "lineage-wal"])
    check("frames", len(pages(first[0])[1]) > 0, True)
    for nid in (2, 3):
        check("pages-equal-node-%d" % nid, pages(copies[nid][0]) == pages(first[0]), True)
        check("rows-equal-node-%d" % nid, copies[nid][1], first[1])
        check("walks-equal-node-%d" % nid, copies[nid][2], first[2])
        check("dump-rows-equal-node-%d" % nid, copies[nid][3], first[3])
    check("dump-opens", "lineage_node" in first[3], True)
    c.close()
shutil.rmtree(shell_dir)
shutil.rmtree(cluster_dir)
finish()
