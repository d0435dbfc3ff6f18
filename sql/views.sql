-- sqlite-lineage views, schema version 2.
--
-- Run after sql/schema.sql on a new database, and again after the
-- migration steps (sql/migrate-*.sql): the views are derived from the
-- tables, so a migration drops them all and this file makes them anew.

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
       e.created_at, e.requested
FROM lineage_edge e
JOIN lineage_node s ON s.node_id = e.src
JOIN lineage_node d ON d.node_id = e.dst;

-- Every alias assignment (sql/schema.sql: lineage_alias_assignment).
CREATE VIEW main.lineage_alias_history AS
SELECT h.project, h.name, h.alias, n.name || ':v' || n.version AS ref,
       h.assigned_at, h.removed_at, h.how, h.removed_how
FROM lineage_alias_assignment h JOIN lineage_node n ON n.node_id = h.node_id;
