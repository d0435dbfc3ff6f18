-- sqlite-lineage schema, version 2: the tables.
--
-- The single source of truth for the tables (sql/views.sql has the views,
-- sql/migrate-*.sql the steps from older versions): the build embeds this
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
INSERT INTO main.lineage_meta(key, value) VALUES ('schema_version', 2);

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
  logged_by   INTEGER,           -- node_id of the first run that logged it
  deleted_at  TEXT               -- when artifact_delete deleted it (NULL:
                                 -- live, or deleted before schema version 2)
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

-- Every alias assignment, kept: one row per stretch of time an alias named
-- one version. how: what assigned it (log: log_artifact, alias:
-- artifact_alias, delete: latest moved back by artifact_delete);
-- removed_how: what ended it (moved: another version took it, unalias,
-- delete: the version was deleted), NULL while it is held. The open rows
-- are exactly lineage_alias.
CREATE TABLE main.lineage_alias_assignment(
  assignment_id INTEGER PRIMARY KEY,
  project     TEXT NOT NULL,
  name        TEXT NOT NULL,
  alias       TEXT NOT NULL,
  node_id     INTEGER NOT NULL,
  assigned_at TEXT NOT NULL,
  how         TEXT NOT NULL CHECK (how = 'log' OR how = 'alias'
                                   OR how = 'delete'),
  removed_at  TEXT,
  removed_how TEXT CHECK (removed_how = 'moved'
                   OR removed_how = 'unalias' OR removed_how = 'delete')
);
CREATE INDEX main.lineage_alias_assignment_alias
  ON lineage_alias_assignment(project, name, alias, assigned_at);
CREATE UNIQUE INDEX main.lineage_alias_assignment_held
  ON lineage_alias_assignment(project, name, alias) WHERE removed_at IS NULL;

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
  requested  TEXT,  -- an input's reference as use_artifact was given it
  PRIMARY KEY (src, dst)
) WITHOUT ROWID;
CREATE INDEX main.lineage_edge_dst ON lineage_edge(dst, src);

