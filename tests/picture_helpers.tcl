# picture_helpers.tcl: what the pictures_*.test files share: hand-made
# graphs, rendering DOT with the real Graphviz, and counting a walk's nodes
# and edges independently of the pictures. Source it after tester.tcl.

# A pipeline with fixed times (ids in brackets):
#   prep [1] -> data:v0 [2] -> train [3] -> model:v0 [4] -> eval [5] -> report:v0 [6]
proc make_pipeline {} {
  db eval {
    SELECT run_start('prep', 'preprocess', '{"author":"ana","started_at":"2026-01-01T08:00:00Z"}');
    SELECT log_artifact('prep', 'data', 'dataset', '[{"path":"d.csv","digest":"d0","size":100}]',
                        '["clean"]', '{"description":"the data","created_at":"2026-01-01T08:10:00Z"}');
    SELECT run_finish('prep', 'finished', '2026-01-01T08:10:30Z');
    SELECT run_start('train', 'train', '{"name":"Train main","author":"ben","started_at":"2026-01-02T08:00:00Z"}');
    SELECT use_artifact('train', 'data:v0');
    SELECT log_artifact('train', 'model', 'model', '[{"path":"m.pt","digest":"m0","size":2000}]',
                        '["best"]', '{"created_at":"2026-01-02T09:00:00Z"}');
    SELECT run_finish('train', 'finished', '2026-01-02T09:00:00Z');
    SELECT run_start('eval', 'evaluate', '{"started_at":"2026-01-03T08:00:00Z"}');
    SELECT use_artifact('eval', 'model:best');
    SELECT log_artifact('eval', 'report', 'evaluation', '[{"path":"r.json","digest":"r0","size":10}]',
                        NULL, '{"created_at":"2026-01-03T08:05:00Z"}');
  }
}

# Five more training runs sweep-1..5 [7 9 11 13 15] read data:v0 and log
# model:v1..v5 [8 10 12 14 16]: with train, six runs at level 1 of data:v0
# and six model versions at level 2, two clusters.
proc make_sweep {} {
  for {set k 1} {$k <= 5} {incr k} {
    db eval {
      SELECT run_start('sweep-' || $k, 'train', '{"started_at":"2026-01-04T08:00:00Z"}');
      SELECT use_artifact('sweep-' || $k, 'data:v0');
      SELECT log_artifact('sweep-' || $k, 'model', 'model',
                          json_array(json_object('path', 'm.pt', 'digest', 'm' || $k)),
                          NULL, '{"created_at":"2026-01-04T09:00:00Z"}');
    }
  }
}

# Render DOT text with Graphviz: {exit-status node-groups edge-groups}.
proc dot_render {dot} {
  set path [testpath render.dot]
  set f [open $path w]
  fconfigure $f -encoding utf-8 -translation lf
  puts -nonewline $f $dot
  close $f
  set rc [catch {exec dot -Tsvg $path 2>@1} svg]
  if {$rc} { return [list $rc $svg] }
  list 0 [regexp -all {<g id="node\d+" class="node">} $svg] \
         [regexp -all {<g id="edge\d+" class="edge">} $svg]
}

# Every DOT output a test makes also goes through this: it must render
# with dot and draw the boxes and edges expected.
proc do_dot_render_test {name dot nBox nEdge} {
  set got [dot_render $dot]
  report $name [expr {$got eq [list 0 $nBox $nEdge]}] $got [list 0 $nBox $nEdge]
}

# The walk's own counts, from lineage_clusters and lineage_edge (not from
# the pictures): {nodes edges} within max_depth (-1: none).
proc walk_counts {start {maxDepth -1}} {
  set md [expr {$maxDepth < 0 ? "NULL" : $maxDepth}]
  db eval "
    SELECT (SELECT count(*) FROM lineage_clusters(\$start, $md)),
           (SELECT count(*) FROM main.lineage_edge
            WHERE src IN (SELECT node_id FROM lineage_clusters(\$start, $md))
              AND dst IN (SELECT node_id FROM lineage_clusters(\$start, $md)))"
}

# A JSON output's counts: {valid nodes edges clusters}.
proc json_counts {json} {
  db eval {
    SELECT json_valid($json), json_array_length($json, '$.nodes'),
           json_array_length($json, '$.edges'), json_array_length($json, '$.clusters')
  }
}
