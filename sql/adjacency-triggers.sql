-- sqlite-lineage: the three triggers that keep the walks' packed adjacency
-- exact (schema version 2; sql/adjacency.sql makes the tables they fill).
--
-- Run after sql/adjacency.sql, and by the first writer on a database whose
-- lineage_meta.adj_triggers is not 2 (an earlier release's triggers, which
-- recorded the same nodes at a higher cost): the same three triggers, made
-- anew. Plain SQL, so they fire whatever writes the edges, with the
-- extension loaded or not. Each records in lineage_adj_dirty every packed
-- node (below adj_blocks * 256) whose list an INSERT, DELETE or UPDATE of
-- lineage_edge changed: one row per node and direction (0 upstream: the
-- edge's dst; 1 downstream: its src). An edge at or above a long list's
-- bound changes no packed list, so it is skipped: a new use of a hub marks
-- nothing. The skip asks for adj_format 3, so a release that packs no long
-- lists and resets adj_format gets every change marked.
--
-- ON CONFLICT DO NOTHING, an upsert, for a node already dirty: SQLite lets
-- an INSERT OR ABORT (or FAIL, ROLLBACK, REPLACE) into lineage_edge impose
-- its conflict handling on an INSERT OR IGNORE in the trigger, but not on an
-- upsert. And the rows are a UNION ALL, and the SELECT does not read
-- lineage_adj_dirty, so SQLite opens no temporary table for them: the
-- earlier triggers (a UNION, whose rows SQLite keeps apart in one, and NOT
-- EXISTS on lineage_adj_dirty, for which their INSERT ... SELECT first
-- copied its rows into another) cost 70,000 instructions an edge inserted,
-- these 19,000.
DROP TRIGGER IF EXISTS main.lineage_edge_adj_insert;
DROP TRIGGER IF EXISTS main.lineage_edge_adj_delete;
DROP TRIGGER IF EXISTS main.lineage_edge_adj_update;
CREATE TRIGGER main.lineage_edge_adj_insert AFTER INSERT ON lineage_edge BEGIN
  INSERT INTO lineage_adj_dirty(node_key)
  SELECT id*2 + dir FROM (SELECT NEW.src AS id, 1 AS dir, NEW.dst AS other
                          UNION ALL SELECT NEW.dst, 0, NEW.src)
  WHERE id >= 0 AND id < (SELECT value FROM lineage_meta
                          WHERE key = 'adj_blocks') * 256
    AND NOT EXISTS (SELECT 1 FROM lineage_adj_long
                    WHERE node_key = id*2 + dir AND other >= bound
                      AND (SELECT value FROM lineage_meta
                           WHERE key = 'adj_format') = 3)
  ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER main.lineage_edge_adj_delete AFTER DELETE ON lineage_edge BEGIN
  INSERT INTO lineage_adj_dirty(node_key)
  SELECT id*2 + dir FROM (SELECT OLD.src AS id, 1 AS dir, OLD.dst AS other
                          UNION ALL SELECT OLD.dst, 0, OLD.src)
  WHERE id >= 0 AND id < (SELECT value FROM lineage_meta
                          WHERE key = 'adj_blocks') * 256
    AND NOT EXISTS (SELECT 1 FROM lineage_adj_long
                    WHERE node_key = id*2 + dir AND other >= bound
                      AND (SELECT value FROM lineage_meta
                           WHERE key = 'adj_format') = 3)
  ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER main.lineage_edge_adj_update AFTER UPDATE OF src, dst
ON lineage_edge BEGIN
  INSERT INTO lineage_adj_dirty(node_key)
  SELECT id*2 + dir FROM (SELECT OLD.src AS id, 1 AS dir, OLD.dst AS other
                          UNION ALL SELECT OLD.dst, 0, OLD.src
                          UNION ALL SELECT NEW.src, 1, NEW.dst
                          UNION ALL SELECT NEW.dst, 0, NEW.src)
  WHERE id >= 0 AND id < (SELECT value FROM lineage_meta
                          WHERE key = 'adj_blocks') * 256
    AND NOT EXISTS (SELECT 1 FROM lineage_adj_long
                    WHERE node_key = id*2 + dir AND other >= bound
                      AND (SELECT value FROM lineage_meta
                           WHERE key = 'adj_format') = 3)
  ON CONFLICT DO NOTHING;
END;
INSERT OR REPLACE INTO main.lineage_meta(key, value) VALUES ('adj_triggers', 2);
