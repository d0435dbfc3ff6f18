// bench/peers/duckdb.mjs EDGES.csv START DIR REPEAT: the DuckDB peer of
// bench/peers.py. Cold: a new in-memory database, the edges loaded from the
// CSV (src,dst), then the recursive CTE a user would write (UNION on the
// id); warm: the fastest of REPEAT more runs of the same query. Prints one
// JSON line: the times in ms, the number of nodes and the sum of their ids
// (checked by peers.py).
import { DuckDBInstance } from '@duckdb/node-api';

const [csv, start, dir, repeat] = process.argv.slice(2);
const [from, to] = dir === 'down' ? ['src', 'dst'] : ['dst', 'src'];
const sql = `WITH RECURSIVE r(id) AS (SELECT ${Number(start)}::BIGINT
  UNION SELECT e.${to} FROM edge e JOIN r ON e.${from} = r.id)
  SELECT count(*)::BIGINT AS n, sum(id)::BIGINT AS s FROM r`;

const t0 = performance.now();
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
await con.run(`CREATE TABLE edge AS SELECT * FROM read_csv('${csv}',
  header = true, columns = {'src': 'BIGINT', 'dst': 'BIGINT'})`);
const tLoad = performance.now() - t0;
let reader = await con.runAndReadAll(sql);
const tCold = performance.now() - t0;
const [n, s] = reader.getRows()[0];
const aWarm = [];
for (let i = 0; i < Number(repeat); i++) {
  const t = performance.now();
  reader = await con.runAndReadAll(sql);
  aWarm.push(performance.now() - t);
}
console.log(JSON.stringify({ load: tLoad, cold: tCold,
  warm: Math.min(...aWarm), n: Number(n), sum: Number(s) }));
