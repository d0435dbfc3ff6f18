# graph_helpers.tcl: random lineage graphs and a reference breadth-first
# search written in Tcl, for the tests of the walks' options, paths and
# staleness (options.test, path.test, stale.test). Source after tester.tcl.
#
# random_graph builds, with the writers, runs of job types prep/train/eval
# and versions of types data/model, random use_artifact edges and extra
# log_artifact calls of the same contents (dedup: one more producer), so the
# graphs have cycles of every length. load_graph reads it back into Tcl:
# ::OUT(id) / ::IN(id) neighbour lists, ::ATTR(id) {kind type state name}.

proc rnd {n} { expr {int(rand()*$n)} }

# How many random graphs each test builds: 200, or 40 under valgrind
# (LINEAGE_VALGRIND, set by tests.cmake), where every walk costs some 50
# times more and the point is memory errors, not more graphs.
set ::nGraphs [expr {[info exists ::env(LINEAGE_VALGRIND)] ? 40 : 200}]

proc random_graph {g} {
  reset_db
  db eval {PRAGMA synchronous = OFF; PRAGMA journal_mode = MEMORY}
  set nRun [expr {1 + [rnd 8]}]
  set nVer [expr {1 + [rnd 10]}]
  for {set r 0} {$r < $nRun} {incr r} {
    set jt [lindex {prep train eval} [rnd 3]]
    db eval {SELECT run_start('r' || $r, $jt)}
  }
  for {set v 0} {$v < $nVer} {incr v} {
    set run [expr {[rnd 4] == 0 ? "" : "r[rnd $nRun]"}]
    set t [lindex {data model} [rnd 2]]
    set type($v) $t
    set f "\[{\"path\":\"f\",\"digest\":\"g${g}v$v\",\"size\":1}\]"
    set ::files($v) $f
    if {$run eq ""} {
      db eval {SELECT log_artifact(NULL, 'a' || $v, $t, $f)}
    } else {
      db eval {SELECT log_artifact($run, 'a' || $v, $t, $f)}
    }
  }
  set nEdge [rnd [expr {2*($nRun + $nVer)}]]
  for {set e 0} {$e < $nEdge} {incr e} {
    set run "r[rnd $nRun]"
    set v [rnd $nVer]
    if {[rnd 3] == 0} {
      set f $::files($v)
      set t $type($v)
      db eval {SELECT log_artifact($run, 'a' || $v, $t, $f)}
    } else {
      db eval {SELECT use_artifact($run, 'a' || $v || ':v0')}
    }
  }
  # Some runs finish, fail or crash.
  for {set r 0} {$r < $nRun} {incr r} {
    set st [lindex {{} finished failed crashed} [rnd 4]]
    if {$st ne ""} { db eval {SELECT run_finish('r' || $r, $st)} }
  }
  load_graph
}

proc load_graph {} {
  array unset ::OUT; array unset ::IN; array unset ::ATTR
  set ::ids [db eval {SELECT node_id FROM lineage_node ORDER BY node_id}]
  foreach id $::ids { set ::OUT($id) {}; set ::IN($id) {} }
  db eval {SELECT src, dst FROM lineage_edge ORDER BY src, dst} {
    lappend ::OUT($src) $dst
    lappend ::IN($dst) $src
  }
  db eval {SELECT node_id, kind, type, state, name FROM lineage_node} {
    set ::ATTR($node_id) [list $kind $type $state $name]
  }
}

# Does node id match predicate pred (a dict key -> list of values, as the
# walks' stop and prune objects)?
proc pred_match {pred id} {
  if {[llength $pred] == 0} { return 0 }
  lassign $::ATTR($id) kind type state name
  dict for {k vals} $pred {
    switch -- $k {
      kind     { set v $kind }
      type     { set v $type }
      state    { set v $state }
      name     { set v $name }
      job_type { if {$kind ne "run"} { return 0 }; set v $type }
    }
    if {$v ni $vals} { return 0 }
  }
  return 1
}

# Reference BFS: the rows {id depth} of a walk (dir up|down|both) from the
# starts, stopping at nodes matching stop, not entering nodes matching
# prune, at most maxDepth edges (-1: no limit). Sorted by id.
proc ref_bfs {dir starts {stop {}} {prune {}} {maxDepth -1}} {
  array set D {}
  set queue {}
  foreach s $starts {
    if {![info exists D($s)]} { set D($s) 0; lappend queue $s }
  }
  set i 0
  array set isStart {}
  foreach s $starts { set isStart($s) 1 }
  while {$i < [llength $queue]} {
    set u [lindex $queue $i]
    incr i
    if {$D($u) < 0} continue
    if {![info exists isStart($u)] && [pred_match $stop $u]} continue
    if {$maxDepth >= 0 && $D($u) >= $maxDepth} continue
    set nbrs {}
    if {$dir ne "up"} { lappend nbrs {*}$::OUT($u) }
    if {$dir ne "down"} { lappend nbrs {*}$::IN($u) }
    foreach v $nbrs {
      if {[info exists D($v)]} continue
      if {[pred_match $prune $v]} { set D($v) -1; continue }
      set D($v) [expr {$D($u) + 1}]
      lappend queue $v
    }
  }
  set out {}
  foreach id [lsort -integer [array names D]] {
    if {$D($id) >= 0} { lappend out $id $D($id) }
  }
  return $out
}

# A predicate dict as the walks' JSON object.
proc pred_json {pred} {
  set parts {}
  dict for {k vals} $pred {
    set vs {}
    foreach v $vals { lappend vs "\"$v\"" }
    lappend parts "\"$k\":\[[join $vs ,]\]"
  }
  return "{[join $parts ,]}"
}

# A random predicate over the random graphs' values (may be empty).
proc random_pred {} {
  set pred {}
  switch [rnd 6] {
    0 { }
    1 { dict set pred job_type [lindex {{prep} {train eval} {eval}} [rnd 3]] }
    2 { dict set pred type [lindex {{data} {model} {train}} [rnd 3]] }
    3 { dict set pred kind [lindex {{run} {artifact}} [rnd 2]] }
    4 { dict set pred state [lindex {{finished} {running failed} {committed}} [rnd 3]] }
    5 { dict set pred kind {artifact}; dict set pred name [list a[rnd 5] a[rnd 5]] }
  }
  return $pred
}

# The lineage of sql/demo.sql (W&B's pipeline: raw data, preprocessing, a
# training sweep, models with best and prod, evaluation), recorded into a
# fresh database: the script up to and with its last write, without the
# shell's dot-commands.
proc demo_db {} {
  reset_db
  set fd [open [file join $::testdir .. sql demo.sql]]
  set sql {}
  foreach line [split [read $fd] "\n"] {
    if {[string match .* $line]} continue
    append sql $line "\n"
    if {[string match "SELECT artifact_alias('cnn:best', 'prod');*" $line]} break
  }
  close $fd
  db eval $sql
  load_graph
}
