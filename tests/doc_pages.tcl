# doc_pages.tcl: the pages of the documentation and their fenced blocks,
# for tests/docs.test (the SQL examples) and tests/snippets.test (the shell,
# Python, Node and Tcl ones). Needs $::root, the repository.

# The pages, in a stable order: README.md first, then docs/*.md.
proc doc_pages {} {
  set pages [list [file join $::root README.md]]
  foreach f [lsort [glob -nocomplain -directory [file join $::root docs] *.md]] {
    lappend pages $f
  }
  set out {}
  foreach f $pages { if {[file exists $f]} { lappend out $f } }
  return $out
}

proc read_file {path} {
  set fd [open $path r]
  fconfigure $fd -encoding utf-8
  set data [read $fd]
  close $fd
  return $data
}

# Split a page into blocks: a list of {kind info firstLine lastLine text}
# where kind is sql, text, file (info: the file's path) or other (info: the
# fence's words, e.g. "sh" or "sh skip"), and the line
# numbers (0-based, of the fences) let the updater replace a block.
proc page_blocks {data} {
  set lines [split $data "\n"]
  set blocks {}
  set n [llength $lines]
  for {set i 0} {$i < $n} {incr i} {
    set l [lindex $lines $i]
    if {![regexp {^```(\S*)\s*(.*)$} $l -> lang rest]} continue
    set body {}
    for {set j [expr {$i+1}]} {$j < $n && [lindex $lines $j] ne "```"} {incr j} {
      lappend body [lindex $lines $j]
    }
    set text [join $body "\n"]
    if {$lang eq "sql"} {
      lappend blocks [list sql {} $i $j $text]
    } elseif {$lang eq "text" && [regexp {^file=(\S+)} $rest -> path]} {
      lappend blocks [list file $path $i $j $text]
    } elseif {$lang eq "text"} {
      lappend blocks [list text {} $i $j $text]
    } else {
      lappend blocks [list other [string trim "$lang $rest"] $i $j $text]
    }
    set i $j
  }
  return $blocks
}
