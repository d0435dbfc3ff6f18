-- sqlite-lineage: the step from schema version 1 to version 2.
--
-- Run by the first write into a version 1 database, inside that writer's
-- savepoint (all of it or none), followed by sql/views.sql. Nothing is
-- lost: every row stays, new columns start NULL.
--   lineage_edge.requested      NULL for the edges recorded before (what a
--                               run asked for was not kept then)
--   lineage_version.deleted_at  NULL: a version deleted before now was
--                               deleted at an unknown time
--   lineage_alias_assignment    the aliases held now, assigned at the
--                               migration, how = 'log' (older history was
--                               not kept)
--   lineage_adj, lineage_adj_dirty  the walks' packed adjacency: the next
--                               step, sql/adjacency.sql

ALTER TABLE main.lineage_edge ADD COLUMN requested TEXT;
ALTER TABLE main.lineage_version ADD COLUMN deleted_at TEXT;

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

INSERT INTO main.lineage_alias_assignment(project, name, alias, node_id,
                                          assigned_at, how)
SELECT project, name, alias, node_id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
       'log'
FROM main.lineage_alias ORDER BY project, name, alias;

