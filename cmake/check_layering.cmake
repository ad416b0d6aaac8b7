# Fails when a file under the given directories includes a PostgreSQL header.
# src/crypto and src/protocol must stay plain C++ (no PostgreSQL header) so they
# can be unit-tested and fuzzed without a server.
#
# Usage: cmake -DDIRS="<dir>;<dir>" -P check_layering.cmake
if(NOT DIRS)
  message(FATAL_ERROR "check_layering.cmake: pass -DDIRS=<dir>[;<dir>...]")
endif()

# Top-level PostgreSQL headers and the server/client include subdirectories.
set(_pg_headers
    "postgres|postgres_fe|postgres_ext|c|fmgr|funcapi|miscadmin|pg_config|pg_config_manual|pgstat|pgtime|libpq-fe|libpq-events|libpq-int|executor/spi")
set(_pg_dirs
    "access|catalog|commands|common|executor|fe_utils|foreign|lib|libpq|mb|nodes|optimizer|parser|port|postmaster|replication|rewrite|server|storage|tcop|tsearch|utils|postgresql")
set(_regex "^[ \t]*#[ \t]*include[ \t]*[<\"](((${_pg_headers})\\.h)|((${_pg_dirs})/))")

set(_violations "")
foreach(_dir IN LISTS DIRS)
  file(GLOB_RECURSE _files LIST_DIRECTORIES false
       "${_dir}/*.h" "${_dir}/*.hpp" "${_dir}/*.c" "${_dir}/*.cc" "${_dir}/*.cpp" "${_dir}/*.inc")
  foreach(_file IN LISTS _files)
    file(STRINGS "${_file}" _lines REGEX "${_regex}")
    foreach(_line IN LISTS _lines)
      string(APPEND _violations "  ${_file}: ${_line}\n")
    endforeach()
  endforeach()
endforeach()

if(_violations)
  message(FATAL_ERROR
          "PostgreSQL headers included in the PostgreSQL-free layers "
          "(src/crypto, src/protocol):\n${_violations}"
          "Move PostgreSQL-dependent code to src/pg.")
endif()
