# tests/browser/browser.cmake: the browser test of lineage_html()'s page
# (included by tests/tests.cmake).
#
# tests/browser/lineage.test.mjs drives Debian's chromium headless through
# puppeteer-core (npm, pinned by package-lock.json; it downloads no browser).
# It is registered only when node, the sqlite3 shell, the npm-installed
# node_modules (`npm ci` in tests/browser) and /usr/bin/chromium exist;
# otherwise configuring says why it is skipped.
find_program(NODE_EXE NAMES node nodejs)
set(BROWSER_TEST_DIR "${CMAKE_SOURCE_DIR}/tests/browser")
set(CHROMIUM_EXE /usr/bin/chromium)
# Its own bound is 120 s (a watchdog in the script); ctest's is above it.
set(BROWSER_TEST_TIMEOUT 150)

if(NOT NODE_EXE)
  message(STATUS "Browser test SKIPPED: node not found (install nodejs and npm)")
elseif(NOT SQLITE3_SHELL)
  message(STATUS "Browser test SKIPPED: the sqlite3 shell not found")
elseif(NOT EXISTS "${BROWSER_TEST_DIR}/node_modules/puppeteer-core/package.json")
  message(STATUS "Browser test SKIPPED: run `npm ci` in tests/browser first")
elseif(NOT EXISTS "${CHROMIUM_EXE}")
  message(STATUS "Browser test SKIPPED: ${CHROMIUM_EXE} not found (apt-get install chromium)")
else()
  message(STATUS "Browser test: ${NODE_EXE} tests/browser/lineage.test.mjs with ${CHROMIUM_EXE}")
  if(LINEAGE_SANITIZE)
    # The sanitizer pass preloads the ASan runtime into every host. Node and
    # chromium are not the code under test (and chromium does not run with
    # it): the script gets the preload as LINEAGE_SHELL_PRELOAD and gives it
    # to the sqlite3 shells only, where the extension runs.
    add_test(NAME browser COMMAND sh -c
      "LINEAGE_SHELL_PRELOAD=\"$LD_PRELOAD\" exec env -u LD_PRELOAD \"$0\" \"$1\""
      ${NODE_EXE} "${BROWSER_TEST_DIR}/lineage.test.mjs")
  else()
    add_test(NAME browser COMMAND ${NODE_EXE} "${BROWSER_TEST_DIR}/lineage.test.mjs")
  endif()
  set_tests_properties(browser PROPERTIES TIMEOUT ${BROWSER_TEST_TIMEOUT}
    ENVIRONMENT "${LINEAGE_TEST_ENV};SQLITE3=${SQLITE3_SHELL};CHROMIUM=${CHROMIUM_EXE}")
endif()
