# Install rules: headers, an exported target, a config + ARCH_INDEPENDENT version file under
# share/cmake/rtwire, and a relocatable pkg-config file.
include(CMakePackageConfigHelpers)

set(RTWIRE_CMAKE_DIR "${CMAKE_INSTALL_DATAROOTDIR}/cmake/rtwire")

install(
  TARGETS rtwire
  EXPORT rtwireTargets
  FILE_SET HEADERS DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
  FILE_SET fmt_headers DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
  FILE_SET deflate_headers DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")

# rtwire::deflate in its own export set: the package defines it only where zlib is found.
if(TARGET rtwire_deflate)
  install(TARGETS rtwire_deflate EXPORT rtwireDeflateTargets)
  install(
    EXPORT rtwireDeflateTargets
    NAMESPACE rtwire::
    DESTINATION "${RTWIRE_CMAKE_DIR}")
endif()

install(
  EXPORT rtwireTargets
  NAMESPACE rtwire::
  DESTINATION "${RTWIRE_CMAKE_DIR}")

configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/rtwireConfig.cmake.in"
                              "${PROJECT_BINARY_DIR}/rtwireConfig.cmake"
                              INSTALL_DESTINATION "${RTWIRE_CMAKE_DIR}")

# 0.x: a minor bump may break the API, so only the same minor version is compatible.
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/rtwireConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion ARCH_INDEPENDENT)

install(FILES "${PROJECT_BINARY_DIR}/rtwireConfig.cmake" "${PROJECT_BINARY_DIR}/rtwireConfigVersion.cmake"
        DESTINATION "${RTWIRE_CMAKE_DIR}")

# pkg-config: header-only and architecture independent, so it lives in share/pkgconfig, and its
# prefix is computed from its own location so the install tree can be moved.
file(RELATIVE_PATH RTWIRE_PC_PREFIX_REL "/${CMAKE_INSTALL_DATAROOTDIR}/pkgconfig" "/")
string(REGEX REPLACE "/$" "" RTWIRE_PC_PREFIX_REL "${RTWIRE_PC_PREFIX_REL}")
configure_file("${PROJECT_SOURCE_DIR}/cmake/rtwire.pc.in" "${PROJECT_BINARY_DIR}/rtwire.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/rtwire.pc" DESTINATION "${CMAKE_INSTALL_DATAROOTDIR}/pkgconfig")

install(FILES "${PROJECT_SOURCE_DIR}/LICENSE" DESTINATION "${CMAKE_INSTALL_DATAROOTDIR}/doc/rtwire")
