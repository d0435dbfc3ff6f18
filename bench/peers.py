#!/usr/bin/python3
"""bench/peers.py: the extension's walks against what else a user could pick.

  /usr/bin/python3 bench/peers.py build/lineage.so build/bench/mixed-100000.db ...

For each database (made by lineage_bench) and each walk (down from the
first version, up from the last, down from the middle version), in one run:

  ext       SELECT count(*) FROM (SELECT node_id FROM lineage_<dir>(?)) on
            a new connection (cold: opening and loading the extension not
            counted; the fastest of 5 connections), then repeated on the
            same connection (warm: the fastest of 7); count(*) so that
            Python's cost per row is not timed (the nodes are read after,
            for the check)
  cte       the recursive CTE a user would write (UNION on the id) on
            lineage_edge, cold and warm likewise
  duckdb    DuckDB (@duckdb/node-api, bench/peers/duckdb.mjs): the same CTE
            over the edges loaded from a CSV; cold = load + query, warm =
            the fastest of 2 more; stopped after DUCKDB_CAP_S (its recursive
            CTE runs one iteration per level: 100k on a chain)
  networkx  nx.descendants / nx.ancestors on a DiGraph read from
            lineage_edge; cold = read + build + walk
  igraph    Graph.subcomponent and Graph.bfs on a Graph read likewise

Every method's set of nodes is checked against the extension's (DuckDB's by
count and sum of ids); a difference exits non-zero. Prints markdown tables:
the times in ms, and each peer's time over the extension's (above 1: the
extension is faster).
"""
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time

import igraph
import networkx as nx

REPEAT = 7
COLD_RUNS = 5
DUCKDB_CAP_S = 60   # a DuckDB run (load, cold and 2 warm queries) stopped after
HERE = os.path.dirname(os.path.abspath(__file__))


def connect(path, ext):
    db = sqlite3.connect(path)
    db.enable_load_extension(True)
    db.load_extension(ext)
    return db


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return (time.perf_counter() - t) * 1e3, out


def cold_warm(path, ext, sql, start):
    """Cold (first query on a new connection) and warm (fastest) times of
    count(*) over sql's rows (so that Python's cost per row is not timed),
    and the set of node ids (read after, not timed)."""
    agg = f"SELECT count(*) FROM ({sql})"
    # Cold: the fastest of COLD_RUNS new connections (one alone moves by
    # 2-5x on this shared machine, and its other jobs only add time).
    colds = []
    for _ in range(COLD_RUNS):
        db = connect(path, ext)
        colds.append(timed(lambda: db.execute(agg, (start,)).fetchall())[0])
        db.close()
    t_cold = min(colds)
    db = connect(path, ext)
    db.execute(agg, (start,)).fetchall()
    warm = [timed(lambda: db.execute(agg, (start,)).fetchall())[0]
            for _ in range(REPEAT)]
    rows = db.execute(sql, (start,)).fetchall()
    db.close()
    return t_cold, min(warm), {r[0] for r in rows}


def read_edges(path):
    db = sqlite3.connect(path)
    edges = db.execute("SELECT src, dst FROM main.lineage_edge").fetchall()
    n = db.execute("SELECT max(node_id) FROM main.lineage_node").fetchone()[0]
    db.close()
    return n, edges


def bench_db(path, ext, csv, out):
    db = sqlite3.connect(path)
    first = db.execute("SELECT min(node_id) FROM main.lineage_node "
                       "WHERE kind = 'artifact'").fetchone()[0]
    last = db.execute("SELECT max(node_id) FROM main.lineage_node "
                      "WHERE kind = 'artifact'").fetchone()[0]
    mid = db.execute("SELECT min(node_id) FROM main.lineage_node "
                     "WHERE kind = 'artifact' AND node_id >= ?",
                     ((first + last) // 2,)).fetchone()[0]
    db.close()
    walks = [("down-first", "down", first), ("up-last", "up", last),
             ("down-mid", "down", mid)]
    shape = os.path.basename(path).rsplit(".", 1)[0]
    bad = 0
    for name, d, start in walks:
        vt = "lineage_downstream" if d == "down" else "lineage_upstream"
        a, b = ("src", "dst") if d == "down" else ("dst", "src")
        ext_cold, ext_warm, nodes = cold_warm(
            path, ext, f"SELECT node_id FROM main.{vt}(?)", start)
        cte = (f"WITH RECURSIVE r(id) AS (SELECT ? UNION SELECT e.{b} FROM "
               f"main.lineage_edge e JOIN r ON e.{a} = r.id) SELECT id FROM r")
        cte_cold, cte_warm, cte_nodes = cold_warm(path, ext, cte, start)
        res = {"ext": (ext_cold, ext_warm), "cte": (cte_cold, cte_warm)}
        checks = {"cte": cte_nodes == nodes}

        # networkx: read the edges, build, walk; then the walk alone.
        t0 = time.perf_counter()
        n, edges = read_edges(path)
        g = nx.DiGraph()
        g.add_nodes_from(range(n + 1))
        g.add_edges_from(edges)
        walk = nx.descendants if d == "down" else nx.ancestors
        got = walk(g, start) | {start}
        nx_cold = (time.perf_counter() - t0) * 1e3
        nx_warm = min(timed(lambda: walk(g, start))[0]
                                    for _ in range(REPEAT))
        res["networkx"] = (nx_cold, nx_warm)
        checks["networkx"] = got == nodes
        del g

        # igraph: the same; warm for both subcomponent and bfs.
        t0 = time.perf_counter()
        n, edges = read_edges(path)
        ig = igraph.Graph(n=n + 1, edges=edges, directed=True)
        mode = "out" if d == "down" else "in"
        got = set(ig.subcomponent(start, mode=mode))
        ig_cold = (time.perf_counter() - t0) * 1e3
        ig_warm = min(
            timed(lambda: ig.subcomponent(start, mode=mode))[0]
            for _ in range(REPEAT))
        bfs_warm = min(
            timed(lambda: ig.bfs(start, mode=mode))[0] for _ in range(REPEAT))
        res["igraph"] = (ig_cold, ig_warm)
        res["igraph bfs"] = (None, bfs_warm)
        checks["igraph"] = got == nodes
        del ig

        # DuckDB, in its own process (node); its recursive CTE takes one
        # iteration per level, so on deep chains it is stopped.
        try:
            p = subprocess.run(["node", os.path.join(HERE, "peers", "duckdb.mjs"),
                                csv, str(start), d, "2"], capture_output=True,
                               text=True, check=True, timeout=DUCKDB_CAP_S)
            dk = json.loads(p.stdout)
            res["duckdb"] = (dk["cold"], dk["warm"])
            checks["duckdb"] = (dk["n"], dk["sum"]) == (len(nodes), sum(nodes))
        except subprocess.TimeoutExpired:
            res["duckdb"] = (float("inf"), float("inf"))

        for k, ok in checks.items():
            if not ok:
                print(f"DISAGREEMENT: {shape} {name}: {k}", file=sys.stderr)
                bad += 1
        out.append((shape, name, len(nodes), res))
        print(f"  {shape} {name} {len(nodes)} nodes: " +
              ", ".join(f"{k} {v[0] or 0:.1f}/{v[1]:.2f}" for k, v in res.items()),
              file=sys.stderr)
    return bad


def fmt(v):
    if v == float("inf"):
        return f">{DUCKDB_CAP_S * 1000}"
    return "-" if v is None else f"{v:.2f}" if v < 10 else f"{v:.0f}"


def ratio(a, b):
    if a == float("inf"):
        return f">{DUCKDB_CAP_S * 1000 / b:.0f}x"
    return "-" if a is None or not b else f"{a / b:.1f}x"


def main():
    ext, paths = sys.argv[1], sys.argv[2:]
    out, bad = [], 0
    for path in paths:
        n, edges = read_edges(path)
        with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
            f.write("src,dst\n")
            f.writelines(f"{s},{d}\n" for s, d in edges)
            csv = f.name
        print(f"{path}: {n} nodes, {len(edges)} edges", file=sys.stderr)
        try:
            bad += bench_db(path, ext, csv, out)
        finally:
            os.unlink(csv)
    peers = ["cte", "duckdb", "networkx", "igraph"]
    print("| graph | walk | nodes | ext cold | ext warm | " +
          " | ".join(f"{p} cold | {p} warm" for p in peers) +
          " | igraph bfs warm | " +
          " | ".join(f"{p}/ext cold" for p in peers) + " | " +
          " | ".join(f"{p}/ext warm" for p in peers) + " | igraph bfs/ext warm |")
    print("|---|---|--:|" + "--:|" * (2 + 2 * len(peers) + 1 + 2 * len(peers) + 1))
    for shape, name, n, res in out:
        e = res["ext"]
        cells = [fmt(e[0]), fmt(e[1])]
        cells += [fmt(res[p][i]) for p in peers for i in (0, 1)]
        cells.append(fmt(res["igraph bfs"][1]))
        cells += [ratio(res[p][0], e[0]) for p in peers]
        cells += [ratio(res[p][1], e[1]) for p in peers]
        cells.append(ratio(res["igraph bfs"][1], e[1]))
        print(f"| {shape} | {name} | {n} | " + " | ".join(cells) + " |")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
