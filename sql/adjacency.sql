-- sqlite-lineage: the walks' packed adjacency (schema version 2).
--
-- Run after sql/schema.sql when the first write creates the tables, as a
-- step of the migration from version 1 (after sql/migrate-1.sql), and by
-- the first writer on a database whose packed adjacency is of an earlier
-- format (lineage_meta.adj_format): the same tables and triggers every
-- time, emptied. adj_blocks starts NULL, so the first writer that keeps
-- the blocks packs them all (none on a new database; every complete block
-- of a migrated one), and walks seek until then.
--
-- The walks' packed adjacency (shadow tables, as FTS5 and R*Tree keep
-- theirs; ext/adjacency.c writes them, the walks read them). Per direction
-- (0 upstream, 1 downstream), one row per block of 256 consecutive node
-- ids: block_key = block * 2 + direction, data = the block's neighbour
-- lists, packed. lineage_meta.adj_blocks: blocks 0 .. adj_blocks-1 are
-- packed (NULL: none, pack all at the next write). A list too long for its
-- block (over 256 neighbours: a dataset every run uses) lives in
-- lineage_adj_long (node_key = node_id * 2 + direction): its neighbours
-- below bound, n of them, packed; a walk reads them there and seeks only
-- the neighbours from bound on. A walk seeks lineage_edge for the nodes
-- beyond the packed blocks and for the nodes in lineage_adj_dirty: the
-- nodes whose packed list an edit of the edges changed, recorded by the
-- triggers below, whatever wrote the edges, and folded back by the next
-- write. An edge at or above a long list's bound changes no packed list,
-- so the triggers skip it: a new use of a hub marks nothing. (NOT EXISTS
-- rather than OR IGNORE alone: an INSERT OR ABORT into lineage_edge would
-- impose its ABORT on the trigger's INSERT. The skip asks for adj_format
-- 3: a release that packs no long lists and resets adj_format gets every
-- change marked.)
CREATE TABLE IF NOT EXISTS main.lineage_adj(
  block_key INTEGER PRIMARY KEY,
  data      BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS main.lineage_adj_dirty(
  node_key INTEGER PRIMARY KEY
);
CREATE TABLE IF NOT EXISTS main.lineage_adj_long(
  node_key INTEGER PRIMARY KEY,
  bound    INTEGER NOT NULL,
  n        INTEGER NOT NULL,
  data     BLOB NOT NULL
);
DROP TRIGGER IF EXISTS main.lineage_edge_adj_insert;
DROP TRIGGER IF EXISTS main.lineage_edge_adj_delete;
DROP TRIGGER IF EXISTS main.lineage_edge_adj_update;
CREATE TRIGGER main.lineage_edge_adj_insert AFTER INSERT ON lineage_edge BEGIN
  INSERT OR IGNORE INTO lineage_adj_dirty(node_key)
  SELECT id*2 + dir FROM (SELECT NEW.src AS id, 1 AS dir, NEW.dst AS other
                          UNION SELECT NEW.dst, 0, NEW.src)
  WHERE id >= 0 AND id < (SELECT value FROM lineage_meta
                          WHERE key = 'adj_blocks') * 256
    AND NOT EXISTS (SELECT 1 FROM lineage_adj_dirty
                    WHERE node_key = id*2 + dir)
    AND NOT EXISTS (SELECT 1 FROM lineage_adj_long
                    WHERE node_key = id*2 + dir AND other >= bound
                      AND (SELECT value FROM lineage_meta
                           WHERE key = 'adj_format') = 3);
END;
CREATE TRIGGER main.lineage_edge_adj_delete AFTER DELETE ON lineage_edge BEGIN
  INSERT OR IGNORE INTO lineage_adj_dirty(node_key)
  SELECT id*2 + dir FROM (SELECT OLD.src AS id, 1 AS dir, OLD.dst AS other
                          UNION SELECT OLD.dst, 0, OLD.src)
  WHERE id >= 0 AND id < (SELECT value FROM lineage_meta
                          WHERE key = 'adj_blocks') * 256
    AND NOT EXISTS (SELECT 1 FROM lineage_adj_dirty
                    WHERE node_key = id*2 + dir)
    AND NOT EXISTS (SELECT 1 FROM lineage_adj_long
                    WHERE node_key = id*2 + dir AND other >= bound
                      AND (SELECT value FROM lineage_meta
                           WHERE key = 'adj_format') = 3);
END;
CREATE TRIGGER main.lineage_edge_adj_update AFTER UPDATE OF src, dst
ON lineage_edge BEGIN
  INSERT OR IGNORE INTO lineage_adj_dirty(node_key)
  SELECT id*2 + dir FROM (SELECT OLD.src AS id, 1 AS dir, OLD.dst AS other
                          UNION SELECT OLD.dst, 0, OLD.src
                          UNION SELECT NEW.src, 1, NEW.dst
                          UNION SELECT NEW.dst, 0, NEW.src)
  WHERE id >= 0 AND id < (SELECT value FROM lineage_meta
                          WHERE key = 'adj_blocks') * 256
    AND NOT EXISTS (SELECT 1 FROM lineage_adj_dirty
                    WHERE node_key = id*2 + dir)
    AND NOT EXISTS (SELECT 1 FROM lineage_adj_long
                    WHERE node_key = id*2 + dir AND other >= bound
                      AND (SELECT value FROM lineage_meta
                           WHERE key = 'adj_format') = 3);
END;
DELETE FROM main.lineage_adj;
DELETE FROM main.lineage_adj_dirty;
DELETE FROM main.lineage_adj_long;
INSERT OR REPLACE INTO main.lineage_meta(key, value)
VALUES ('adj_blocks', NULL), ('adj_format', 3);
