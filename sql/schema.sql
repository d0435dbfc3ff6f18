-- sqlite-lineage schema, version 1.
--
-- The single source of truth for the tables and views: the build embeds this
-- file and the extension runs it, inside the writer's savepoint, on the first
-- write into a database. Runs and artifact versions share one id space
-- (lineage_node.node_id); lineage_edge gives a node's neighbours in either
-- direction with one index seek, which is all the graph walk reads.
--
-- Every object is created as main.<name>: unqualified, an INSERT or a CREATE
-- INDEX would go to a TEMP table of the same name. Inside the views the names
-- stay unqualified: SQLite binds them to the view's own schema (a TEMP table
-- cannot shadow them), and a qualified name would break the views of a
-- database attached under another name.

CREATE TABLE main.lineage_meta(
  key   TEXT PRIMARY KEY,
  value ANY
) WITHOUT ROWID;
INSERT INTO main.lineage_meta(key, value) VALUES ('schema_version', 1);

-- One row per node. The walk reads only this table for its metadata columns.
CREATE TABLE main.lineage_node(
  node_id INTEGER PRIMARY KEY,
  kind    TEXT NOT NULL CHECK (kind IN ('run', 'artifact')),
  project TEXT NOT NULL,
  name    TEXT NOT NULL,  -- the run id, or the artifact name
  version INTEGER,        -- the version number N of vN; NULL for a run
  type    TEXT,           -- the artifact type, or the run's job_type
  state   TEXT NOT NULL,  -- running/finished/failed/crashed/killed, committed/deleted
  CHECK ((kind = 'run') = (version IS NULL))
);
CREATE UNIQUE INDEX main.lineage_node_run ON lineage_node(name, project)
  WHERE kind = 'run';
CREATE UNIQUE INDEX main.lineage_node_version ON lineage_node(name, project, version)
  WHERE kind = 'artifact';

-- What a run's panel shows beyond lineage_node.
CREATE TABLE main.lineage_run(
  node_id      INTEGER PRIMARY KEY REFERENCES lineage_node,
  display_name TEXT,
  author       TEXT,
  group_name   TEXT,
  config       TEXT,           -- JSON object
  started_at   TEXT NOT NULL,  -- ISO-8601 UTC with milliseconds
  finished_at  TEXT
);

-- What a version's panel shows beyond lineage_node. Versions are immutable,
-- so their size and file count are stored once, when they are logged.
CREATE TABLE main.lineage_version(
  node_id     INTEGER PRIMARY KEY REFERENCES lineage_node,
  digest      TEXT NOT NULL,     -- W&B manifest digest (hex MD5)
  size        INTEGER NOT NULL,  -- bytes, the sum of the entries' sizes
  file_count  INTEGER NOT NULL,
  description TEXT,
  metadata    TEXT,              -- JSON object
  tags        TEXT,              -- JSON array
  created_at  TEXT NOT NULL,
  logged_by   INTEGER            -- node_id of the first run that logged it
);

-- Aliases are unique within an artifact (project, name): setting one moves it.
CREATE TABLE main.lineage_alias(
  project TEXT NOT NULL,
  name    TEXT NOT NULL,
  alias   TEXT NOT NULL,
  node_id INTEGER NOT NULL,
  PRIMARY KEY (project, name, alias)
) WITHOUT ROWID;
CREATE INDEX main.lineage_alias_node ON lineage_alias(node_id);

-- The manifest of a version: one row per entry.
CREATE TABLE main.lineage_file(
  node_id INTEGER NOT NULL,
  path    TEXT NOT NULL,
  digest  TEXT NOT NULL,  -- base64 MD5 of the bytes, or the reference's digest
  size    INTEGER,
  ref_uri TEXT,           -- the reference URI for a reference entry
  PRIMARY KEY (node_id, path)
) WITHOUT ROWID;

-- Edges: version -> run (the run used it), run -> version (the run logged it).
CREATE TABLE main.lineage_edge(
  src        INTEGER NOT NULL,
  dst        INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (src, dst)
) WITHOUT ROWID;
CREATE INDEX main.lineage_edge_dst ON lineage_edge(dst, src);

-- Views: one row per object, the fields W&B's node panels show.
CREATE VIEW main.lineage_runs AS
SELECT n.node_id, n.project, n.name AS run_id, r.display_name AS name,
       n.type AS job_type, n.state, r.author, r.group_name, r.config,
       r.started_at, r.finished_at,
       round((julianday(r.finished_at) - julianday(r.started_at)) * 86400.0, 3)
         AS duration_s
FROM lineage_node n JOIN lineage_run r ON r.node_id = n.node_id
WHERE n.kind = 'run';

-- aliases is a JSON array built with core functions only (the same text
-- json_group_array gives: \" \\ \b \t \n \f \r and \u00xx escapes): the JSON
-- functions are not SQLITE_INNOCUOUS in every SQLite this runs on, and a view
-- that calls one fails ("unsafe use of json_group_array()") when
-- PRAGMA trusted_schema=0.
CREATE VIEW main.lineage_versions AS
SELECT n.node_id, n.project, n.name, n.type, n.version,
       n.name || ':v' || n.version AS ref,
       (SELECT '[' || coalesce(group_concat('"' || e || '"', ','), '') || ']'
        FROM (SELECT k, replace(replace(replace(e,
            char(29), '\u001d'), char(30), '\u001e'), char(31), '\u001f') AS e
          FROM (SELECT k, replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(e,
            char(19), '\u0013'), char(20), '\u0014'), char(21), '\u0015'), char(22), '\u0016'), char(23), '\u0017'), char(24), '\u0018'), char(25), '\u0019'), char(26), '\u001a'), char(27), '\u001b'), char(28), '\u001c') AS e
          FROM (SELECT k, replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(e,
            char(9), '\t'), char(10), '\n'), char(11), '\u000b'), char(12), '\f'), char(13), '\r'), char(14), '\u000e'), char(15), '\u000f'), char(16), '\u0010'), char(17), '\u0011'), char(18), '\u0012') AS e
          FROM (SELECT a.alias AS k, replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(a.alias,
            '\', '\\'), '"', '\"'), char(1), '\u0001'), char(2), '\u0002'), char(3), '\u0003'), char(4), '\u0004'), char(5), '\u0005'), char(6), '\u0006'), char(7), '\u0007'), char(8), '\b') AS e
          FROM lineage_alias a WHERE a.node_id = n.node_id)))
          ORDER BY k)) AS aliases,
       v.digest, v.size, v.file_count, v.description, v.metadata, v.tags,
       n.state, v.created_at,
       (SELECT p.name FROM lineage_node p WHERE p.node_id = v.logged_by)
         AS logged_by
FROM lineage_node n JOIN lineage_version v ON v.node_id = n.node_id
WHERE n.kind = 'artifact';

CREATE VIEW main.lineage_files AS
SELECT f.node_id, n.name || ':v' || n.version AS ref, f.path, f.digest,
       f.size, f.ref_uri
FROM lineage_file f JOIN lineage_node n ON n.node_id = f.node_id;

CREATE VIEW main.lineage_edges AS
SELECT e.src, e.dst,
       CASE WHEN s.kind = 'run' THEN s.name ELSE d.name END AS run_id,
       CASE WHEN s.kind = 'run' THEN d.name || ':v' || d.version
            ELSE s.name || ':v' || s.version END AS artifact_ref,
       CASE WHEN s.kind = 'run' THEN 'output' ELSE 'input' END AS direction,
       e.created_at
FROM lineage_edge e
JOIN lineage_node s ON s.node_id = e.src
JOIN lineage_node d ON d.node_id = e.dst;
