# tests/tests.cmake: the tests that ctest runs (included by CMakeLists.txt).
#
# Every tests/*.test is a Tcl script run by tclsh against build/lineage.so;
# the loading tests drive the sqlite3 shell and Python; static_demo links the
# static build.
find_program(TCLSH NAMES tclsh tclsh8.6 REQUIRED)
find_program(SQLITE3_SHELL NAMES sqlite3)
find_program(PYTHON3 NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)

# LINEAGE_VALGRIND=ON runs each test host under valgrind's memcheck: any
# memory error or definite leak fails the test.
option(LINEAGE_VALGRIND "run the tests under valgrind" OFF)
set(LAUNCH "")
if(LINEAGE_VALGRIND)
  find_program(VALGRIND valgrind REQUIRED)
  set(LAUNCH ${VALGRIND} -q --error-exitcode=99 --leak-check=full
      --errors-for-leak-kinds=definite --show-leak-kinds=definite)
endif()

set(LINEAGE_TEST_ENV
  "LINEAGE_EXT=$<TARGET_FILE_DIR:lineage>/lineage"
  "LINEAGE_TMP=${CMAKE_BINARY_DIR}/testdb"
  "LINEAGE_SOURCE=${CMAKE_SOURCE_DIR}")

file(GLOB LINEAGE_TCL_TESTS CONFIGURE_DEPENDS "${CMAKE_SOURCE_DIR}/tests/*.test")
foreach(t ${LINEAGE_TCL_TESTS})
  get_filename_component(name "${t}" NAME_WE)
  add_test(NAME ${name} COMMAND ${LAUNCH} ${TCLSH} "${t}")
  set_tests_properties(${name} PROPERTIES ENVIRONMENT "${LINEAGE_TEST_ENV}")
endforeach()
# Under valgrind (~50 times slower) the packed blocks' random test walks 8
# graphs instead of 200; the other passes run all of them.
if(LINEAGE_VALGRIND)
  set_tests_properties(adjacency PROPERTIES ENVIRONMENT
                       "${LINEAGE_TEST_ENV};LINEAGE_ADJ_GRAPHS=8")
endif()

add_test(NAME static_demo COMMAND ${LAUNCH} $<TARGET_FILE:lineage_static_demo>)

if(SQLITE3_SHELL AND NOT LINEAGE_VALGRIND)
  add_test(NAME load_shell COMMAND sh "${CMAKE_SOURCE_DIR}/tests/load_shell.sh"
           ${SQLITE3_SHELL})
  set_tests_properties(load_shell PROPERTIES ENVIRONMENT "${LINEAGE_TEST_ENV}")
endif()
if(PYTHON3)
  add_test(NAME load_python COMMAND ${LAUNCH} ${PYTHON3} "${CMAKE_SOURCE_DIR}/tests/load_python.py")
  set_tests_properties(load_python PROPERTIES ENVIRONMENT "${LINEAGE_TEST_ENV}")
endif()

# The allocation-fault test (tests/fault.c): fails every allocation in turn
# in each scenario, linked like static_demo. Under valgrind it tests a
# sample of the fault points (LINEAGE_VALGRIND=1), the full run being slow.
add_executable(lineage_fault tests/fault.c)
target_include_directories(lineage_fault PRIVATE ${SQLite3_INCLUDE_DIRS})
target_link_libraries(lineage_fault lineage_static ${SQLite3_LIBRARIES})
add_test(NAME fault COMMAND ${LAUNCH} $<TARGET_FILE:lineage_fault>)
if(LINEAGE_VALGRIND)
  set_tests_properties(fault PROPERTIES ENVIRONMENT "LINEAGE_VALGRIND=1")
endif()
