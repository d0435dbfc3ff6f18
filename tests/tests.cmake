# tests/tests.cmake: the tests that ctest runs (included by CMakeLists.txt).
#
# Every tests/*.test is a Tcl script run by tclsh against build/lineage.so;
# the loading tests drive the sqlite3 shell and Python; static_demo links the
# static build. Configure checks each host the tests need: one that is
# missing turns its tests off, with a message naming the Debian package,
# and the extension still builds.
find_program(TCLSH NAMES tclsh tclsh8.6)
find_program(SQLITE3_SHELL NAMES sqlite3)
find_program(PYTHON3 NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
find_program(PKG_CONFIG NAMES pkg-config pkgconf)
set(LINEAGE_TESTS_OFF "")
macro(lineage_tests_off what package)
  list(APPEND LINEAGE_TESTS_OFF "${what} (install ${package})")
endmacro()

set(LINEAGE_TCL_OK OFF)
if(NOT TCLSH)
  lineage_tests_off("tests/*.test: no tclsh" "tcl")
else()
  execute_process(COMMAND "${TCLSH}" INPUT_FILE "${CMAKE_SOURCE_DIR}/tests/tcl_sqlite3_check.tcl"
                  RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
  if(rc EQUAL 0)
    set(LINEAGE_TCL_OK ON)
  else()
    lineage_tests_off("tests/*.test: ${TCLSH} has no sqlite3 package" "libsqlite3-tcl")
  endif()
endif()
if(PYTHON3)
  execute_process(COMMAND "${PYTHON3}" -c
    "import sqlite3; sqlite3.connect(':memory:').enable_load_extension(True)"
    RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
  if(NOT rc EQUAL 0)
    set(PYTHON3 "")
    lineage_tests_off("load_python: /usr/bin/python3 cannot load extensions" "python3")
  endif()
else()
  lineage_tests_off("load_python: no /usr/bin/python3" "python3")
endif()
if(NOT SQLITE3_SHELL)
  lineage_tests_off("load_shell: no sqlite3 shell" "sqlite3")
endif()
if(NOT PKG_CONFIG)
  lineage_tests_off("install: no pkg-config" "pkgconf")
endif()
# The docs' snippets also make a venv and pip-install the Python package.
set(LINEAGE_SNIPPETS_OK OFF)
if(PYTHON3 AND SQLITE3_SHELL AND PKG_CONFIG)
  execute_process(COMMAND "${PYTHON3}" -c "import ensurepip, setuptools, wheel"
                  RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
  if(rc EQUAL 0)
    set(LINEAGE_SNIPPETS_OK ON)
  else()
    lineage_tests_off("snippets: python3 cannot make a venv with setuptools and wheel"
                      "python3-venv python3-setuptools python3-wheel python3-pip")
  endif()
else()
  lineage_tests_off("snippets: needs the sqlite3 shell, python3 and pkg-config"
                    "sqlite3 python3 pkgconf")
endif()

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
# Under valgrind, tests that loop over many random graphs take a sample
# (random.test; graph_helpers.tcl builds 40 graphs instead of 200).
if(LINEAGE_VALGRIND)
  list(APPEND LINEAGE_TEST_ENV "LINEAGE_VALGRIND=1")
endif()

file(GLOB LINEAGE_TCL_TESTS CONFIGURE_DEPENDS "${CMAKE_SOURCE_DIR}/tests/*.test")
if(LINEAGE_TCL_OK)
  foreach(t ${LINEAGE_TCL_TESTS})
    get_filename_component(name "${t}" NAME_WE)
    # The docs' snippets build a copy of the project with the system's
    # tools: nothing a sanitizer or valgrind build checks differently.
    if(name STREQUAL "snippets" AND (LINEAGE_SANITIZE OR LINEAGE_VALGRIND
                                     OR NOT LINEAGE_SNIPPETS_OK))
      continue()
    endif()
    add_test(NAME ${name} COMMAND ${LAUNCH} ${TCLSH} "${t}")
    set_tests_properties(${name} PROPERTIES ENVIRONMENT "${LINEAGE_TEST_ENV}")
  endforeach()
endif()

add_test(NAME static_demo COMMAND ${LAUNCH} $<TARGET_FILE:lineage_static_demo>)

if(SQLITE3_SHELL AND NOT LINEAGE_VALGRIND)
  add_test(NAME load_shell COMMAND sh "${CMAKE_SOURCE_DIR}/tests/load_shell.sh"
           ${SQLITE3_SHELL})
  set_tests_properties(load_shell PROPERTIES ENVIRONMENT "${LINEAGE_TEST_ENV}")
endif()
if(PYTHON3)
  # The Python package's module imports from the tree, with no library built
  # (CI installs the package and runs the same script on it).
  add_test(NAME python_package_source COMMAND ${PYTHON3}
           "${CMAKE_SOURCE_DIR}/tests/python_package.py" --source)
  add_test(NAME load_python COMMAND ${LAUNCH} ${PYTHON3} "${CMAKE_SOURCE_DIR}/tests/load_python.py")
  set_tests_properties(load_python PROPERTIES ENVIRONMENT "${LINEAGE_TEST_ENV}")
endif()

# The allocation-fault test (tests/fault.c): fails every allocation in turn
# in each scenario, linked like static_demo. Under valgrind it tests a
# sample of the fault points (LINEAGE_VALGRIND=1), the full run being slow.
# Under a sanitizer or valgrind it is the longest test by far (21-28 min
# under ASan on this project's 2-core CI machine, where everything else
# takes about 5): it is registered as LINEAGE_FAULT_SHARDS tests
# (fault_1of4, ...), each every fourth fault point from its own, which
# together test the same points, so that `ctest -j2` keeps both cores busy;
# their COST makes ctest start them first.
add_executable(lineage_fault tests/fault.c)
target_include_directories(lineage_fault PRIVATE ${SQLite3_INCLUDE_DIRS})
target_link_libraries(lineage_fault lineage_static ${SQLite3_LIBRARIES})
# -DLINEAGE_FAULT_SHARDS=N chooses another split; one shard is "fault".
if(NOT LINEAGE_FAULT_SHARDS)
  if(LINEAGE_SANITIZE OR LINEAGE_VALGRIND)
    set(LINEAGE_FAULT_SHARDS 4)
  else()
    set(LINEAGE_FAULT_SHARDS 1)
  endif()
endif()
foreach(k RANGE 1 ${LINEAGE_FAULT_SHARDS})
  set(name fault_${k}of${LINEAGE_FAULT_SHARDS})
  if(LINEAGE_FAULT_SHARDS EQUAL 1)
    set(name fault)
  endif()
  set(env "LINEAGE_FAULT_SHARD=${k}/${LINEAGE_FAULT_SHARDS}")
  if(LINEAGE_VALGRIND)
    list(APPEND env "LINEAGE_VALGRIND=1")
  endif()
  add_test(NAME ${name} COMMAND ${LAUNCH} $<TARGET_FILE:lineage_fault>)
  set_tests_properties(${name} PROPERTIES COST 1000 ENVIRONMENT "${env}")
endforeach()

# Many processes on one database, and writers killed mid-call
# (tests/stress.c): the figures are printed. Not under valgrind (it runs
# processes for time, not for memory checks; the sanitizer pass covers it).
add_executable(lineage_stress tests/stress.c)
target_include_directories(lineage_stress PRIVATE ${SQLite3_INCLUDE_DIRS})
target_link_libraries(lineage_stress lineage_static ${SQLite3_LIBRARIES})
if(NOT LINEAGE_VALGRIND)
  add_test(NAME stress COMMAND sh -c "mkdir -p '${CMAKE_BINARY_DIR}/testdb/stress' && exec '$<TARGET_FILE:lineage_stress>' '${CMAKE_BINARY_DIR}/testdb/stress'")
  set_tests_properties(stress PROPERTIES TIMEOUT 300)
endif()

# The browser test of lineage_html()'s page (tests/browser/browser.cmake).
include(tests/browser/browser.cmake OPTIONAL)

# The one-file source: build/amalgamation/sqlite-lineage.c compiled exactly
# as the docs say (cc -O2 -fPIC -shared, nothing else), then the smoke and
# pipeline tests run against that library.
if(TARGET amalgamation AND LINEAGE_TCL_OK)
  add_test(NAME amalgamation COMMAND sh "${CMAKE_SOURCE_DIR}/tests/amalgamation.sh"
           "${CMAKE_C_COMPILER}" "${LINEAGE_AMALGAMATION_DIR}" "${CMAKE_BINARY_DIR}/testdb"
           ${LAUNCH} "${TCLSH}")
  set_tests_properties(amalgamation PROPERTIES ENVIRONMENT "${LINEAGE_TEST_ENV}")
endif()

# cmake --install into a scratch prefix, then a program built with
# `pkg-config --cflags --libs sqlite-lineage` (tests/static_demo.c) runs a
# walk, and the installed loadable extension runs one in the shell.
if(PKG_CONFIG AND NOT LINEAGE_VALGRIND)
  set(LINEAGE_INSTALL_CFLAGS "")
  if(LINEAGE_SANITIZE)
    set(LINEAGE_INSTALL_CFLAGS "-fsanitize=address,undefined")
  endif()
  add_test(NAME install COMMAND sh "${CMAKE_SOURCE_DIR}/tests/install.sh"
           "${CMAKE_COMMAND}" "${CMAKE_BINARY_DIR}" "${CMAKE_C_COMPILER}"
           "${PKG_CONFIG}" "${CMAKE_BINARY_DIR}/testdb/install-prefix"
           "${LINEAGE_INSTALL_CFLAGS}" "${SQLITE3_SHELL}")
endif()

if(LINEAGE_TESTS_OFF)
  list(JOIN LINEAGE_TESTS_OFF "\n  " off)
  message(WARNING "sqlite-lineage: the extension builds, but these tests are off:\n  ${off}")
endif()
