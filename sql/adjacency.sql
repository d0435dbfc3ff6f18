-- sqlite-lineage: the walks' packed adjacency (schema version 2).
--
-- Run after sql/schema.sql when the first write creates the tables, as a
-- step of the migration from version 1 (after sql/migrate-1.sql), and by
-- the first writer on a database whose packed adjacency is of an earlier
-- format (lineage_meta.adj_format): the same tables every time, emptied,
-- then sql/adjacency-triggers.sql. adj_blocks starts NULL, so the first
-- writer that keeps the blocks packs them all (none on a new database;
-- every complete block of a migrated one), and walks seek until then.
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
-- triggers of sql/adjacency-triggers.sql, whatever wrote the edges, and
-- folded back by the next write.
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
DELETE FROM main.lineage_adj;
DELETE FROM main.lineage_adj_dirty;
DELETE FROM main.lineage_adj_long;
INSERT OR REPLACE INTO main.lineage_meta(key, value)
VALUES ('adj_blocks', NULL), ('adj_format', 3);
