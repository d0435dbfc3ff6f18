# writer_helpers.tcl: helpers shared by the writer-side tests
# (versions, aliases, dedup, digest, validation, refs, delete, errors,
# atomicity, security, registration). Source it after tester.tcl.

# Everything the extension stores, as one list: the schema and every row of
# every lineage table in primary-key order. Two equal dumps mean nothing
# changed. Works before the first write (the tables do not exist yet).
proc lineage_dump {{cmd db}} {
  set out [$cmd eval {SELECT type, name, sql FROM sqlite_schema ORDER BY name}]
  foreach {t order} {
    lineage_meta key lineage_node node_id lineage_run node_id
    lineage_version node_id lineage_alias {project, name, alias}
    lineage_file {node_id, path} lineage_edge {src, dst}
    lineage_alias_assignment assignment_id
  } {
    if {[$cmd exists {SELECT 1 FROM sqlite_schema WHERE name=$t}]} {
      lappend out $t [$cmd eval "SELECT * FROM $t ORDER BY $order"]
    }
  }
  return $out
}

# Write bytes to a scratch file (binary, no newline added); returns its path.
proc write_file {name bytes} {
  set path [testpath $name]
  set f [open $path wb]
  puts -nonewline $f $bytes
  close $f
  return $path
}

# The MD5 of a file's bytes, computed outside the extension (md5sum), as hex.
proc md5_hex_file {path} {
  return [lindex [exec md5sum $path] 0]
}

# W&B's md5_file_b64: base64 of the raw MD5 of the file's bytes.
proc md5_b64_file {path} {
  return [binary encode base64 [binary format H* [md5_hex_file $path]]]
}

# The hex MD5 of a byte string (through a scratch file and md5sum).
proc md5_hex_bytes {bytes} {
  return [md5_hex_file [write_file md5-input.bin $bytes]]
}

# The W&B manifest digest of a list of {path digest} pairs, computed in Tcl:
# header, then "path:digest\n" sorted by path in byte order (lsort on the
# UTF-8 bytes).
proc manifest_digest {entries} {
  set rows {}
  foreach {p d} $entries {
    lappend rows [list [encoding convertto utf-8 $p] [encoding convertto utf-8 $d]]
  }
  set text "wandb-artifact-manifest-v1\n"
  foreach row [lsort -ascii -index 0 $rows] {
    append text "[lindex $row 0]:[lindex $row 1]\n"
  }
  return [md5_hex_bytes $text]
}

# Run a failing SQL statement and check both that it fails with exactly
# $msg and that it changed nothing stored. Records one assertion.
proc do_nochange_error_test {name sql msg {cmd db}} {
  set before [lineage_dump $cmd]
  set rc [catch {uplevel 1 [list $cmd eval $sql]} got]
  set after [lineage_dump $cmd]
  set res [list $rc $got]
  if {$before ne $after} { lappend res "DATABASE CHANGED" }
  report $name [expr {$res eq [list 1 $msg]}] $res [list 1 $msg]
}
