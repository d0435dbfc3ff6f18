-- sqlite-lineage: the walks' packed adjacency (schema version 2).
--
-- Run after sql/schema.sql when the first write creates the tables, and as
-- a step of the migration from version 1 (after sql/migrate-1.sql): the
-- same tables and triggers either way. adj_blocks starts NULL, so the
-- first writer that keeps the blocks packs them all (none on a new
-- database; every complete block of a migrated one), and walks seek until
-- then.
--
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
