-- sqlite-lineage: the three triggers that keep the walks' packed adjacency
-- exact (schema version 2; sql/adjacency.sql makes the tables they fill).
--
-- Run after sql/adjacency.sql, and by the first writer on a database whose
-- lineage_meta.adj_triggers is not 2 (an earlier release's triggers, which
-- recorded the same nodes at a higher cost): the same three triggers, made
-- anew. Plain SQL, so they fire whatever writes the edges, with the
-- extension loaded or not. Each records in lineage_adj_dirty every packed
-- node (below adj_blocks * 256) whose list an INSERT, DELETE or UPDATE of
-- lineage_edge changed: one INSERT per node and direction (0 upstream: the
-- edge's dst; 1 downstream: its src). An edge at or above a long list's
-- bound changes no packed list, so it is skipped: a new use of a hub marks
-- nothing. The skip asks for adj_format 3, so a release that packs no long
-- lists and resets adj_format gets every change marked.
--
-- ON CONFLICT DO NOTHING, an upsert, for a node already dirty: SQLite lets
-- an INSERT OR ABORT (or FAIL, ROLLBACK, REPLACE) into lineage_edge impose
-- its conflict handling on an INSERT OR IGNORE in the trigger, but not on an
-- upsert. And these one-row SELECTs read neither lineage_adj_dirty nor a
-- compound SELECT, so SQLite opens no temporary table for them: the earlier
-- triggers (one UNION of the rows, and NOT EXISTS on lineage_adj_dirty) cost
-- 70,000 instructions an edge inserted, these 20,000.
DROP TRIGGER IF EXISTS main.lineage_edge_adj_insert;
DROP TRIGGER IF EXISTS main.lineage_edge_adj_delete;
DROP TRIGGER IF EXISTS main.lineage_edge_adj_update;
CREATE TRIGGER main.lineage_edge_adj_insert AFTER INSERT ON lineage_edge BEGIN
  INSERT INTO lineage_adj_dirty(node_key)
  SELECT NEW.src*2 + 1
  WHERE NEW.src >= 0 AND NEW.src < (SELECT value FROM lineage_meta
                                WHERE key = 'adj_blocks') * 256
    AND NOT EXISTS (SELECT 1 FROM lineage_adj_long
                    WHERE node_key = NEW.src*2 + 1 AND NEW.dst >= bound
                      AND (SELECT value FROM lineage_meta
                           WHERE key = 'adj_format') = 3)
  ON CONFLICT DO NOTHING;
  INSERT INTO lineage_adj_dirty(node_key)
  SELECT NEW.dst*2 + 0
  WHERE NEW.dst >= 0 AND NEW.dst < (SELECT value FROM lineage_meta
                                WHERE key = 'adj_blocks') * 256
    AND NOT EXISTS (SELECT 1 FROM lineage_adj_long
                    WHERE node_key = NEW.dst*2 + 0 AND NEW.src >= bound
                      AND (SELECT value FROM lineage_meta
                           WHERE key = 'adj_format') = 3)
  ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER main.lineage_edge_adj_delete AFTER DELETE ON lineage_edge BEGIN
  INSERT INTO lineage_adj_dirty(node_key)
  SELECT OLD.src*2 + 1
  WHERE OLD.src >= 0 AND OLD.src < (SELECT value FROM lineage_meta
                                WHERE key = 'adj_blocks') * 256
    AND NOT EXISTS (SELECT 1 FROM lineage_adj_long
                    WHERE node_key = OLD.src*2 + 1 AND OLD.dst >= bound
                      AND (SELECT value FROM lineage_meta
                           WHERE key = 'adj_format') = 3)
  ON CONFLICT DO NOTHING;
  INSERT INTO lineage_adj_dirty(node_key)
  SELECT OLD.dst*2 + 0
  WHERE OLD.dst >= 0 AND OLD.dst < (SELECT value FROM lineage_meta
                                WHERE key = 'adj_blocks') * 256
    AND NOT EXISTS (SELECT 1 FROM lineage_adj_long
                    WHERE node_key = OLD.dst*2 + 0 AND OLD.src >= bound
                      AND (SELECT value FROM lineage_meta
                           WHERE key = 'adj_format') = 3)
  ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER main.lineage_edge_adj_update AFTER UPDATE OF src, dst
ON lineage_edge BEGIN
  INSERT INTO lineage_adj_dirty(node_key)
  SELECT OLD.src*2 + 1
  WHERE OLD.src >= 0 AND OLD.src < (SELECT value FROM lineage_meta
                                WHERE key = 'adj_blocks') * 256
    AND NOT EXISTS (SELECT 1 FROM lineage_adj_long
                    WHERE node_key = OLD.src*2 + 1 AND OLD.dst >= bound
                      AND (SELECT value FROM lineage_meta
                           WHERE key = 'adj_format') = 3)
  ON CONFLICT DO NOTHING;
  INSERT INTO lineage_adj_dirty(node_key)
  SELECT OLD.dst*2 + 0
  WHERE OLD.dst >= 0 AND OLD.dst < (SELECT value FROM lineage_meta
                                WHERE key = 'adj_blocks') * 256
    AND NOT EXISTS (SELECT 1 FROM lineage_adj_long
                    WHERE node_key = OLD.dst*2 + 0 AND OLD.src >= bound
                      AND (SELECT value FROM lineage_meta
                           WHERE key = 'adj_format') = 3)
  ON CONFLICT DO NOTHING;
  INSERT INTO lineage_adj_dirty(node_key)
  SELECT NEW.src*2 + 1
  WHERE NEW.src >= 0 AND NEW.src < (SELECT value FROM lineage_meta
                                WHERE key = 'adj_blocks') * 256
    AND NOT EXISTS (SELECT 1 FROM lineage_adj_long
                    WHERE node_key = NEW.src*2 + 1 AND NEW.dst >= bound
                      AND (SELECT value FROM lineage_meta
                           WHERE key = 'adj_format') = 3)
  ON CONFLICT DO NOTHING;
  INSERT INTO lineage_adj_dirty(node_key)
  SELECT NEW.dst*2 + 0
  WHERE NEW.dst >= 0 AND NEW.dst < (SELECT value FROM lineage_meta
                                WHERE key = 'adj_blocks') * 256
    AND NOT EXISTS (SELECT 1 FROM lineage_adj_long
                    WHERE node_key = NEW.dst*2 + 0 AND NEW.src >= bound
                      AND (SELECT value FROM lineage_meta
                           WHERE key = 'adj_format') = 3)
  ON CONFLICT DO NOTHING;
END;
INSERT OR REPLACE INTO main.lineage_meta(key, value) VALUES ('adj_triggers', 2);
