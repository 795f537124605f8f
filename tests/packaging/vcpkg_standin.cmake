# A stand-in for vcpkg that runs ports/rtwire/portfile.cmake for real, offline:
#   cmake -DPORTFILE=.../portfile.cmake -DARCHIVE=rtwire-X.Y.Z.tar.gz -DWORK=dir -P vcpkg_standin.cmake
# It defines the vcpkg_* helpers the port calls, each doing what vcpkg's does to the files
# (vcpkg_from_github checks REPO/REF/SHA512 against ARCHIVE, the tag's `git archive`, and
# extracts it; configure/install run CMake; config_fixup moves share/cmake/rtwire to share/rtwire
# and corrects the relative prefix the way vcpkg-cmake-config does), then applies the
# post-build checks vcpkg applies to a header-only port. A helper the portfile calls that is not
# defined here stops the run ("Unknown CMake command"), so a new call must be modelled first.
cmake_minimum_required(VERSION 3.24)

foreach(var PORTFILE ARCHIVE WORK)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "vcpkg stand-in: -D${var}=... is required")
  endif()
endforeach()

get_filename_component(PORT_DIR "${PORTFILE}" DIRECTORY)
file(READ "${PORT_DIR}/vcpkg.json" manifest)
string(JSON PORT GET "${manifest}" name)
string(JSON VERSION GET "${manifest}" version)
set(CURRENT_PACKAGES_DIR "${WORK}/packages/${PORT}_x64-linux")
set(CURRENT_BUILDTREES_DIR "${WORK}/buildtrees/${PORT}")
set(CURRENT_INSTALLED_DIR "${WORK}/installed/x64-linux")
set(VCPKG_TARGET_EXECUTABLE_SUFFIX "")
file(REMOVE_RECURSE "${WORK}/packages" "${WORK}/buildtrees")
file(MAKE_DIRECTORY "${CURRENT_PACKAGES_DIR}" "${CURRENT_BUILDTREES_DIR}")

function(z_standin_fail)
  string(JOIN "" text ${ARGN})
  message(FATAL_ERROR "vcpkg stand-in: ${text}")
endfunction()

function(vcpkg_from_github)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "OUT_SOURCE_PATH;REPO;REF;SHA512;HEAD_REF" "PATCHES")
  if(DEFINED arg_UNPARSED_ARGUMENTS)
    z_standin_fail("vcpkg_from_github: unknown arguments ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT arg_REPO STREQUAL "rtwire/rtwire")
    z_standin_fail("vcpkg_from_github: REPO is '${arg_REPO}'")
  endif()
  if(NOT arg_REF STREQUAL "v${VERSION}")
    z_standin_fail("vcpkg_from_github: REF is '${arg_REF}', the release tag is v${VERSION}")
  endif()
  # vcpkg downloads the tag's archive and refuses it unless its SHA-512 is SHA512.
  file(SHA512 "${ARCHIVE}" actual)
  if(NOT arg_SHA512 STREQUAL actual)
    z_standin_fail("vcpkg_from_github: SHA512 ${arg_SHA512} does not match the archive (${actual}); "
                   "run scripts/release pin ${VERSION}")
  endif()
  set(extract "${CURRENT_BUILDTREES_DIR}/src")
  file(ARCHIVE_EXTRACT INPUT "${ARCHIVE}" DESTINATION "${extract}")
  if(NOT EXISTS "${extract}/${PORT}-${VERSION}/CMakeLists.txt")
    z_standin_fail("vcpkg_from_github: the archive's top directory is not ${PORT}-${VERSION}/")
  endif()
  set(${arg_OUT_SOURCE_PATH} "${extract}/${PORT}-${VERSION}" PARENT_SCOPE)
endfunction()

function(vcpkg_cmake_configure)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "SOURCE_PATH" "OPTIONS;OPTIONS_RELEASE;OPTIONS_DEBUG")
  if(NOT VCPKG_BUILD_TYPE STREQUAL "release")
    z_standin_fail("header-only port: set(VCPKG_BUILD_TYPE release) before configuring")
  endif()
  # vcpkg reports variables the port passes that the project never reads.
  execute_process(
    COMMAND "${CMAKE_COMMAND}" -S "${arg_SOURCE_PATH}" -B "${CURRENT_BUILDTREES_DIR}/x64-linux-rel"
            -G Ninja -DCMAKE_BUILD_TYPE=Release "-DCMAKE_INSTALL_PREFIX=${CURRENT_PACKAGES_DIR}"
            ${arg_OPTIONS} ${arg_OPTIONS_RELEASE}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    z_standin_fail("configure failed:\n${out}")
  endif()
  if(out MATCHES "Manually-specified variables were not used")
    z_standin_fail("the port passes variables the project does not use:\n${out}")
  endif()
endfunction()

function(vcpkg_cmake_install)
  execute_process(COMMAND "${CMAKE_COMMAND}" --build "${CURRENT_BUILDTREES_DIR}/x64-linux-rel"
                          --target install RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    z_standin_fail("install failed:\n${out}")
  endif()
endfunction()

function(vcpkg_cmake_config_fixup)
  cmake_parse_arguments(PARSE_ARGV 0 arg "DO_NOT_DELETE_PARENT_CONFIG_PATH;NO_PREFIX_CORRECTION"
                        "PACKAGE_NAME;CONFIG_PATH" "")
  if(NOT arg_PACKAGE_NAME)
    set(arg_PACKAGE_NAME "${PORT}")
  endif()
  set(from "${CURRENT_PACKAGES_DIR}/${arg_CONFIG_PATH}")
  set(to "${CURRENT_PACKAGES_DIR}/share/${arg_PACKAGE_NAME}")
  if(NOT EXISTS "${from}/${arg_PACKAGE_NAME}Config.cmake")
    z_standin_fail("vcpkg_cmake_config_fixup: no ${arg_PACKAGE_NAME}Config.cmake in ${arg_CONFIG_PATH}")
  endif()
  file(GLOB files "${from}/*")
  file(COPY ${files} DESTINATION "${to}")
  file(REMOVE_RECURSE "${from}")
  # Like vcpkg: the parent of CONFIG_PATH goes too when it is named cmake.
  get_filename_component(parent "${from}" DIRECTORY)
  get_filename_component(parent_name "${parent}" NAME)
  if(parent_name STREQUAL "cmake" AND NOT arg_DO_NOT_DELETE_PARENT_CONFIG_PATH)
    file(REMOVE_RECURSE "${parent}")
  endif()
  # The files now sit two levels below the prefix (share/<name>): every prefix computation
  # is rewritten to go up exactly two levels, and absolute package paths become relative.
  file(GLOB_RECURSE cmakes "${to}/*.cmake")
  foreach(f IN LISTS cmakes)
    file(READ "${f}" text)
    if(NOT arg_NO_PREFIX_CORRECTION)
      string(REGEX REPLACE
        "get_filename_component\\(_IMPORT_PREFIX \"\\\${CMAKE_CURRENT_LIST_FILE}\" PATH\\)(\nget_filename_component\\(_IMPORT_PREFIX \"\\\${_IMPORT_PREFIX}\" PATH\\))*"
        "get_filename_component(_IMPORT_PREFIX \"\${CMAKE_CURRENT_LIST_FILE}\" PATH)\nget_filename_component(_IMPORT_PREFIX \"\${_IMPORT_PREFIX}\" PATH)\nget_filename_component(_IMPORT_PREFIX \"\${_IMPORT_PREFIX}\" PATH)"
        text "${text}")
      string(REGEX REPLACE
        "get_filename_component\\(PACKAGE_PREFIX_DIR \"\\\${CMAKE_CURRENT_LIST_DIR}/\\.\\./(\\.\\./)*\" ABSOLUTE\\)"
        "get_filename_component(PACKAGE_PREFIX_DIR \"\${CMAKE_CURRENT_LIST_DIR}/../../\" ABSOLUTE)"
        text "${text}")
    endif()
    string(REPLACE "${CURRENT_INSTALLED_DIR}" "\${_IMPORT_PREFIX}" text "${text}")
    string(REPLACE "${CURRENT_PACKAGES_DIR}" "\${_IMPORT_PREFIX}" text "${text}")
    file(WRITE "${f}" "${text}")
  endforeach()
endfunction()

function(vcpkg_fixup_pkgconfig)
  # Like vcpkg: every release .pc gets prefix=${pcfiledir}/<back to the package root>.
  file(GLOB_RECURSE pcs "${CURRENT_PACKAGES_DIR}/*.pc")
  foreach(pc IN LISTS pcs)
    if(pc MATCHES "/debug/")
      continue()
    endif()
    get_filename_component(dir "${pc}" DIRECTORY)
    file(RELATIVE_PATH up "${dir}" "${CURRENT_PACKAGES_DIR}")
    string(REGEX REPLACE "/$" "" up "${up}")
    file(READ "${pc}" text)
    string(REGEX REPLACE "(^|\n)prefix=[^\n]*" "\\1prefix=\${pcfiledir}/${up}" text "${text}")
    string(REPLACE "${CURRENT_PACKAGES_DIR}" "\${prefix}" text "${text}")
    file(WRITE "${pc}" "${text}")
  endforeach()
endfunction()

function(vcpkg_install_copyright)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "COMMENT" "FILE_LIST")
  if(NOT arg_FILE_LIST)
    z_standin_fail("vcpkg_install_copyright: FILE_LIST is empty")
  endif()
  set(text "")
  foreach(f IN LISTS arg_FILE_LIST)
    if(NOT EXISTS "${f}")
      z_standin_fail("vcpkg_install_copyright: ${f} does not exist")
    endif()
    file(READ "${f}" part)
    string(APPEND text "${part}")
  endforeach()
  file(WRITE "${CURRENT_PACKAGES_DIR}/share/${PORT}/copyright" "${text}")
endfunction()

include("${PORTFILE}")

# vcpkg's post-build checks that apply to a header-only port.
foreach(required include/rtwire/rtwire.hpp include/rtwire/version.hpp share/${PORT}/copyright
                 share/${PORT}/usage share/${PORT}/${PORT}Config.cmake
                 share/${PORT}/${PORT}ConfigVersion.cmake share/pkgconfig/${PORT}.pc)
  if(NOT EXISTS "${CURRENT_PACKAGES_DIR}/${required}")
    z_standin_fail("post-build: ${required} is missing")
  endif()
endforeach()
foreach(forbidden debug lib bin share/cmake share/doc)
  if(EXISTS "${CURRENT_PACKAGES_DIR}/${forbidden}")
    z_standin_fail("post-build: ${forbidden}/ must not exist in a header-only package")
  endif()
endforeach()
file(GLOB_RECURSE all "${CURRENT_PACKAGES_DIR}/*")
foreach(f IN LISTS all)
  file(STRINGS "${f}" hits REGEX "${WORK}")
  if(hits)
    z_standin_fail("post-build: ${f} holds an absolute build path: ${hits}")
  endif()
endforeach()
message(STATUS "vcpkg stand-in: ${PORT} ${VERSION} packaged in ${CURRENT_PACKAGES_DIR}")
