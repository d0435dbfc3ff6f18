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
--   lineage_adj, lineage_adj_dirty  the walks' packed adjacency, empty:
--                               adj_blocks NULL packs it all at the first
--                               write that keeps it (until then walks seek)

ALTER TABLE main.lineage_edge ADD COLUMN requested TEXT;
ALTER TABLE main.lineage_version ADD COLUMN deleted_at TEXT;

CREATE TABLE main.lineage_alias_assignment(
  assignment_id INTEGER PRIMARY KEY,
  project     TEXT NOT NULL,
  name        TEXT NOT NULL,
  alias       TEXT NOT NULL,
  node_id     INTEGER NOT NULL,
  assigned_at TEXT NOT NULL,
  how         TEXT NOT NULL CHECK (how IN ('log', 'alias', 'delete')),
  removed_at  TEXT,
  removed_how TEXT CHECK (removed_how IN ('moved', 'unalias', 'delete'))
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

-- The walks' packed adjacency (shadow tables, as FTS5 and R*Tree keep
-- theirs; ext/adjacency.c writes them, the walks read them). Per direction
-- (0 upstream, 1 downstream), one row per block of 256 consecutive node
-- ids: block_key = block * 2 + direction, data = the block's neighbour
-- lists, packed. lineage_meta.adj_blocks: blocks 0 .. adj_blocks-1 are
-- packed (NULL: none, pack all at the next write). A walk seeks
-- lineage_edge for the nodes beyond them and for the nodes in
-- lineage_adj_dirty (node_key = node_id * 2 + direction): the nodes whose
-- edges changed since their block was packed, recorded by the triggers
-- below, whatever wrote the edges, and folded back by the next write.
-- (NOT EXISTS rather than OR IGNORE alone: an INSERT OR ABORT into
-- lineage_edge would impose its ABORT on the trigger's INSERT.)
CREATE TABLE main.lineage_adj(
  block_key INTEGER PRIMARY KEY,
  data      BLOB NOT NULL
);
CREATE TABLE main.lineage_adj_dirty(
  node_key INTEGER PRIMARY KEY
);
CREATE TRIGGER main.lineage_edge_adj_insert AFTER INSERT ON lineage_edge BEGIN
  INSERT OR IGNORE INTO lineage_adj_dirty(node_key)
  SELECT id*2 + dir FROM (SELECT NEW.src AS id, 1 AS dir
                          UNION SELECT NEW.dst, 0)
  WHERE id >= 0 AND id < (SELECT value FROM lineage_meta
                          WHERE key = 'adj_blocks') * 256
    AND NOT EXISTS (SELECT 1 FROM lineage_adj_dirty
                    WHERE node_key = id*2 + dir);
END;
CREATE TRIGGER main.lineage_edge_adj_delete AFTER DELETE ON lineage_edge BEGIN
  INSERT OR IGNORE INTO lineage_adj_dirty(node_key)
  SELECT id*2 + dir FROM (SELECT OLD.src AS id, 1 AS dir
                          UNION SELECT OLD.dst, 0)
  WHERE id >= 0 AND id < (SELECT value FROM lineage_meta
                          WHERE key = 'adj_blocks') * 256
    AND NOT EXISTS (SELECT 1 FROM lineage_adj_dirty
                    WHERE node_key = id*2 + dir);
END;
CREATE TRIGGER main.lineage_edge_adj_update AFTER UPDATE OF src, dst
ON lineage_edge BEGIN
  INSERT OR IGNORE INTO lineage_adj_dirty(node_key)
  SELECT id*2 + dir FROM (SELECT OLD.src AS id, 1 AS dir
                          UNION SELECT OLD.dst, 0
                          UNION SELECT NEW.src, 1
                          UNION SELECT NEW.dst, 0)
  WHERE id >= 0 AND id < (SELECT value FROM lineage_meta
                          WHERE key = 'adj_blocks') * 256
    AND NOT EXISTS (SELECT 1 FROM lineage_adj_dirty
                    WHERE node_key = id*2 + dir);
END;
INSERT INTO main.lineage_meta(key, value) VALUES ('adj_blocks', NULL);
