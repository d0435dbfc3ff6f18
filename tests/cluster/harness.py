"""harness.py: what the cluster tests share.

    from harness import Cluster, check, finish
    with Cluster("demo", 3) as cl:          # nodes 1..3 on free loopback ports
        c = cl.client()
        check("name", got, expected)
    finish()                                # "N passed, N failed"; exit status

Each node is a lineage-node process started by the test (LINEAGE_NODE, or
build/lineage-node) with its data in LINEAGE_TMP/cluster-<name>/nN, stopped
by its pid: SIGTERM, then SIGKILL if it has not exited in NODE_STOP_WAIT
seconds. Node 1 starts the cluster; the others --join it.
"""

import os
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.environ.get("LINEAGE_SOURCE", os.path.normpath(os.path.join(HERE, "..", "..")))
sys.path.insert(0, os.path.join(SOURCE, "python"))

from sqlite_lineage import cluster  # noqa: E402

NODE = os.environ.get("LINEAGE_NODE", os.path.join(SOURCE, "build", "lineage-node"))
TMP = os.environ.get("LINEAGE_TMP", os.path.join(SOURCE, "build", "testdb"))
os.makedirs(TMP, exist_ok=True)
# One-way latency given to every node: dqlite's election timeout follows
# from it, so a new leader comes within about a second on loopback.
LATENCY_MS = 20
# How long a node may take to exit after SIGTERM.
NODE_STOP_WAIT = 10.0
# How long a cluster may take to have a leader, or a node to rejoin.
FORM_TIMEOUT = 30.0

_results = {"pass": 0, "fail": 0, "failed": []}


def check(name, got, expected):
    """One test: got must equal expected."""
    if got == expected:
        _results["pass"] += 1
    else:
        _results["fail"] += 1
        _results["failed"].append(name)
        print("! %s expected: %r" % (name, expected))
        print("! %s got:      %r" % (name, got))
    sys.stdout.flush()


def finish():
    if _results["failed"]:
        print("failed: " + " ".join(_results["failed"]))
    print("%d passed, %d failed" % (_results["pass"], _results["fail"]))
    sys.exit(1 if _results["fail"] else 0)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def alive(pid):
    """The process exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


class Node:
    def __init__(self, cl, node_id):
        self.cl = cl
        self.id = node_id
        self.address = "127.0.0.1:%d" % free_port()
        self.data = os.path.join(cl.dir, "n%d" % node_id)
        self.log = os.path.join(cl.dir, "n%d.log" % node_id)
        self.proc = None

    def start(self, join=None):
        args = [NODE, "--id", str(self.id), "--address", self.address,
                "--data", self.data, "--latency-ms", str(LATENCY_MS)]
        if join:
            args += ["--join", join]
        served = self.served()
        out = open(self.log, "a")
        self.proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
        out.close()
        # Until it says it serves (after its join): a signal sent before it
        # has set up its handling would kill it instead of stopping it.
        deadline = time.monotonic() + FORM_TIMEOUT
        while self.served() == served:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("node %d did not start (see %s)" % (self.id, self.log))
            time.sleep(0.02)

    def served(self):
        """How many times the log says the node started serving."""
        try:
            with open(self.log) as f:
                return f.read().count("lineage-node: node %d serving at" % self.id)
        except OSError:
            return 0

    @property
    def pid(self):
        return self.proc.pid

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def kill9(self):
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(5)

    def stop(self):
        """SIGTERM; its exit status (SIGKILL after NODE_STOP_WAIT: -9)."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        os.kill(self.proc.pid, signal.SIGTERM)
        try:
            return self.proc.wait(NODE_STOP_WAIT)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            return self.proc.wait(5)


class Cluster:
    def __init__(self, name, n=3):
        self.dir = os.path.join(TMP, "cluster-" + name)
        subprocess.run(["rm", "-rf", self.dir], check=True)
        os.makedirs(self.dir)
        self.nodes = [Node(self, i + 1) for i in range(n)]

    def __enter__(self):
        self.nodes[0].start()
        for node in self.nodes[1:]:
            node.start(join=self.nodes[0].address)
        self.wait_members(len(self.nodes))
        return self

    def __exit__(self, *exc):
        for node in self.nodes:
            node.stop()

    def addresses(self):
        return [n.address for n in self.nodes]

    def client(self, timeout=FORM_TIMEOUT):
        return cluster.connect(self.addresses(), database="lineage", timeout=timeout)

    def node(self, node_id):
        return self.nodes[node_id - 1]

    def wait_members(self, n):
        """Until the leader lists n voters (the joins are done)."""
        deadline = time.monotonic() + FORM_TIMEOUT
        while True:
            try:
                c = self.client()
                voters = [x for x in c.nodes() if x[2] == "voter"]
                c.close()
                if len(voters) >= n:
                    return
            except cluster.Error:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the cluster did not reach %d voters" % n)
            time.sleep(0.1)

    def make_leader(self, c, node):
        """Hand leadership to node (retried while it catches up)."""
        deadline = time.monotonic() + FORM_TIMEOUT
        while c.leader()[0] != node.id:
            try:
                c.transfer(node.id)
            except cluster.Error:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def leader_node(self, c):
        lid, _addr = c.leader()
        return self.node(lid)

    def dump_tables(self, c):
        """Every lineage table's rows in key order, and the schema."""
        out = [c.execute("SELECT type, name, sql FROM sqlite_schema ORDER BY name")]
        for table, order in (("lineage_meta", "key"), ("lineage_node", "node_id"),
                             ("lineage_run", "node_id"), ("lineage_version", "node_id"),
                             ("lineage_alias", "project, name, alias"),
                             ("lineage_file", "node_id, path"),
                             ("lineage_edge", "src, dst")):
            out.append(c.execute("SELECT * FROM main.%s ORDER BY %s" % (table, order)))
        return out


def write(c, sql, params=()):
    """One writer call in its own transaction; its first value."""
    with c.transaction():
        return c.execute(sql, params)[0][0]
