// tests/browser/lineage.test.mjs: lineage_html()'s page in a real browser.
//
//   (cd tests/browser && npm ci)   # once: puppeteer-core, as package-lock.json pins it
//   LINEAGE_EXT=build/lineage node tests/browser/lineage.test.mjs
//
// Builds databases with the extension through the sqlite3 shell, writes
// lineage_html(...) to a file, opens it from file:// in Debian's chromium
// (driven headless by puppeteer-core, which downloads nothing) and checks,
// through the page's public DOM hooks only: no request leaves the page and
// no script or console error occurs; the drawn nodes and edges are the ones
// the walk gives (lineage_clusters and lineage_edges, mapped to clusters
// here, independently of the page), on a hand-made project and on random
// graphs with cycles; then click (panel values), drag (node and edge
// endpoints), zoom, wheel, pan and fit (viewport transform), hide and show
// (panel eye, node eye, a cluster), cluster search, member preview and
// extract; rankdir TB, the export's hide and truncation notes, #node=<id>,
// the raw template's "no data"; then a 5,000-node export, folded and
// expanded, loads and answers a click, a drag, a cluster search and an
// extraction (times reported, bounded generously). Prints "N passed,
// N failed" and exits non-zero on any failure.
import puppeteer from 'puppeteer-core';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const EXT = resolve(process.env.LINEAGE_EXT || join(HERE, '../../build/lineage'));
const TMP = resolve(process.env.LINEAGE_TMP || join(HERE, '../../build/testdb'), 'browser');
const SQLITE3 = process.env.SQLITE3 || 'sqlite3';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const TEMPLATE = join(HERE, '../../web/lineage.html');
const WHOLE_TEST_MS = 120000;   // the whole run (15-40 s on the shared 2-core machine); ctest's own timeout is above it
const RESPONSE_BOUND_MS = 5000; // a click or a drag on the 5,000-node page (generous: the machine is shared)
const BIG_RUNS = 2500;          // the big export: one dataset, BIG_RUNS runs, BIG_RUNS model versions
const RANDOM_GRAPHS = 30;       // random graphs with cycles, each drawn and compared with its walk
const DIRECTIONS = ['both', 'up', 'down']; // in turn, one per random graph

let passed = 0, failed = 0;
function ok(name, cond, seen) {
  if (cond) { passed++; return true; }
  failed++;
  console.log('! ' + name + (seen === undefined ? '' : ': saw ' + JSON.stringify(seen)));
  return false;
}
function same(name, got, want) {
  const g = JSON.stringify(got), w = JSON.stringify(want);
  if (g === w) { passed++; return true; }
  failed++;
  console.log('! ' + name + ':\n    expected ' + w + '\n    got      ' + g);
  return false;
}
// Runs one part of the test; an exception (a missing element, a timeout)
// is one failure, and the next part still runs.
async function section(name, fn) {
  try { await fn(); } catch (e) { failed++; console.log('! ' + name + ': ' + (e && e.stack || e)); }
}
function near(name, got, want, tol) {
  return ok(name, Math.abs(got - want) <= tol, { got, want, tol });
}

const watchdog = setTimeout(() => {
  console.log('! the whole test took more than ' + WHOLE_TEST_MS / 1000 + ' s');
  console.log(passed + ' passed, ' + (failed + 1) + ' failed');
  process.exit(1);
}, WHOLE_TEST_MS);

// ---- databases, through the sqlite3 shell ---------------------------------

mkdirSync(TMP, { recursive: true });
// Under the sanitizer pass the ASan runtime comes as LINEAGE_SHELL_PRELOAD:
// the shells (where the extension runs) get it, node and chromium do not.
const SHELL_ENV = process.env.LINEAGE_SHELL_PRELOAD
  ? { ...process.env, LD_PRELOAD: process.env.LINEAGE_SHELL_PRELOAD } : process.env;
function shell(db, sql) {
  return execFileSync(SQLITE3, ['-batch', '-bail', '-cmd', '.load ' + EXT, db],
    { input: sql, encoding: 'utf8', maxBuffer: 1 << 30, env: SHELL_ENV });
}
function rows(db, sql) { // .mode json: one array of objects
  const out = shell(db, '.mode json\n' + sql);
  return out.trim() ? JSON.parse(out) : [];
}
function q(s) { return "'" + String(s).replace(/'/g, "''") + "'"; }
function freshDb(name) {
  const db = join(TMP, name + '.db');
  rmSync(db, { force: true }); rmSync(db + '-journal', { force: true });
  return db;
}
function writePage(db, name, args) {
  const file = join(TMP, name + '.html');
  shell(db, "SELECT writefile(" + q(file) + ", lineage_html(" + args + "));");
  return file;
}

// The small project: ingest -> raw -> prep -> dataset (the start) -> 7 train
// runs (a cluster) -> 7 model versions (a cluster) -> eval (reads two) -> report.
// Names carry quotes, <>& and unicode; a hostile display name tries markup.
const HOSTILE_NAME = '</script><img src=x onerror=alert(1)> "q" & \u00e9\u4e2d';
const RAW_DESCRIPTION = 'raw <data> & "quotes" \u2014 caf\u00e9';
const TRAINS = ['sweep-a1', 'sweep-a2', 'sweep-a3', 'sweep-b1', 'sweep-b2', 'sweep-b3', 'sweep-c1'];
const db = freshDb('page');
{
  let sql = `
SELECT run_start('vision/ingest', 'ingest', '{"author":"ana","name":${JSON.stringify(HOSTILE_NAME).replace(/'/g, "''")},"started_at":"2026-01-05T09:00:00Z"}');
SELECT log_artifact('vision/ingest', 'raw', 'raw_data', '[{"path":"a.bin","digest":"ZGlnZXN0MQ==","size":2048}]', NULL,
  ${q(JSON.stringify({ description: RAW_DESCRIPTION, created_at: '2026-01-05T09:01:30Z' }))});
SELECT run_finish('vision/ingest', 'finished', '2026-01-05T09:02:05Z');
SELECT run_start('vision/prep', 'preprocess', '{"author":"ben","started_at":"2026-01-05T10:00:00Z"}');
SELECT use_artifact('vision/prep', 'raw:latest');
SELECT log_artifact('vision/prep', 'mnist', 'dataset', '[{"path":"train.csv","digest":"ZGlnZXN0Mg==","size":1234567}]', '["clean"]');
SELECT run_finish('vision/prep', 'finished', '2026-01-05T11:01:01Z');
`;
  TRAINS.forEach((t, i) => {
    sql += `SELECT run_start('vision/${t}', 'train', '{"author":"cy","started_at":"2026-01-06T12:00:0${i}Z"}');
SELECT use_artifact('vision/${t}', 'mnist:v0');
SELECT log_artifact('vision/${t}', 'model', 'model', '[{"path":"m.pt","digest":"bW9kZWw${i}","size":${1000 * (i + 1)}}]'${i === 2 ? ", '[\"best\"]'" : ''});
SELECT run_finish('vision/${t}', 'finished', '2026-01-06T13:00:00Z');
`;
  });
  sql += `SELECT run_start('vision/eval', 'evaluate', '{"author":"dee","started_at":"2026-01-07T08:00:00Z"}');
SELECT use_artifact('vision/eval', 'model:v0');
SELECT use_artifact('vision/eval', 'model:v1');
SELECT log_artifact('vision/eval', 'report', 'report', '[{"path":"r.html","digest":"cmVwb3J0","size":10}]');
SELECT run_finish('vision/eval', 'finished', '2026-01-07T08:30:00Z');
`;
  shell(db, 'BEGIN;\n' + sql + 'COMMIT;\n');
}
const START = 'mnist:v0';
const walk = rows(db, `SELECT node_id, kind, ref, level, cluster, cluster_size FROM lineage_clusters(${q(START)});`);
const walkIds = new Set(walk.map((r) => r.node_id));
const graphEdges = rows(db, 'SELECT src, dst FROM lineage_edges;');
const pageFile = writePage(db, 'page', q(START));
// The JSON a page carries: lineage_json's output, with <>& written \u003c...
const DATA_ELEMENT = /<script id="lineage-data" type="application\/json">([\s\S]*?)<\/script>/;
const embeddedJson = (file) => JSON.parse(DATA_ELEMENT.exec(readFileSync(file, 'utf8'))[1]);
const embedded = DATA_ELEMENT.exec(readFileSync(pageFile, 'utf8'));
ok('lineage_html embeds the data in #lineage-data', !!embedded);
ok('the embedded JSON has no raw <, > or &', embedded && !/[<>&]/.test(embedded[1]));
const json = JSON.parse(embedded[1]);
same('the embedded JSON is lineage_json\'s', json, JSON.parse(shell(db, `SELECT lineage_json(${q(START)});`)));
same('lineage_json has one node per row of lineage_clusters', json.nodes.map((n) => n.id).sort((a, b) => a - b),
  [...walkIds].sort((a, b) => a - b));
const byRef = Object.fromEntries(json.nodes.map((n) => [n.ref, n]));

// What the page must draw, computed here from the walk: the drawn id of a
// node is c<cluster> when folded (extracted members draw as themselves).
function drawingOf(walk, graphEdges, extracted = new Set(), hidden = new Set()) {
  const byId = new Map(walk.map((r) => [r.node_id, r]));
  const drawnOf = (id) => {
    const r = byId.get(id);
    return r.cluster != null && !extracted.has(String(id)) ? 'c' + r.cluster : String(id);
  };
  const inWalk = graphEdges.filter((e) => byId.has(e.src) && byId.has(e.dst));
  const nodes = [...new Set(walk.map((r) => drawnOf(r.node_id)))].filter((d) => !hidden.has(d)).sort();
  const edges = [...new Set(inWalk.map((e) => drawnOf(e.src) + '>' + drawnOf(e.dst)))]
    .filter((k) => { const [a, b] = k.split('>'); return a !== b && !hidden.has(a) && !hidden.has(b); }).sort();
  return { nodes, edges };
}
const expectedDrawing = (extracted, hidden) => drawingOf(walk, graphEdges, extracted, hidden);

// ---- the browser ------------------------------------------------------------

const profile = mkdtempSync(join(tmpdir(), 'lineage-chromium-'));
const browser = await puppeteer.launch({
  executablePath: CHROMIUM,
  headless: true,
  userDataDir: profile,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  defaultViewport: { width: 1400, height: 900 },
});

// Opens file and records every request that is not file: or data:, every
// page error, console error and dialog.
async function open(file) {
  const page = await browser.newPage();
  const trouble = [];
  await page.setRequestInterception(true);
  page.on('request', (r) => {
    const u = r.url();
    if (u.startsWith('file:') || u.startsWith('data:')) r.continue();
    else { trouble.push('request ' + u); r.abort(); }
  });
  page.on('pageerror', (e) => trouble.push('pageerror ' + e.message));
  page.on('console', (m) => { if (m.type() === 'error') trouble.push('console ' + m.text()); });
  page.on('dialog', (d) => { trouble.push('dialog ' + d.message()); d.dismiss(); });
  const t0 = Date.now();
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  return { page, trouble, loadMs: Date.now() - t0 };
}

const drawing = (page) => page.evaluate(() => ({
  nodes: [...document.querySelectorAll('[data-node-id]')].map((e) => e.getAttribute('data-node-id')).sort(),
  edges: [...document.querySelectorAll('[data-src]')].map((e) => e.getAttribute('data-src') + '>' + e.getAttribute('data-dst')).sort(),
}));
const viewT = (page) => page.$eval('#lineage-viewport', (g) => {
  const m = /translate\(([-\d.e]+)[ ,]([-\d.e]+)\)\s*scale\(([-\d.e]+)\)/.exec(g.getAttribute('transform') || '');
  return m ? { tx: +m[1], ty: +m[2], k: +m[3] } : null;
});
const nodeT = (page, id) => page.$eval(`[data-node-id="${id}"]`, (g) => {
  const m = /translate\(([-\d.e]+)[ ,]([-\d.e]+)\)/.exec(g.getAttribute('transform'));
  return { x: +m[1], y: +m[2] };
});
// Every drawn edge with the first point of its path and its last; those of
// node id only, when given.
const edgeEnds = (page, id = null) => page.evaluate((id) =>
  [...document.querySelectorAll('[data-src]')].filter((e) => id === null || e.getAttribute('data-src') === id ||
    e.getAttribute('data-dst') === id).map((e) => {
    const nums = e.getAttribute('d').match(/-?[\d.]+(e-?\d+)?/g).map(Number);
    return { src: e.getAttribute('data-src'), dst: e.getAttribute('data-dst'), x0: nums[0], y0: nums[1],
      x1: nums[nums.length - 2], y1: nums[nums.length - 1] };
  }), id);
// A point of the screen where node id is the topmost node (the panel or the
// zoom controls may cover part of the drawing): Escape and fit when none.
async function pointOn(page, id) {
  const find = () => page.evaluate((id) => {
    const g = document.querySelector(`[data-node-id="${id}"]`);
    if (!g) return null;
    const r = g.getBoundingClientRect();
    for (const [fx, fy] of [[0.5, 0.5], [0.3, 0.5], [0.7, 0.5], [0.5, 0.3]]) {
      const x = r.left + r.width * fx, y = r.top + r.height * fy;
      const hit = document.elementFromPoint(x, y);
      if (hit && hit.closest('[data-node-id]') === g) return { x, y };
    }
    return null;
  }, id);
  let p = await find();
  if (!p) {
    await page.keyboard.press('Escape');
    await page.click('[data-action=fit]');
    p = await find();
  }
  if (!p) throw new Error('node ' + id + ' cannot be reached on screen');
  return p;
}
// Zooms with the wheel on node id until its box is at least minPx wide (a
// 5,000-node drawing fits the screen with boxes smaller than a pixel).
async function zoomTo(page, id, minPx = 60) {
  for (let i = 0; i < 16; i++) {
    const b = await page.$eval(`[data-node-id="${id}"]`, (g) => { const r = g.getBoundingClientRect(); return { x: r.left + r.width / 2, y: r.top + r.height / 2, w: r.width }; });
    if (b.w >= minPx) return;
    await page.mouse.move(b.x, b.y);
    await page.mouse.wheel({ deltaY: -500 });
    await new Promise((r) => setTimeout(r, 30));
  }
}
async function clickNode(page, id) {
  const p = await pointOn(page, id);
  await page.mouse.click(p.x, p.y);
}
const panelFields = (page) => page.evaluate(() => {
  const out = {};
  document.querySelectorAll('#lineage-panel [data-field]').forEach((e) => {
    out[e.getAttribute('data-field')] = { value: JSON.parse(e.getAttribute('data-value')), text: e.textContent };
  });
  return out;
});
const panelVisible = (page) => page.$eval('#lineage-panel', (p) => !p.hidden && p.getBoundingClientRect().width > 0);

// ---- the small project --------------------------------------------------------

await section('the small project', async () => {
  const { page, trouble } = await open(pageFile);
  const want = expectedDrawing();
  let got = await drawing(page);
  same('drawn nodes are the walk\'s (clusters folded)', got.nodes, want.nodes);
  same('drawn edges are the walk\'s (through the clusters)', got.edges, want.edges);
  ok('the start stands out', await page.$eval(`[data-node-id="${byRef[START].id}"]`, (g) => g.classList.contains('start')));
  const backwards = (await edgeEnds(page)).filter((e) => !(e.x0 < e.x1));
  same('every edge points the way data flows (left to right)', backwards, []);
  ok('no markup from names: no <img> in the page', (await page.$$('img')).length === 0);
  const shown = await page.$eval(`[data-node-id="${byRef.ingest.id}"] .main`, (t) => t.textContent);
  ok('a hostile display name is drawn as text (its start, cut to the box)', shown.length > 3 && HOSTILE_NAME.startsWith(shown.replace(/\u2026$/, '')), shown);
  ok('the full hostile name is in the node\'s tooltip', (await page.$eval(`[data-node-id="${byRef.ingest.id}"] > title`, (t) => t.textContent)).startsWith(HOSTILE_NAME),
    await page.$eval(`[data-node-id="${byRef.ingest.id}"] > title`, (t) => t.textContent));

  // Click a run: its panel, every W&B field with its value.
  const ingest = byRef.ingest;
  await clickNode(page, ingest.id);
  ok('clicking a run opens #lineage-panel', await panelVisible(page));
  let f = await panelFields(page);
  for (const k of ['name', 'started_at', 'duration_s', 'author', 'job_type']) same('run panel ' + k, f[k] && f[k].value, ingest[k]);
  same('run panel author text', f.author && f.author.text, 'ana');
  same('run panel name text (escaped, whole)', f.name && f.name.text, HOSTILE_NAME);
  same('run panel start time text', f.started_at && f.started_at.text, '2026-01-05 09:00:00 UTC');
  same('run panel duration text', f.duration_s && f.duration_s.text, '2m 5s');
  same('run panel job type text', f.job_type && f.job_type.text, 'ingest');

  // Click a version: aliases, creation time, type, version, description, producing run, size.
  const raw = byRef['raw:v0'], mnist = byRef['mnist:v0'];
  await clickNode(page, mnist.id);
  f = await panelFields(page);
  for (const k of ['aliases', 'created_at', 'type', 'version', 'description', 'logged_by', 'size']) same('version panel ' + k, f[k] && f[k].value, mnist[k]);
  ok('version panel aliases show clean', f.aliases && f.aliases.text.includes('clean'), f.aliases);
  same('version panel version text', f.version && f.version.text, 'v0');
  same('version panel size text', f.size && f.size.text, '1.2 MB (1234567 bytes)');
  ok('version panel names the producing run', f.logged_by && f.logged_by.text.includes('prep'), f.logged_by);
  await clickNode(page, raw.id);
  f = await panelFields(page);
  same('version panel description (escaped, whole)', f.description && f.description.text, RAW_DESCRIPTION);
  same('version panel size text (small)', f.size && f.size.text, '2.0 kB (2048 bytes)');

  // Drag a node: its transform moves by the drag over the zoom, its edges' ends follow.
  await page.keyboard.press('Escape');
  await page.click('[data-action=fit]');
  const prep = String(byRef.prep.id);
  const v0 = await viewT(page), t0 = await nodeT(page, prep), e0 = await edgeEnds(page, prep);
  const p0 = await pointOn(page, prep);
  await page.mouse.move(p0.x, p0.y);
  await page.mouse.down();
  for (let i = 1; i <= 8; i++) await page.mouse.move(p0.x + 15 * i, p0.y + 10 * i);
  await page.mouse.up();
  const t1 = await nodeT(page, prep), e1 = await edgeEnds(page, prep);
  near('drag moves the node in x by 120 px over the zoom', t1.x - t0.x, 120 / v0.k, 1);
  near('drag moves the node in y by 80 px over the zoom', t1.y - t0.y, 80 / v0.k, 1);
  same('the dragged node keeps its edges', e1.length, e0.length);
  ok('a drag does not open the panel', !(await panelVisible(page)));
  for (const e of e1) {
    const before = e0.find((x) => x.src === e.src && x.dst === e.dst);
    if (e.src === prep) { near('edge ' + e.src + '>' + e.dst + ' starts where the node went (x)', e.x0 - before.x0, t1.x - t0.x, 1); near('… (y)', e.y0 - before.y0, t1.y - t0.y, 1); same('… its other end stays', [e.x1, e.y1], [before.x1, before.y1]); }
    else { near('edge ' + e.src + '>' + e.dst + ' ends where the node went (x)', e.x1 - before.x1, t1.x - t0.x, 1); near('… (y)', e.y1 - before.y1, t1.y - t0.y, 1); same('… its other end stays', [e.x0, e.y0], [before.x0, before.y0]); }
  }
  ok('the dragged node has edges to follow', e1.length >= 2, e1);

  // Zoom: buttons, wheel about the cursor, pan, fit.
  let v = await viewT(page);
  await page.click('[data-action=zoom-in]');
  let w = await viewT(page);
  near('zoom-in multiplies the scale by 1.25', w.k / v.k, 1.25, 0.002);
  await page.click('[data-action=zoom-out]');
  w = await viewT(page);
  near('zoom-out divides it back', w.k / v.k, 1, 0.002);
  await page.keyboard.press('+');
  near('the + key zooms in', (await viewT(page)).k / v.k, 1.25, 0.002);
  await page.keyboard.press('-');
  near('the - key zooms out', (await viewT(page)).k / v.k, 1, 0.002);
  const svgBox = await page.$eval('#lineage-svg', (s) => { const r = s.getBoundingClientRect(); return { x: r.left, y: r.top, w: r.width, h: r.height }; });
  const cx = svgBox.x + 300, cy = svgBox.y + 200;
  v = await viewT(page);
  await page.mouse.move(cx, cy);
  await page.mouse.wheel({ deltaY: -200 });
  await page.waitForFunction((k) => {
    const m = /scale\(([-\d.e]+)\)/.exec(document.querySelector('#lineage-viewport').getAttribute('transform'));
    return m && +m[1] !== k;
  }, { timeout: 2000 }, v.k).catch(() => {});
  w = await viewT(page);
  ok('wheel up zooms in', w.k > v.k * 1.05, { before: v, after: w });
  const worldBefore = [(cx - svgBox.x - v.tx) / v.k, (cy - svgBox.y - v.ty) / v.k];
  const worldAfter = [(cx - svgBox.x - w.tx) / w.k, (cy - svgBox.y - w.ty) / w.k];
  near('wheel zoom keeps the point under the cursor (x)', worldAfter[0], worldBefore[0], 0.5);
  near('wheel zoom keeps the point under the cursor (y)', worldAfter[1], worldBefore[1], 0.5);
  await page.mouse.wheel({ deltaY: 400 });
  await new Promise((r) => setTimeout(r, 50));
  const w2 = await viewT(page);
  ok('wheel down zooms out', w2.k < w.k / 1.2, { before: w, after: w2 });
  // Pan: drag an empty spot of the background.
  const empty = await page.evaluate(() => {
    const s = document.querySelector('#lineage-svg').getBoundingClientRect();
    for (let y = s.top + s.height - 30; y > s.top + 20; y -= 23) {
      for (let x = s.left + 90; x < s.left + s.width - 400; x += 37) {
        const hit = document.elementFromPoint(x, y);
        if (hit && hit.closest('#lineage-svg') && !hit.closest('[data-node-id],[data-src]')) return { x, y };
      }
    }
    return null;
  });
  v = await viewT(page);
  await page.mouse.move(empty.x, empty.y);
  await page.mouse.down();
  for (let i = 1; i <= 5; i++) await page.mouse.move(empty.x + 10 * i, empty.y - 6 * i);
  await page.mouse.up();
  w = await viewT(page);
  same('dragging the background pans by the drag, scale unchanged', [Math.round(w.tx - v.tx), Math.round(w.ty - v.ty), w.k], [50, -30, v.k]);
  for (let i = 0; i < 6; i++) await page.click('[data-action=zoom-in]');
  await page.click('[data-action=fit]');
  const fitted = await page.evaluate(() => {
    const s = document.querySelector('#lineage-svg').getBoundingClientRect();
    return [...document.querySelectorAll('[data-node-id]')].filter((g) => {
      const r = g.getBoundingClientRect();
      return r.left < s.left || r.top < s.top || r.right > s.right || r.bottom > s.bottom;
    }).map((g) => g.getAttribute('data-node-id'));
  });
  same('fit shows every node (none outside the drawing area)', fitted, []);

  // Hide from the panel (the eye), show from the hidden list.
  const hideId = String(byRef['report:v0'].id);
  await clickNode(page, hideId);
  await page.click('#lineage-panel [data-action=hide]');
  got = await drawing(page);
  same('hide removes the node and its edges', got, expectedDrawing(new Set(), new Set([hideId])));
  same('the hidden list offers it back', await page.$$eval('[data-action=show]', (b) => b.map((x) => x.getAttribute('data-show-id'))), [hideId]);
  ok('the hidden list is visible', await page.$eval('#lineage-hidden', (h) => !h.hidden && h.getBoundingClientRect().height > 0));
  await page.click(`[data-action=show][data-show-id="${hideId}"]`);
  got = await drawing(page);
  same('show brings the node and its edges back', got, want);
  same('the hidden list is empty again', (await page.$$('[data-action=show]')).length, 0);

  // A cluster: its members, search, preview, extract.
  const runs = walk.filter((r) => r.kind === 'run' && r.cluster != null);
  const cid = runs[0].cluster, cnode = 'c' + cid;
  await clickNode(page, cnode);
  let members = await page.$$eval('#lineage-panel [data-member-id]', (l) => l.map((x) => x.getAttribute('data-member-id')).sort());
  same('a cluster\'s panel lists its members', members, runs.map((r) => String(r.node_id)).sort());
  ok('every member has an extract control', (await page.$$('#lineage-panel [data-member-id] [data-action=extract]')).length === runs.length);
  await page.type('input[data-cluster-search]', 'sweep-b');
  const visibleMembers = () => page.$$eval('#lineage-panel [data-member-id]', (l) => l.filter((x) => !x.hidden && x.getBoundingClientRect().height > 0)
    .map((x) => x.getAttribute('data-member-id')).sort());
  const matches = rows(db, `SELECT node_id FROM lineage_clusters(${q(START)}) WHERE cluster = ${cid} AND ref LIKE '%sweep-b%';`)
    .map((r) => String(r.node_id)).sort();
  same('the search box filters the members (as WHERE ref LIKE)', await visibleMembers(), matches);
  ok('the search matches some but not all', matches.length > 0 && matches.length < runs.length, matches);
  const pick = matches[0], pickNode = json.nodes.find((n) => String(n.id) === pick);
  await page.click(`#lineage-panel [data-member-id="${pick}"] .m-text`);
  f = await panelFields(page);
  same('clicking a member previews it', f.name && f.name.value, pickNode.name);
  same('the member preview has its job type', f.job_type && f.job_type.value, 'train');
  same('the member preview has its author', f.author && f.author.text, 'cy');
  await page.click(`#lineage-panel [data-action=extract]`);
  got = await drawing(page);
  const wantX = expectedDrawing(new Set([pick]));
  same('extract draws the member on its own, with its edges', got, wantX);
  ok('the extracted member has edges', wantX.edges.filter((k) => k.split('>').includes(pick)).length >= 2, wantX.edges);
  const shrunk = await page.$eval(`[data-node-id="${cnode}"]`, (g) => [g.getAttribute('data-size'), g.querySelector(':scope > title').textContent.split('\n')[0], g.querySelector('.main').textContent]);
  same('the cluster shrinks by one (size, label)', shrunk.slice(0, 2), [String(runs.length - 1), (runs.length - 1) + ' runs of train']);
  ok('… and draws its new label (or its start, cut to the box)', shrunk[1].startsWith(shrunk[2].replace(/\u2026$/, '')), shrunk);
  const overlaps = await page.evaluate((id) => {
    const me = document.querySelector(`[data-node-id="${id}"] .box`).getBoundingClientRect();
    return [...document.querySelectorAll('[data-node-id]')].filter((g) => g.getAttribute('data-node-id') !== id).filter((g) => {
      const r = g.querySelector('.box').getBoundingClientRect();
      return r.left < me.right && me.left < r.right && r.top < me.bottom && me.top < r.bottom;
    }).map((g) => g.getAttribute('data-node-id'));
  }, pick);
  same('the extracted member overlaps no node', overlaps, []);
  const tc = await nodeT(page, cnode), tp = await nodeT(page, pick);
  near('it is placed beside its cluster (same level, same x)', tp.x, tc.x, 1);
  await clickNode(page, cnode);
  members = await page.$$eval('#lineage-panel [data-member-id]', (l) => l.map((x) => x.getAttribute('data-member-id')));
  ok('the cluster\'s list no longer holds the extracted member', members.length === runs.length - 1 && !members.includes(pick), members);
  await clickNode(page, pick);
  f = await panelFields(page);
  same('the extracted node has its own panel', f.name && f.name.value, pickNode.name);
  ok('… with the eye icon', (await page.$$('#lineage-panel [data-action=hide]')).length === 1);


  // The eye on the node itself (W&B: point at a node, click the eye).
  const evalId = String(byRef.eval.id);
  const pe = await pointOn(page, evalId);
  await page.mouse.move(pe.x, pe.y);
  const eye = await page.$eval(`[data-node-id="${evalId}"] .eye`, (e) => { const r = e.getBoundingClientRect(); return { x: r.left + r.width / 2, y: r.top + r.height / 2, w: r.width }; });
  ok('pointing at a node shows its eye', eye.w > 0, eye);
  same('pointing at a node brings its edges forward', await page.evaluate((id) => [...document.querySelectorAll('[data-src],[data-dst]')]
    .filter((e) => e.classList.contains('near')).map((e) => e.getAttribute('data-src') + '>' + e.getAttribute('data-dst')).sort(), evalId),
    expectedDrawing(new Set([pick])).edges.filter((k) => k.split('>').includes(evalId)));
  await page.mouse.click(eye.x, eye.y);
  same('the eye on the node hides it', (await drawing(page)).nodes.includes(evalId), false);
  await page.click(`[data-action=show][data-show-id="${evalId}"]`);
  same('… and it comes back from the list', (await drawing(page)).nodes.includes(evalId), true);

  // A cluster can be hidden and shown too.
  await clickNode(page, cnode);
  await page.click('#lineage-panel [data-action=hide]');
  same('hiding a cluster removes it and its edges', await drawing(page), expectedDrawing(new Set([pick]), new Set([cnode])));
  await page.click(`[data-action=show][data-show-id="${cnode}"]`);
  same('showing it draws it again', await drawing(page), expectedDrawing(new Set([pick])));

  // Extracting every member of a cluster leaves no cluster node.
  const models = walk.filter((r) => r.kind === 'artifact' && r.cluster != null), mnode = 'c' + models[0].cluster;
  const all = new Set([pick]);
  for (const m of models) {
    await clickNode(page, mnode);
    await page.click(`#lineage-panel [data-member-id="${m.node_id}"] [data-action=extract]`);
    all.add(String(m.node_id));
  }
  same('extracting every member draws each with its edges, and no cluster', await drawing(page), expectedDrawing(all));
  const clash = await page.evaluate(() => {
    const boxes = [...document.querySelectorAll('[data-node-id]')].map((g) => [g.getAttribute('data-node-id'), g.querySelector('.box').getBoundingClientRect()]);
    const out = [];
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i][1], b = boxes[j][1];
      if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) out.push(boxes[i][0] + '/' + boxes[j][0]);
    }
    return out;
  });
  same('no two boxes overlap after the extractions', clash, []);

  // "Logged by" goes to the producing run.
  await clickNode(page, String(mnist.id));
  await page.click('#lineage-panel [data-action=goto]');
  f = await panelFields(page);
  same('the producing run link opens that run', f.name && f.name.value, byRef.prep.name);

  same('no request left the page, no script or console error', trouble, []);
  await page.close();
});

// Options the page shows: rankdir TB (edges point down), nodes hidden by
// the export (counted in the header), truncation.
await section('options', async () => {
  const reportId = String(byRef['report:v0'].id);
  const file = writePage(db, 'page-tb', `${q(START)}, 'both', NULL, '{"rankdir":"TB","hide":[${reportId}]}'`);
  const { page, trouble } = await open(file);
  same('TB: drawn nodes and edges are the walk\'s without the hidden one', await drawing(page), expectedDrawing(new Set(), new Set([reportId])));
  const up = (await edgeEnds(page)).filter((e) => !(e.y0 < e.y1));
  same('TB: every edge points down', up, []);
  ok('the header says how many the export hid', (await page.$eval('#lineage-notes', (n) => n.textContent)).includes('1 hidden'),
    await page.$eval('#lineage-notes', (n) => n.textContent));
  same('TB: no request, no error', trouble, []);
  await page.close();
  const t = await open(writePage(db, 'page-cut', `${q(START)}, 'both', NULL, '{"max_nodes":5}'`));
  ok('a truncated export says so', (await t.page.$eval('#lineage-notes', (n) => n.textContent)).includes('truncated'),
    await t.page.$eval('#lineage-notes', (n) => n.textContent));
  same('truncated: no request, no error', t.trouble, []);
  await t.page.close();
});

// Random graphs with cycles (runs that use what their descendants logged):
// the page draws exactly the walk's nodes and edges, through its clusters.
await section('random graphs', async () => {
  let seed = 20261201; // mulberry32: the same graphs on every run
  const rand = (n) => {
    seed = (seed + 0x6D2B79F5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor(((t ^ (t >>> 14)) >>> 0) / 4294967296 * n);
  };
  const NAMES = ['a', 'b', 'c', 'd'];
  let bad = 0, clustered = 0, cyclic = 0, tab = null;
  const t0 = Date.now();
  for (let g = 0; g < RANDOM_GRAPHS; g++) {
    const rdb = freshDb('random');
    const versions = [];
    let sql = 'BEGIN;\n', runs = 3 + rand(25), digest = 0;
    for (let r = 0; r < runs; r++) sql += `SELECT run_start('r/run${r}', 'job${rand(3)}');\n`;
    for (let op = 0; op < runs * 3; op++) {
      const run = 'r/run' + rand(runs);
      if (versions.length && rand(2)) sql += `SELECT use_artifact('${run}', '${versions[rand(versions.length)]}');\n`;
      else {
        const name = NAMES[rand(NAMES.length)], v = versions.filter((x) => x.startsWith(name + ':')).length;
        sql += `SELECT log_artifact('${run}', '${name}', 'data', '[{"path":"f","digest":"d${digest++}"}]');\n`;
        versions.push(name + ':v' + v);
      }
    }
    if (!versions.length) continue;
    shell(rdb, sql + 'COMMIT;\n');
    const start = versions[rand(versions.length)], minSize = 2 + rand(4), dir = DIRECTIONS[g % 3];
    const file = writePage(rdb, 'random-' + g, `${q(start)}, '${dir}', NULL, '{"min_size":${minSize}}'`);
    const re = rows(rdb, 'SELECT src, dst FROM lineage_edges;');
    let rw;
    if (dir === 'both') {
      rw = rows(rdb, `SELECT node_id, kind, level, cluster FROM lineage_clusters(${q(start)}, NULL, ${minSize});`);
    } else {
      // One walk: level = ±depth, a cluster per (kind, level) of min_size
      // nodes or more (never the start); its id is read from the export,
      // after checking the export groups exactly those nodes.
      const sign = dir === 'up' ? -1 : 1;
      rw = rows(rdb, `SELECT node_id, kind, depth FROM lineage_${dir}stream(${q(start)});`)
        .map((r) => ({ node_id: r.node_id, kind: r.kind, level: sign * r.depth, cluster: null }));
      const groups = new Map();
      for (const r of rw) if (r.level !== 0) groups.set(r.kind + r.level, [...(groups.get(r.kind + r.level) || []), r]);
      const exported = new Map(embeddedJson(file).nodes.map((n) => [n.id, n.cluster]));
      const mine = [], theirs = [];
      for (const members of groups.values()) {
        if (members.length < minSize) continue;
        mine.push(members.map((m) => m.node_id).sort((a, b) => a - b).join(','));
        const id = exported.get(members[0].node_id);
        members.forEach((m) => { m.cluster = id; });
      }
      for (const id of new Set([...exported.values()].filter((c) => c != null))) {
        theirs.push([...exported].filter(([, c]) => c === id).map(([n]) => n).sort((a, b) => a - b).join(','));
      }
      if (!same(`random graph ${g} (${dir}, min_size ${minSize}): the export's clusters are the walk's (kind, level) groups`,
        theirs.sort(), mine.sort())) bad++;
    }
    const want = drawingOf(rw, re);
    if (rw.some((r) => r.cluster != null)) clustered++;
    const lv = new Map(rw.map((r) => [r.node_id, r.level]));
    if (re.some((e) => lv.has(e.src) && lv.has(e.dst) && lv.get(e.dst) <= lv.get(e.src))) cyclic++;
    if (!tab) tab = await open(file); else await tab.page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    const got = await drawing(tab.page);
    if (!same(`random graph ${g} (start ${start}, ${dir}, min_size ${minSize}): the page draws the walk`, got, want)) bad++;
  }
  same('random graphs: no request, no error', tab ? tab.trouble : [], []);
  if (tab) await tab.page.close();
  console.log(`  random graphs: ${RANDOM_GRAPHS} (${clustered} with clusters, ${cyclic} with edges against the levels) in ${Date.now() - t0} ms`);
  ok(`random graphs: ${RANDOM_GRAPHS} drawn as walked (${clustered} with clusters, ${cyclic} with edges against the levels)`,
    bad === 0 && clustered > 0 && cyclic > 0, { bad, clustered, cyclic });
});

// page.html#node=<id> opens with that node's panel.
await section('link to a node', async () => {
  const page = await browser.newPage();
  await page.goto(pathToFileURL(pageFile).href + '#node=' + byRef['raw:v0'].id, { waitUntil: 'load' });
  const f = await panelFields(page);
  same('#node=<id> opens that node\'s panel', f.name && f.name.value, 'raw');
  await page.close();
});

// The raw template, opened by itself, says "no data".
await section('the raw template', async () => {
  const { page, trouble } = await open(TEMPLATE);
  same('the raw template says no data', await page.$eval('#lineage-empty', (e) => !e.hidden && e.textContent.trim()), 'no data');
  same('the raw template draws nothing', (await drawing(page)).nodes.length, 0);
  same('raw template: no request, no error', trouble, []);
  await page.close();
});

// ---- 5,000 nodes -------------------------------------------------------------

await section('5,000 nodes', async () => {
  const big = freshDb('big');
  const t0 = Date.now();
  shell(big, `BEGIN;
SELECT run_start('big/prep', 'preprocess');
SELECT log_artifact('big/prep', 'data', 'dataset', '[{"path":"d","digest":"ZA==","size":1}]');
CREATE TEMP TABLE k(i INTEGER PRIMARY KEY);
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${BIG_RUNS}) INSERT INTO temp.k SELECT i FROM s;
SELECT count(run_start('big/t' || i, 'train')) FROM temp.k;
SELECT count(use_artifact('big/t' || i, 'data:v0')) FROM temp.k;
SELECT count(log_artifact('big/t' || i, 'model', 'model', '[{"path":"m","digest":"' || i || '","size":' || i || '}]')) FROM temp.k;
COMMIT;
`);
  const buildMs = Date.now() - t0;
  const bigWalk = rows(big, "SELECT count(*) AS n, count(DISTINCT cluster) AS c, sum(cluster IS NULL) AS single FROM lineage_clusters('data:v0');")[0];
  ok('the big graph has 5,000 nodes around the start', bigWalk.n === 2 * BIG_RUNS + 2, bigWalk);
  for (const [label, args, wantNodes] of [
    ['folded', "'data:v0', 'both', NULL, '{\"max_nodes\":6000}'", bigWalk.single + bigWalk.c],
    ['expanded', "'data:v0', 'both', NULL, '{\"max_nodes\":6000,\"expand\":true}'", bigWalk.n],
  ]) {
    const file = writePage(big, 'big-' + label, args);
    const { page, trouble, loadMs } = await open(file);
    const d = await drawing(page);
    same(`5,000 nodes ${label}: every node drawn`, d.nodes.length, wantNodes);
    ok(`5,000 nodes ${label}: edges drawn`, d.edges.length >= wantNodes - 1, d.edges.length);
    const id = d.nodes.find((n) => n !== 'c0' && /^\d+$/.test(n) && n !== String(d.nodes[0])) || d.nodes[0];
    await zoomTo(page, id);
    let t = Date.now();
    await clickNode(page, id);
    await page.waitForFunction(() => !document.querySelector('#lineage-panel').hidden, { timeout: RESPONSE_BOUND_MS });
    const clickMs = Date.now() - t;
    await page.keyboard.press('Escape');
    const p = await pointOn(page, id), before = await nodeT(page, id);
    t = Date.now();
    await page.mouse.move(p.x, p.y);
    await page.mouse.down();
    await page.mouse.move(p.x + 20, p.y + 20);
    await page.mouse.move(p.x + 40, p.y + 40);
    await page.mouse.up();
    await page.waitForFunction((id, x) => {
      const m = /translate\(([-\d.e]+)/.exec(document.querySelector(`[data-node-id="${id}"]`).getAttribute('transform'));
      return m && +m[1] !== x;
    }, { timeout: RESPONSE_BOUND_MS }, id, before.x);
    const dragMs = Date.now() - t;
    ok(`5,000 nodes ${label}: click answered within ${RESPONSE_BOUND_MS} ms`, clickMs < RESPONSE_BOUND_MS, clickMs);
    ok(`5,000 nodes ${label}: drag answered within ${RESPONSE_BOUND_MS} ms`, dragMs < RESPONSE_BOUND_MS, dragMs);
    console.log(`  5,000 nodes ${label}: ${d.nodes.length} nodes, ${d.edges.length} edges drawn; ` +
      `load ${loadMs} ms, click ${clickMs} ms, drag ${dragMs} ms (database built in ${buildMs} ms)`);
    if (label === 'folded') {
      // The 2,500-run cluster: its panel, a search over it, an extraction.
      const c = d.nodes.find((n) => n.startsWith('c'));
      const size = await page.$eval(`[data-node-id="${c}"]`, (g) => +g.getAttribute('data-size'));
      t = Date.now();
      await clickNode(page, c);
      await page.waitForSelector('#lineage-panel [data-member-id]', { timeout: RESPONSE_BOUND_MS });
      const openMs = Date.now() - t;
      const count = (visible) => page.evaluate((visible) => [...document.querySelectorAll('#lineage-panel [data-member-id]')]
        .filter((x) => !visible || !x.hidden).length, visible);
      same('5,000 nodes: the cluster panel lists every member', await count(false), size);
      t = Date.now();
      await page.type('input[data-cluster-search]', 't2499');
      const shown = await count(true);
      const searchMs = Date.now() - t;
      const want = rows(big, `SELECT count(*) AS n FROM lineage_clusters('data:v0') WHERE cluster = ${c.slice(1)} AND ref LIKE '%t2499%';`)[0].n;
      same('5,000 nodes: the search filters 2,500 members', shown, want);
      t = Date.now();
      await page.click('#lineage-panel [data-member-id]:not([hidden]) [data-action=extract]');
      await page.waitForFunction((c, n) => +document.querySelector(`[data-node-id="${c}"]`).getAttribute('data-size') === n, { timeout: RESPONSE_BOUND_MS }, c, size - 1);
      const extractMs = Date.now() - t;
      ok(`5,000 nodes: cluster panel, search and extract each within ${RESPONSE_BOUND_MS} ms`,
        Math.max(openMs, searchMs, extractMs) < RESPONSE_BOUND_MS, { openMs, searchMs, extractMs });
      console.log(`  5,000 nodes folded: cluster of ${size}: panel ${openMs} ms, search ${searchMs} ms (typing 5 keys), extract ${extractMs} ms`);
    }
    same(`5,000 nodes ${label}: no request, no error`, trouble, []);
    await page.close();
  }
});

await browser.close();
rmSync(profile, { recursive: true, force: true });
clearTimeout(watchdog);
console.log(passed + ' passed, ' + failed + ' failed');
process.exit(failed ? 1 : 0);
