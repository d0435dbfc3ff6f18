# tcl_sqlite3_check.tcl: exits 0 when this tclsh has the sqlite3 package
# (Debian: libsqlite3-tcl), which every tests/*.test needs. Run by
# tests/tests.cmake at configure time.
if {[catch {package require sqlite3}]} { exit 1 }
exit 0
