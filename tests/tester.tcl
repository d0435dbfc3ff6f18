# tester.tcl: a small test harness in the style of SQLite's tester.tcl.
#
#   source [file join [file dirname [info script]] tester.tcl]
#   reset_db                                 ;# fresh database, extension loaded
#   do_execsql_test name {SQL} {expected rows, flattened}
#   do_catchsql_test name {SQL} {1 {lineage: error message}}
#   do_test name {Tcl script} {expected result}
#   finish_test                              ;# "N passed, N failed"; exit 1 on failure
#
# The extension is the file named by $env(LINEAGE_EXT) (default
# build/lineage beside this folder). Each test file runs in its own tclsh and
# its own scratch folder (LINEAGE_TMP, default build/testdb).
package require sqlite3

set ::testdir [file dirname [file normalize [info script]]]
if {[info exists env(LINEAGE_EXT)]} {
  set ::ext [file normalize $env(LINEAGE_EXT)]
} else {
  set ::ext [file normalize [file join $::testdir .. build lineage]]
}
if {[info exists env(LINEAGE_TMP)]} {
  set ::tmpdir [file normalize $env(LINEAGE_TMP)]
} else {
  set ::tmpdir [file normalize [file join $::testdir .. build testdb]]
}
file mkdir $::tmpdir
set ::testfile [file rootname [file tail [info script]]]
if {[info exists ::argv0]} { set ::testfile [file rootname [file tail $::argv0]] }
set ::nPass 0
set ::nFail 0
set ::failed {}

# The path of a scratch file private to this test file.
proc testpath {name} {
  return [file join $::tmpdir "$::testfile-$name"]
}

# Open (or reopen) connection $cmd on $file with the extension loaded.
proc open_db {cmd file} {
  catch {$cmd close}
  sqlite3 $cmd $file
  $cmd enable_load_extension 1
  $cmd eval {SELECT load_extension($::ext)}
  return $cmd
}

# A fresh, empty database "test.db" as connection db.
proc reset_db {{cmd db}} {
  catch {$cmd close}
  set f [testpath test.db]
  foreach suffix {"" -journal -wal -shm} { file delete -force $f$suffix }
  open_db $cmd $f
}

proc report {name ok got expected} {
  if {$ok} {
    incr ::nPass
  } else {
    incr ::nFail
    lappend ::failed $name
    puts "! $name expected: \[$expected\]"
    puts "! $name got:      \[$got\]"
  }
}

proc do_test {name script expected} {
  if {[catch {uplevel 1 $script} got]} {
    set got "error: $got"
  }
  report $name [expr {$got eq $expected}] $got $expected
}

proc do_execsql_test {name sql expected {cmd db}} {
  if {[catch {uplevel 1 [list $cmd eval $sql]} got]} {
    set got "error: $got"
  }
  report $name [expr {$got eq [list {*}$expected]}] $got $expected
}

proc do_catchsql_test {name sql expected {cmd db}} {
  set rc [catch {uplevel 1 [list $cmd eval $sql]} got]
  set got [list $rc $got]
  report $name [expr {$got eq [list {*}$expected]}] $got $expected
}

# An error's message must start with "lineage: " and contain every part.
proc do_error_test {name sql args} {
  set rc [catch {uplevel 1 [list db eval $sql]} got]
  set ok [expr {$rc==1 && [string match "lineage: *" $got]}]
  foreach part $args {
    if {[string first $part $got]<0} { set ok 0 }
  }
  report $name $ok [list $rc $got] "1 {lineage: ... $args}"
}

proc finish_test {} {
  catch {db close}
  if {$::nFail} { puts "failed: $::failed" }
  puts "$::nPass passed, $::nFail failed"
  exit [expr {$::nFail ? 1 : 0}]
}
