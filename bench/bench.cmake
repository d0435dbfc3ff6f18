# bench/bench.cmake: the benchmark (included by CMakeLists.txt).
#
# lineage_bench generates lineage graphs (through the extension's functions
# or plain INSERTs of the same rows) and times lineage_upstream/downstream/
# clusters against recursive CTEs and a bare in-memory BFS. It links the
# system libsqlite3 and loads build/lineage.so with sqlite3_load_extension.
# bench/run.sh runs it at every size and writes docs/performance.md and
# docs/performance.png; ctest runs it at 10k nodes in --check mode.
# ext/md5.c is compiled in (as part of an application: SQLITE_CORE) for the
# digests the bulk path writes.
function(lineage_bench_program name main)
  add_executable(${name} ${main} bench/generate.c ext/md5.c)
  add_dependencies(${name} lineage_schema_h lineage)
  target_include_directories(${name} PRIVATE bench ext
                             "${CMAKE_BINARY_DIR}/generated" ${SQLite3_INCLUDE_DIRS})
  target_compile_definitions(${name} PRIVATE SQLITE_CORE
    BENCH_DEFAULT_EXT="$<TARGET_FILE:lineage>" LINEAGE_VERSION="${LINEAGE_VERSION}")
  target_link_libraries(${name} ${SQLite3_LIBRARIES} m)
endfunction()
lineage_bench_program(lineage_bench bench/lineage_bench.c)

# The smoke test: every method must agree on the 10k graphs (written through
# the functions and compared with the bulk path); no timing is asserted.
add_test(NAME bench_smoke
         COMMAND lineage_bench --check --sizes 10k
                 --dir "${CMAKE_BINARY_DIR}/bench-smoke"
                 --ext "$<TARGET_FILE:lineage>")
set_tests_properties(bench_smoke PROPERTIES TIMEOUT 120)

# The pictures' benchmark (bench/pictures_bench.c): edge crossings of the
# layout against Graphviz dot, and each format's cost on the 10k graphs.
# bench/run.sh runs it when dot is installed.
lineage_bench_program(lineage_bench_pictures bench/pictures_bench.c)
# Its smoke test: the crossings at 100 and 300 nodes, at most twice dot's
# (a property of the layout, not a timing); skipped without Graphviz.
find_program(DOT_PROGRAM dot)
if(DOT_PROGRAM)
  add_test(NAME bench_pictures_smoke
           COMMAND lineage_bench_pictures --sizes 100,300 --func-size 0
                   --dir "${CMAKE_BINARY_DIR}/bench-smoke"
                   --ext "$<TARGET_FILE:lineage>")
  set_tests_properties(bench_pictures_smoke PROPERTIES TIMEOUT 120)
endif()

# questions_bench: the multi-start walk and lineage_stale against the CTEs a
# user would write (bench/questions_bench.c); run by hand:
#   build/questions_bench --sizes 10k,100k --dir build/bench
lineage_bench_program(questions_bench bench/questions_bench.c)
