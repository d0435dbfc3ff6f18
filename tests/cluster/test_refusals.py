"""test_refusals.py: on a cluster, writers outside a transaction are refused
on both of dqlite's request paths (query and exec) with replicated mode's
message, nothing is written and every node stays up; local_path is refused;
errors keep their real message; and a log_artifact whose acknowledgement
was lost is retried safely (the same version comes back)."""

import struct
import time

from harness import Cluster, check, cluster, finish, write
from sqlite_lineage.cluster import _EXEC_SQL, _text

F = '[{"path":"a.csv","digest":"%s","size":1}]'


def refusal(fn):
    return ("lineage: %s must run inside an explicit transaction in replicated "
            "mode: BEGIN IMMEDIATE; SELECT %s(...); COMMIT" % (fn, fn))


def error_of(f):
    try:
        f()
        return None
    except cluster.SQLError as e:
        return e.message


with Cluster("refusals", 3) as cl:
    c = cl.client()
    check("setup", [write(c, "SELECT run_start('r1')"),
                    write(c, "SELECT log_artifact('r1', 'ds', 'dataset', ?)", (F % "A",))],
          ["r1", "ds:v0"])
    before = cl.dump_tables(c)
    calls = (("run_start", "SELECT run_start('r2')"),
             ("run_finish", "SELECT run_finish('r1')"),
             ("use_artifact", "SELECT use_artifact('r1', 'ds:v0')"),
             ("log_artifact", "SELECT log_artifact('r1', 'ds', 'dataset', '%s')" % (F % "B")),
             ("artifact_alias", "SELECT artifact_alias('ds:v0', 'best')"),
             ("artifact_unalias", "SELECT artifact_unalias('ds:v0', 'best')"),
             ("artifact_delete", "SELECT artifact_delete('ds:v0')"))
    for fn, sql in calls:
        # The query path (where dqlite would have acknowledged it unreplicated).
        check("query-path-" + fn, error_of(lambda: c.execute(sql)), refusal(fn))
        # The exec path.
        check("exec-path-" + fn, error_of(lambda: c._exec(sql, ())), refusal(fn))
    check("nothing-written", cl.dump_tables(c), before)
    check("nodes-up", [n.running() for n in cl.nodes], [True, True, True])
    check("still-serving", c.execute("SELECT count(*) FROM lineage_versions"), [(1,)])

    # local_path would read the leader's disk.
    def log_local():
        with c.transaction():
            c.execute("SELECT log_artifact('r1', 'ds', 'dataset', ?)",
                      ('[{"path":"x","local_path":"/etc/hostname"}]',))
    check("local-path", error_of(log_local), "lineage: files[0] 'x': local_path is not "
          "read in replicated mode (it would read this node's disk); give its digest")
    # A failed writer rolls its transaction back, and the next one works.
    check("after-error", write(c, "SELECT artifact_alias('ds:v0', 'best')"), "ds:v0")
    # Errors keep their message on the query path, inside a transaction too.
    def bad_in_txn():
        with c.transaction():
            c.execute("SELECT use_artifact('r1', 'nosuch:v0')")
    check("error-in-txn", error_of(bad_in_txn),
          "lineage: no artifact 'nosuch' in project 'uncategorized'")
    check("sqlite-error", error_of(lambda: c.execute("SELECT json('{x')")), "malformed JSON")
    check("walk-error", error_of(lambda: c.execute("SELECT * FROM lineage_upstream('zz:v9')")),
          "lineage: no artifact 'zz:v9'")
    check("params", c.execute("SELECT ?, ?, ?, ?, ?", (None, 7, 2.5, "it's", b"\x00\xff")),
          [(None, 7, 2.5, "it's", b"\x00\xff")])

    # One transaction at a time on a client.
    def nested():
        with c.transaction():
            with c.transaction():
                pass
    try:
        nested()
        check("nested-transaction", "no error", "an error")
    except cluster.Error as e:
        check("nested-transaction", str(e), "lineage cluster: a transaction is already open")
    check("after-nested", c.execute("SELECT count(*) FROM lineage_runs"), [(1,)])

    # A result set the server sends in several parts, and large values.
    rows = c.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                     "WHERE i < 100000) SELECT i, 'x' || i, i * 0.5, NULL FROM n")
    check("many-rows", (len(rows), rows[-1],
                        [r for k, r in enumerate(rows) if r != (k + 1, "x%d" % (k + 1),
                                                                (k + 1) * 0.5, None)][:3]),
          (100000, (100000, "x100000", 50000.0, None), []))
    check("large-values", c.execute("SELECT length(?), length(?), ?", ("y" * 3000000,
                                    b"z" * 2000001, "é" * 7)), [(3000000, 2000001, "é" * 7)])

    # ---- a lost acknowledgement ------------------------------------------------
    # r1's COMMIT reaches the leader but its answer never reaches r1: the
    # socket is closed right after the request is sent.
    lost = cl.client()
    lost._begin(time.monotonic() + 30)
    lost._txn = []
    check("lost-logged", lost.execute("SELECT log_artifact('r1', 'ds', 'dataset', ?)",
                                      (F % "LOST",)), [("ds:v1",)])
    body = struct.pack("<Q", lost.db_id) + _text("COMMIT")
    lost.conn.sock.sendall(struct.pack("<IBBH", len(body) // 8, _EXEC_SQL, 0, 0) + body)
    lost.conn.sock.close()
    deadline = time.monotonic() + 10
    while not c.execute("SELECT 1 FROM lineage_versions WHERE ref='ds:v1'"):
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    check("lost-commit-happened", c.execute("SELECT ref FROM lineage_versions "
                                            "WHERE ref='ds:v1'"), [("ds:v1",)])
    # Meanwhile another run logs a newer version.
    write(c, "SELECT run_start('r2')")
    check("other-run", write(c, "SELECT log_artifact('r2', 'ds', 'dataset', ?)",
                             (F % "OTHER",)), "ds:v2")
    # r1 retries: the version it logged comes back, nothing new is made.
    check("retry-same-version", write(c, "SELECT log_artifact('r1', 'ds', 'dataset', ?)",
                                      (F % "LOST",)), "ds:v1")
    check("retry-no-duplicate", c.execute(
        "SELECT ref, aliases FROM lineage_versions WHERE name='ds' ORDER BY version"),
        [("ds:v0", '["best"]'), ("ds:v1", "[]"), ("ds:v2", '["latest"]')])
    check("nodes-up-at-end", [n.running() for n in cl.nodes], [True, True, True])
    c.close()
finish()
