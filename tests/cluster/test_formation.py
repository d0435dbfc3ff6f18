"""test_formation.py: lineage-node's options, a 3-node cluster formed with
--join, clean stops on SIGTERM, a restart without --join, and the client's
node admin (list, add, assign, transfer, remove)."""

import subprocess
import time

from harness import NODE, Cluster, Node, check, cluster, finish, write

# ---- the options ----------------------------------------------------------
r = subprocess.run([NODE, "--help"], capture_output=True, text=True, timeout=10)
check("help-status", r.returncode, 0)
check("help-usage", r.stdout.splitlines()[0],
      "usage: lineage-node --id N --address HOST:PORT --data DIR")
for name, args, msg in (
        ("no-id", ["--address", "127.0.0.1:1", "--data", "/tmp/x"],
         "lineage-node: --id is required"),
        ("bad-id", ["--id", "0", "--address", "127.0.0.1:1", "--data", "/tmp/x"],
         "lineage-node: --id takes a number from 1 to 4611686018427387904, not '0'"),
        ("bad-address", ["--id", "1", "--address", "nowhere", "--data", "/tmp/x"],
         "lineage-node: --address takes HOST:PORT, not 'nowhere'"),
        ("bad-port", ["--id", "1", "--address", "h:99999", "--data", "/tmp/x"],
         "lineage-node: --address takes a number from 1 to 65535, not '99999'"),
        ("bad-latency", ["--id", "1", "--address", "h:1", "--data", "/tmp/x",
                         "--latency-ms", "fast"],
         "lineage-node: --latency-ms takes a number from 1 to 60000, not 'fast'"),
        ("no-data", ["--id", "1", "--address", "h:1"], "lineage-node: --data is required"),
        ("self-join", ["--id", "2", "--address", "h:1", "--data", "/tmp/x", "--join", "h:1"],
         "lineage-node: --join names this node's own address h:1"),
        ("unknown", ["--colour"], "lineage-node: unknown option or missing value: --colour")):
    r = subprocess.run([NODE] + args, capture_output=True, text=True, timeout=10)
    check("option-" + name, (r.returncode, r.stderr.splitlines()[0]), (2, msg))

# ---- a cluster -----------------------------------------------------------------
t0 = time.monotonic()
with Cluster("formation", 3) as cl:
    print("3 nodes formed with --join in %.1f s" % (time.monotonic() - t0))
    c = cl.client()
    check("members", sorted(c.nodes()),
          sorted((n.id, n.address, "voter") for n in cl.nodes))
    check("leader", c.leader(), (1, cl.node(1).address))
    check("replicated-mode", c.execute("SELECT lineage_replicated()"), [(1,)])
    check("first-write", write(c, "SELECT run_start('r1', 'train')"), "r1")

    # Node 3 stops on SIGTERM, cleanly, and says so.
    check("sigterm-status", cl.node(3).stop(), 0)
    with open(cl.node(3).log) as f:
        check("sigterm-log", f.read().splitlines()[-1], "lineage-node: node 3 stopped (SIGTERM)")
    # Two of three still make a quorum.
    check("write-without-3", write(c, "SELECT run_start('r2')"), "r2")
    # Restarted with the same id, address and data, without --join, it
    # catches up: leadership handed to it serves both writes.
    cl.node(3).start()
    cl.wait_members(3)
    cl.make_leader(c, cl.node(3))
    check("restarted-leads", c.leader(), (3, cl.node(3).address))
    check("restarted-has-data", c.execute("SELECT run_id FROM lineage_runs ORDER BY 1"),
          [("r1",), ("r2",)])

    # Admin from the client: node 4 starts without --join (it waits), the
    # client adds it and makes it a voter, then removes it.
    n4 = Node(cl, 4)
    n4.start()
    c.add(4, n4.address)
    check("added-as-spare", [x for x in c.nodes() if x[0] == 4], [(4, n4.address, "spare")])
    c.assign(4, cluster.VOTER)
    check("assigned-voter", [x for x in c.nodes() if x[0] == 4], [(4, n4.address, "voter")])
    c.remove(4)
    check("removed", sorted(x[0] for x in c.nodes()), [1, 2, 3])
    check("node4-stop", n4.stop(), 0)
    # The server's errors, reported as they are.
    for name, call, msg in (("transfer-unknown", lambda: c.transfer(99), "server ID is not valid"),
                            ("remove-unknown", lambda: c.remove(99), "server ID is not valid"),
                            ("add-taken-id", lambda: c.add(2, "127.0.0.1:1"),
                             "server ID already in use")):
        try:
            call()
            check(name, "no error", msg)
        except cluster.SQLError as e:
            check(name, e.message, msg)
    check("all-running", [n.running() for n in cl.nodes], [True, True, True])
    c.close()
    statuses = [n.stop() for n in cl.nodes]
check("all-stopped-cleanly", statuses, [0, 0, 0])
finish()
