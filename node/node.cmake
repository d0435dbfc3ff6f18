# node/node.cmake: lineage-node, a dqlite node with sqlite-lineage in
# replicated mode, and the cluster tests (tests/cluster/). Included by
# CMakeLists.txt; off unless configured with -DLINEAGE_DQLITE=ON, and then
# built only when libdqlite (Debian: libdqlite-dev) is found.
option(LINEAGE_DQLITE "build lineage-node and its cluster tests (libdqlite)" OFF)
if(LINEAGE_DQLITE)
  find_package(PkgConfig)
  if(PkgConfig_FOUND)
    pkg_check_modules(DQLITE IMPORTED_TARGET dqlite)
  endif()
  if(NOT DQLITE_FOUND)
    message(WARNING "LINEAGE_DQLITE=ON but libdqlite was not found "
                    "(apt-get install libdqlite-dev): lineage-node is not built")
  else()
    find_package(Threads REQUIRED)
    add_executable(lineage-node node/lineage_node.c node/join.c)
    target_compile_definitions(lineage-node PRIVATE
                               LINEAGE_VERSION="${LINEAGE_VERSION}")
    target_link_libraries(lineage-node lineage_static PkgConfig::DQLITE
                          ${SQLite3_LIBRARIES} Threads::Threads)
    set_target_properties(lineage-node PROPERTIES
                          RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}")

    # Each test starts its own nodes on loopback ports of its own, stops
    # them by pid, and is bounded in time by TIMEOUT.
    if(PYTHON3)
      foreach(t cli formation demo refusals failover)
        add_test(NAME cluster_${t}
                 COMMAND ${PYTHON3} "${CMAKE_SOURCE_DIR}/tests/cluster/test_${t}.py")
        set_tests_properties(cluster_${t} PROPERTIES TIMEOUT 240
          ENVIRONMENT "LINEAGE_NODE=$<TARGET_FILE:lineage-node>;LINEAGE_EXT=$<TARGET_FILE_DIR:lineage>/lineage;LINEAGE_TMP=${CMAKE_BINARY_DIR}/testdb;LINEAGE_SOURCE=${CMAKE_SOURCE_DIR}")
      endforeach()
    endif()
  endif()
endif()
