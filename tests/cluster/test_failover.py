"""test_failover.py: three writer clients log versions of shared artifacts
and use them while the leader is killed with kill -9, KILL_CYCLES times;
each killed node is restarted and rejoins. Afterwards every acknowledged
call is present exactly once, every call whose commit outcome was unknown
is resolved by retrying it (a retry of log_artifact by the same run with
the same digest returns the version it made, if it was made), versions are
0..N-1 without gaps or duplicates, latest is on the newest, and the tables
and walks are the same on every node made leader in turn. The time from
the kill to a new leader is reported. No node but the killed one dies."""

import threading
import time

from harness import Cluster, check, cluster, finish, write

WRITERS = 3
ARTIFACTS = 3          # shared-0 .. shared-2, logged and used by every writer
KILL_CYCLES = 3
# Writes acknowledged between two kills (the load the kill falls into).
WRITES_PER_PHASE = 100
# Bounds: calls per writer, and the whole load.
MAX_CALLS = 2000
LOAD_TIMEOUT = 120.0


def files(digest):
    return '[{"path":"data.bin","digest":"%s","size":1}]' % digest


class Writer(threading.Thread):
    """Logs shared-(j % ARTIFACTS) with a digest of its own and uses the
    next artifact's latest, both in one transaction, until told to stop."""

    def __init__(self, cl, n, stop):
        super().__init__(daemon=True)
        self.run_id = "writer-%d" % n
        self.c = cl.client()
        self.stop = stop
        self.acked = []       # (artifact, digest, ref, used ref)
        self.unknown = []     # (artifact, digest, used artifact)
        self.errors = []
        self.conflicts = 0
        self.lock = threading.Lock()

    def run(self):
        j = 0
        try:
            write(self.c, "SELECT run_start(?, 'train')", (self.run_id,))
        except cluster.Error as e:
            self.errors.append("run_start: %s" % e)
            return
        while not self.stop.is_set() and j < MAX_CALLS:
            art = "shared-%d" % (j % ARTIFACTS)
            used = "shared-%d" % ((j + 1) % ARTIFACTS)
            digest = "%s-%d" % (self.run_id, j)
            try:
                with self.c.transaction():
                    ref = self.c.execute("SELECT log_artifact(?, ?, 'dataset', ?)",
                                         (self.run_id, art, files(digest)))[0][0]
                    used_ref = self.c.execute("SELECT use_artifact(?, ?)",
                                              (self.run_id, used + ":latest"))[0][0]
                with self.lock:
                    self.acked.append((art, digest, ref, used_ref))
            except cluster.CommitUnknown:
                with self.lock:
                    self.unknown.append((art, digest, used))
            except cluster.TransactionConflict:
                self.conflicts += 1
                continue               # nothing was committed: the same call again
            except cluster.NoLeader as e:
                self.errors.append("no leader: %s" % e)
                return
            except cluster.Error as e:
                self.errors.append("%s: %s" % (type(e).__name__, e))
                return
            j += 1

    def n_acked(self):
        with self.lock:
            return len(self.acked)


def wait_new_leader(cl, dead):
    """Seconds from now until a live node names a live leader."""
    t0 = time.monotonic()
    live = [n for n in cl.nodes if n is not dead]
    while time.monotonic() - t0 < 30:
        for n in live:
            try:
                c = cluster.Client([n.address], timeout=0.5)
                lid = c.leader()[0]
                c.close()
                if lid != dead.id:
                    return time.monotonic() - t0
            except cluster.Error:
                pass
        time.sleep(0.01)
    return None


t_start = time.monotonic()
with Cluster("failover", 3) as cl:
    admin = cl.client()
    write(admin, "SELECT run_start('seed', 'ingest')")
    for k in range(ARTIFACTS):
        write(admin, "SELECT log_artifact('seed', ?, 'dataset', ?)",
              ("shared-%d" % k, files("seed-%d" % k)))
    stop = threading.Event()
    writers = [Writer(cl, n, stop) for n in range(WRITERS)]
    for w in writers:
        w.start()

    def total():
        return sum(w.n_acked() for w in writers)

    def wait_writes(n):
        deadline = time.monotonic() + LOAD_TIMEOUT
        while total() < n and time.monotonic() < deadline and \
                any(w.is_alive() for w in writers):
            time.sleep(0.05)

    elections, cascades = [], []
    for cycle in range(KILL_CYCLES):
        wait_writes(total() + WRITES_PER_PHASE)
        leader = cl.leader_node(admin)
        others = [n for n in cl.nodes if n is not leader]
        at_kill = total()
        leader.kill9()
        elapsed = wait_new_leader(cl, leader)
        elections.append(elapsed)
        # Writes go on without the killed node.
        wait_writes(at_kill + WRITES_PER_PHASE // 2)
        cascades.append([n.id for n in others if not n.running()])
        leader.start()
        cl.wait_members(3)
        print("cycle %d: killed leader %d after %d writes, new leader in %s s"
              % (cycle + 1, leader.id, at_kill,
                 "%.2f" % elapsed if elapsed is not None else "(none)"))
    wait_writes(total() + WRITES_PER_PHASE // 2)
    stop.set()
    for w in writers:
        w.join(60)
    load_s = time.monotonic() - t_start

    check("writers-finished", [w.is_alive() for w in writers], [False] * WRITERS)
    check("writer-errors", [e for w in writers for e in w.errors], [])
    check("no-cascading-deaths", cascades, [[]] * KILL_CYCLES)
    check("elected-every-time", [e is not None for e in elections], [True] * KILL_CYCLES)
    check("all-nodes-running", [n.running() for n in cl.nodes], [True, True, True])

    # Unknown outcomes, resolved by retrying the same calls.
    c = cl.client()
    resolved = []
    committed_before = 0
    for w in writers:
        for art, digest, used in w.unknown:
            committed_before += len(c.execute(
                "SELECT 1 FROM lineage_files WHERE digest = ?", (digest,)))
            with c.transaction():
                ref = c.execute("SELECT log_artifact(?, ?, 'dataset', ?)",
                                (w.run_id, art, files(digest)))[0][0]
                c.execute("SELECT use_artifact(?, ?)", (w.run_id, used + ":latest"))
            resolved.append((w.run_id, art, digest, ref))

    acked = [(w.run_id,) + a for w in writers for a in w.acked]
    # Every acknowledged version is there, under the reference returned.
    rows = dict(((name, digest), ref) for name, digest, ref in c.execute(
        "SELECT v.name, f.digest, v.ref FROM lineage_versions v "
        "JOIN lineage_files f ON f.node_id = v.node_id"))
    check("acked-present", [a for a in acked if rows.get((a[1], a[2])) != a[3]], [])
    check("unknown-resolved", [r for r in resolved if rows.get((r[1], r[2])) != r[3]], [])
    # Each digest once: no call made two versions.
    dup = c.execute("SELECT f.digest, count(*) FROM lineage_files f "
                    "GROUP BY f.digest HAVING count(*) > 1")
    check("no-duplicate-versions", dup, [])
    n_calls = len(acked) + len(resolved)
    check("versions-count", c.execute("SELECT count(*) FROM lineage_versions")[0][0],
          n_calls + ARTIFACTS)
    for k in range(ARTIFACTS):
        vs = [v for (v,) in c.execute("SELECT version FROM lineage_versions WHERE name=? "
                                      "ORDER BY version", ("shared-%d" % k,))]
        check("versions-0..N-1-shared-%d" % k, vs, list(range(len(vs))))
        check("latest-on-newest-shared-%d" % k, c.execute(
            "SELECT version FROM lineage_versions WHERE name=? AND "
            "EXISTS (SELECT 1 FROM json_each(aliases) WHERE value='latest')",
            ("shared-%d" % k,)), [(len(vs) - 1,)])
    # Every acknowledged use is an edge.
    edges = set(c.execute("SELECT run_id, artifact_ref FROM lineage_edges "
                          "WHERE direction='input'"))
    check("acked-uses-present", [a for a in acked if (a[0], a[4]) not in edges], [])

    # The same tables and walks on every node, each made leader in turn.
    walks = ["SELECT depth, ref FROM lineage_downstream('seed') ORDER BY 1, 2"] + \
        ["SELECT depth, ref FROM lineage_upstream('shared-%d:latest') ORDER BY 1, 2" % k
         for k in range(ARTIFACTS)]
    views = {}
    for node in cl.nodes:
        cl.make_leader(c, node)
        views[node.id] = (cl.dump_tables(c), [c.execute(q) for q in walks])
    for nid in (2, 3):
        check("tables-equal-node-%d" % nid, views[nid][0] == views[1][0], True)
        check("walks-equal-node-%d" % nid, views[nid][1] == views[1][1], True)
    check("walk-reaches-every-version", len(views[1][1][0]) >= n_calls, True)
    c.close()
    admin.close()
    # A transaction the leader's death interrupts before COMMIT: replayed on
    # the new leader, unnoticed when its results are the same ... (the
    # killed node is restarted after each case: a node that comes back may
    # call an election, which would make the case's COMMIT an unknown one)
    def kill_leader():
        leader = cl.leader_node(admin2)
        leader.kill9()
        wait_new_leader(cl, leader)
        return leader

    def log_resolving(c, run, name, digest):
        """log_artifact in a transaction; an unknown commit resolved by
        repeating it (safe: the retry rule)."""
        for _attempt in range(5):
            try:
                return write(c, "SELECT log_artifact(?, ?, 'dataset', ?)",
                             (run, name, files(digest)))
            except cluster.CommitUnknown:
                continue
        raise RuntimeError("five unknown commits in a row")

    admin2 = cl.client()
    a = cl.client()
    with a.transaction():
        first = a.execute("SELECT log_artifact('writer-0', 'replayed', 'dataset', ?)",
                          (files("R0"),))
        dead = kill_leader()
        second = a.execute("SELECT log_artifact('writer-0', 'replayed', 'dataset', ?)",
                           (files("R1"),))
    check("replayed-same", (first, second, a.replays),
          ([("replayed:v0",)], [("replayed:v1",)], 1))
    dead.start()
    cl.wait_members(3)
    check("replayed-committed", admin2.execute(
        "SELECT ref FROM lineage_versions WHERE name='replayed' ORDER BY version"),
        [("replayed:v0",), ("replayed:v1",)])
    # ... and refused when another writer changed what it read in between.
    outcome = None
    try:
        with a.transaction():
            a.execute("SELECT log_artifact('writer-0', 'replayed', 'dataset', ?)",
                      (files("R2"),))
            dead = kill_leader()
            b = cl.client()
            check("other-writer", log_resolving(b, "writer-1", "replayed", "B"),
                  "replayed:v2")
            b.close()
            a.execute("SELECT 1")
        outcome = "committed"
    except cluster.TransactionConflict as e:
        outcome = str(e)
    check("conflict", outcome, "lineage cluster: replayed on the new leader, \"SELECT "
          "log_artifact('writer-0', 'replayed', 'dataset', ?)\" returned "
          "[('replayed:v3',)], not [('replayed:v2',)]: nothing was committed")
    dead.start()
    cl.wait_members(3)
    check("conflict-not-committed", admin2.execute(
        "SELECT count(*) FROM lineage_files WHERE digest='R2'"), [(0,)])
    a.close()
    admin2.close()
    check("all-running-after-replays", [n.running() for n in cl.nodes], [True, True, True])

    t_stop = time.monotonic()
    check("stopped-cleanly", [n.stop() for n in cl.nodes], [0, 0, 0])
    print("the three nodes stopped on SIGTERM in %.1f s" % (time.monotonic() - t_stop))
    print("failover: %d writers, %d calls acknowledged, %d with an unknown outcome "
          "(%d of them had been committed; all resolved by retrying), %d "
          "transactions replayed with another result (run again), %d kill -9 "
          "cycles; new leader after %s s; %.1f s in all"
          % (WRITERS, len(acked), len(resolved), committed_before,
             sum(w.conflicts for w in writers), KILL_CYCLES, ", ".join("%.2f" % e for e in elections if e is not None), load_s))
finish()
