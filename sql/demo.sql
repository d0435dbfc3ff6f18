-- demo.sql: a small ML project's lineage, recorded and queried with
-- sqlite-lineage. It follows W&B's lineage page: a raw dataset, a
-- preprocessing step that makes dataset versions, a sweep of training runs
-- (enough of them that W&B would draw a cluster), model versions with the
-- aliases best and prod, and evaluation runs.
--
-- Run it from the repository root, after building:
--
--   sqlite3 :memory: -cmd '.load ./build/lineage' < sql/demo.sql
--
-- It ends by writing the lineage as pictures into the current directory:
-- lineage.html (the interactive page), lineage.svg and lineage.png (Graphviz).
--
-- Every run id and time is fixed, so the output is the same on every run.

.bail on
.headers off
.mode list

.print '== Recording the lineage (each call returns the reference it made or used)'

-- An ingest run registers the raw data: reference entries (the bytes stay
-- in the bucket; the digest is the one the bucket reports).
SELECT run_start('acme/mnist/ingest', 'ingest',
  '{"author":"ana","started_at":"2026-01-05T09:00:00Z"}');
SELECT log_artifact('acme/mnist/ingest', 'mnist-raw', 'raw_data',
  '[{"path":"train-images.gz","ref":"s3://acme-data/mnist/train-images.gz","digest":"9f4aA1bQ","size":9912422},
    {"path":"train-labels.gz","ref":"s3://acme-data/mnist/train-labels.gz","digest":"d53eB7kx","size":28881},
    {"path":"test-images.gz","ref":"s3://acme-data/mnist/test-images.gz","digest":"c8f1Q0zz","size":1648877},
    {"path":"test-labels.gz","ref":"s3://acme-data/mnist/test-labels.gz","digest":"ec29Lm2p","size":4542}]',
  NULL, '{"description":"MNIST as downloaded","created_at":"2026-01-05T09:01:30Z"}');
SELECT run_finish('acme/mnist/ingest', 'finished', '2026-01-05T09:02:00Z');

-- Preprocessing: two runs read the raw data and log two versions of the
-- dataset (the second one removes mislabelled images).
SELECT run_start('acme/mnist/prep-1', 'preprocess',
  '{"author":"ana","config":{"normalize":true},"started_at":"2026-01-05T10:00:00Z"}');
SELECT use_artifact('acme/mnist/prep-1', 'mnist-raw:latest');
SELECT log_artifact('acme/mnist/prep-1', 'mnist', 'dataset',
  '[{"path":"train.csv","digest":"pQ1sYp5bC0lHk3pJ4a6gZA==","size":109870000},
    {"path":"test.csv","digest":"Zx8mWq2rT6dLn0bV5c7eHg==","size":18290000}]',
  NULL, '{"description":"normalized","created_at":"2026-01-05T10:20:00Z"}');
SELECT run_finish('acme/mnist/prep-1', 'finished', '2026-01-05T10:21:00Z');

SELECT run_start('acme/mnist/prep-2', 'preprocess',
  '{"author":"ben","config":{"normalize":true,"drop_mislabelled":true},"started_at":"2026-01-06T08:00:00Z"}');
SELECT use_artifact('acme/mnist/prep-2', 'mnist-raw:v0');
SELECT log_artifact('acme/mnist/prep-2', 'mnist', 'dataset',
  '[{"path":"train.csv","digest":"Uu3rHk9sQm2TfLw6Yb1nXA==","size":109751000},
    {"path":"test.csv","digest":"Zx8mWq2rT6dLn0bV5c7eHg==","size":18290000}]',
  '["clean"]', '{"description":"normalized, 118 mislabelled images dropped","created_at":"2026-01-06T08:25:00Z"}');
SELECT run_finish('acme/mnist/prep-2', 'finished', '2026-01-06T08:26:00Z');

-- A learning-rate sweep: six training runs read mnist:clean. Five log a
-- model version; the best one so far takes the alias "best" (an alias
-- names one version at a time, so it moves). One run crashes.
CREATE TEMP TABLE sweep(run_id, lr, val_acc, aliases, started_at, finished_at, state);
INSERT INTO temp.sweep VALUES
  ('sweep-lr0.1',   0.1,   0.912, '["best"]', '2026-01-07T12:00:00Z', '2026-01-07T12:41:10Z', 'finished'),
  ('sweep-lr0.03',  0.03,  0.957, '["best"]', '2026-01-07T12:00:05Z', '2026-01-07T12:44:30Z', 'finished'),
  ('sweep-lr0.01',  0.01,  0.981, '["best"]', '2026-01-07T12:00:09Z', '2026-01-07T12:47:02Z', 'finished'),
  ('sweep-lr0.003', 0.003, 0.986, '["best"]', '2026-01-07T12:00:14Z', '2026-01-07T12:52:48Z', 'finished'),
  ('sweep-lr0.001', 0.001, 0.975, NULL,       '2026-01-07T12:00:20Z', '2026-01-07T12:58:15Z', 'finished'),
  ('sweep-lr1.0',   1.0,   NULL,  NULL,       '2026-01-07T12:00:26Z', '2026-01-07T12:03:40Z', 'crashed');
SELECT run_start('acme/mnist/' || run_id, 'train',
         json_object('author', 'ana', 'group', 'sweep-7',
                     'config', json_object('lr', lr, 'epochs', 20),
                     'started_at', started_at))
FROM temp.sweep ORDER BY rowid;
SELECT use_artifact('acme/mnist/' || run_id, 'mnist:clean', 'dataset')
FROM temp.sweep ORDER BY rowid;
SELECT log_artifact('acme/mnist/' || run_id, 'cnn', 'model',
         json_array(json_object('path', 'model.pt',
                                'digest', 'w' || replace(lr, '.', '') || '==',
                                'size', 4718592)),
         aliases,
         json_object('metadata', json_object('lr', lr, 'val_acc', val_acc),
                     'created_at', finished_at))
FROM temp.sweep WHERE val_acc IS NOT NULL ORDER BY rowid;
SELECT run_finish('acme/mnist/' || run_id, state, finished_at)
FROM temp.sweep ORDER BY rowid;

-- Evaluation: the best model and the runner-up on the held-out test set.
SELECT run_start('acme/mnist/eval-best', 'evaluate',
  '{"author":"ben","started_at":"2026-01-08T09:00:00Z"}');
SELECT use_artifact('acme/mnist/eval-best', 'cnn:best');
SELECT log_artifact('acme/mnist/eval-best', 'cnn-eval', 'evaluation',
  '[{"path":"report.json","digest":"Ev1aLbEsTq8rW0xY2z4A6g==","size":2048}]',
  NULL, '{"metadata":{"test_acc":0.9851},"created_at":"2026-01-08T09:10:00Z"}');
SELECT run_finish('acme/mnist/eval-best', 'finished', '2026-01-08T09:10:30Z');

SELECT run_start('acme/mnist/eval-runner-up', 'evaluate',
  '{"author":"ben","started_at":"2026-01-08T09:00:10Z"}');
SELECT use_artifact('acme/mnist/eval-runner-up', 'cnn:v2');
SELECT log_artifact('acme/mnist/eval-runner-up', 'cnn-eval', 'evaluation',
  '[{"path":"report.json","digest":"Ev2rUnNeRuP5sK7mJ9hG1w==","size":2051}]',
  NULL, '{"metadata":{"test_acc":0.9802},"created_at":"2026-01-08T09:10:40Z"}');
SELECT run_finish('acme/mnist/eval-runner-up', 'finished', '2026-01-08T09:11:00Z');

-- The best model goes to production.
SELECT artifact_alias('cnn:best', 'prod');

.mode box
.print
.print '== The artifact versions (the panel of an artifact node: lineage_versions)'
SELECT ref, type, aliases, size, file_count AS files, logged_by, created_at
FROM lineage_versions ORDER BY name, version;

.print
.print '== The runs (the panel of a run node: lineage_runs)'
SELECT run_id, job_type, state, author, started_at, duration_s
FROM lineage_runs ORDER BY started_at;

.print
.print '== What went into cnn:best? (lineage_upstream)'
SELECT depth, kind, ref, type, (SELECT ref FROM lineage_upstream('cnn:best') p
                                WHERE p.node_id = u.parent_id) AS reached_from
FROM lineage_upstream('cnn:best') u;

.print
.print '== What did the dataset version mnist:clean contaminate? (lineage_downstream)'
SELECT d.depth, d.kind, d.ref, d.type, d.state, v.aliases
FROM lineage_downstream('mnist:clean') d
LEFT JOIN lineage_versions v ON v.node_id = d.node_id;

.print
.print '== Only the models it reached (WHERE depth <= 2 stops the walk at depth 2)'
SELECT d.ref, v.aliases, json_extract(v.metadata, '$.val_acc') AS val_acc
FROM lineage_downstream('mnist:clean') d
JOIN lineage_versions v ON v.node_id = d.node_id
WHERE d.depth <= 2 AND d.type = 'model';

.print
.print '== The graph around mnist:clean, as the Lineage tab draws it (lineage_clusters)'
SELECT level, kind, ref, type, state, cluster, cluster_size
FROM lineage_clusters('mnist:clean');

.print
.print '== Searching the run cluster at level 1 for learning rates 0.00x'
SELECT c.ref, r.state, json_extract(r.config, '$.lr') AS lr, r.duration_s
FROM lineage_clusters('mnist:clean') c
JOIN lineage_runs r ON r.node_id = c.node_id
WHERE c.cluster = (SELECT cluster FROM lineage_clusters('mnist:clean')
                   WHERE level = 1 AND kind = 'run' LIMIT 1)
  AND c.ref LIKE 'sweep-lr0.00%';

.print
.print '== Pulling sweep-lr0.003 out of the cluster: its own lineage'
SELECT level, kind, ref, type, cluster
FROM lineage_clusters('sweep-lr0.003');

.print
.print '== The picture around mnist:clean (lineage_html, lineage_dot)'
.mode list
.headers off
.once lineage.html
SELECT lineage_html('mnist:clean');
.once '|dot -Tsvg -o lineage.svg'
SELECT lineage_dot('mnist:clean');
.once '|dot -Tpng -Gdpi=110 -o lineage.png'
SELECT lineage_dot('mnist:clean');
.print 'Wrote lineage.html (open it in a browser: drag, zoom, click a node),'
.print 'lineage.svg and lineage.png (drawn by Graphviz dot) in the current directory.'
