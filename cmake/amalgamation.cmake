# cmake/amalgamation.cmake: the one-file source (included by CMakeLists.txt).
#
# build/amalgamation/sqlite-lineage.c and sqlite-lineage.h, written by
# tools/amalgamate.sh from LINEAGE_SOURCES and the headers the build
# generates. It runs after the extension is built (so every embedded header
# exists) and again whenever the extension is rebuilt.
if(NOT WIN32)
  set(LINEAGE_AMALGAMATION_DIR "${CMAKE_BINARY_DIR}/amalgamation")
  file(GLOB LINEAGE_HEADERS CONFIGURE_DEPENDS "${CMAKE_SOURCE_DIR}/ext/*.h")
  # The commit, when the sources are a git checkout (an empty argument
  # would be dropped from the command, leaving -c without its value).
  set(LINEAGE_AMALGAMATION_COMMIT "")
  if(LINEAGE_COMMIT)
    set(LINEAGE_AMALGAMATION_COMMIT -c "${LINEAGE_COMMIT}")
  endif()
  add_custom_command(
    OUTPUT "${LINEAGE_AMALGAMATION_DIR}/sqlite-lineage.c"
           "${LINEAGE_AMALGAMATION_DIR}/sqlite-lineage.h"
    COMMAND sh "${CMAKE_SOURCE_DIR}/tools/amalgamate.sh"
            -g "${CMAKE_BINARY_DIR}/generated" -o "${LINEAGE_AMALGAMATION_DIR}"
            ${LINEAGE_AMALGAMATION_COMMIT}
    DEPENDS lineage "${CMAKE_SOURCE_DIR}/tools/amalgamate.sh"
            "${CMAKE_SOURCE_DIR}/CMakeLists.txt" ${LINEAGE_SOURCES} ${LINEAGE_HEADERS}
    COMMENT "Writing the one-file source (build/amalgamation/sqlite-lineage.c)")
  add_custom_target(amalgamation ALL DEPENDS
                    "${LINEAGE_AMALGAMATION_DIR}/sqlite-lineage.c")
endif()
