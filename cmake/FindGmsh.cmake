# FindGmsh: the Gmsh mesher's C++ API (Debian 12's libgmsh-dev 4.8 ships gmsh.h and libgmsh.so
# but no CMake config). Defines Gmsh_FOUND, Gmsh_INCLUDE_DIR, Gmsh_LIBRARY, Gmsh_VERSION (from
# GMSH_API_VERSION in gmsh.h) and the imported target Gmsh::Gmsh.
find_path(Gmsh_INCLUDE_DIR gmsh.h)
find_library(Gmsh_LIBRARY NAMES gmsh)

if(Gmsh_INCLUDE_DIR AND EXISTS "${Gmsh_INCLUDE_DIR}/gmsh.h")
  file(STRINGS "${Gmsh_INCLUDE_DIR}/gmsh.h" _gmsh_version_lines REGEX "#define GMSH_API_VERSION_(MAJOR|MINOR|PATCH) ")
  foreach(part MAJOR MINOR PATCH)
    string(REGEX REPLACE ".*GMSH_API_VERSION_${part} ([0-9]+).*" "\\1" _gmsh_${part} "${_gmsh_version_lines}")
  endforeach()
  set(Gmsh_VERSION "${_gmsh_MAJOR}.${_gmsh_MINOR}.${_gmsh_PATCH}")
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Gmsh REQUIRED_VARS Gmsh_LIBRARY Gmsh_INCLUDE_DIR VERSION_VAR Gmsh_VERSION)

if(Gmsh_FOUND AND NOT TARGET Gmsh::Gmsh)
  add_library(Gmsh::Gmsh UNKNOWN IMPORTED)
  set_target_properties(Gmsh::Gmsh PROPERTIES
    IMPORTED_LOCATION "${Gmsh_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${Gmsh_INCLUDE_DIR}")
endif()
mark_as_advanced(Gmsh_INCLUDE_DIR Gmsh_LIBRARY)
