# cmake/install.cmake: what `cmake --install build [--prefix P]` installs
# (included by CMakeLists.txt):
#
#   P/lib/sqlite-lineage/lineage.so   the loadable extension
#   P/lib/libsqlite-lineage.a         the static library (-DSQLITE_CORE)
#   P/include/sqlite-lineage.h        declares sqlite3_lineage_init
#   P/lib/pkgconfig/sqlite-lineage.pc pkg-config: cflags, libs, and the
#                                     extension's path (--variable=extension)
#   P/share/doc/sqlite-lineage/       README.md and docs/
include(GNUInstallDirs)

set(LINEAGE_EXT_DIR "${CMAKE_INSTALL_LIBDIR}/sqlite-lineage")
install(TARGETS lineage LIBRARY DESTINATION "${LINEAGE_EXT_DIR}"
                        RUNTIME DESTINATION "${LINEAGE_EXT_DIR}")
install(TARGETS lineage_static ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}")
install(FILES ext/sqlite-lineage.h DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")

# The .pc file names the install prefix given at install time, not at
# configure time, so `cmake --install build --prefix P` gives a file for P.
set(LINEAGE_PREFIX "@LINEAGE_PREFIX@")
configure_file(cmake/sqlite-lineage.pc.in
               "${CMAKE_BINARY_DIR}/generated/sqlite-lineage.pc.in" @ONLY)
install(CODE "
  set(LINEAGE_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  configure_file(\"${CMAKE_BINARY_DIR}/generated/sqlite-lineage.pc.in\"
                 \"${CMAKE_BINARY_DIR}/generated/sqlite-lineage.pc\" @ONLY)")
install(FILES "${CMAKE_BINARY_DIR}/generated/sqlite-lineage.pc"
        DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig")

set(LINEAGE_DOC_DIR "${CMAKE_INSTALL_DATAROOTDIR}/doc/sqlite-lineage")
install(FILES README.md DESTINATION "${LINEAGE_DOC_DIR}")
install(DIRECTORY docs/ DESTINATION "${LINEAGE_DOC_DIR}/docs")
