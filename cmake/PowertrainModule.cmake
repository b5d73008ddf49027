# powertrain_add_module(NAME [TARGET T] SOURCES...) makes the library of one
# module of src/: target powertrain_NAME (or T), alias powertrain::NAME (the name it has in the
# installed package too), static and position-independent (so that a shared
# object, e.g. the Python module, can take it in). Its public headers are
# include/powertrain/NAME/; src/ stays private. Each module's CMakeLists.txt
# then links only what it uses. Header-only dependencies (nlohmann_json, fmt
# in header-only mode) are linked through powertrain_link_header_only() so
# that the installed package does not ask its users for them.
include(GNUInstallDirs)

function(powertrain_add_module name)
  cmake_parse_arguments(ARG "" "TARGET" "" ${ARGN})
  set(target powertrain_${name})
  if(ARG_TARGET)
    set(target ${ARG_TARGET})
  endif()
  add_library(${target} STATIC ${ARG_UNPARSED_ARGUMENTS})
  add_library(powertrain::${name} ALIAS ${target})
  set_target_properties(${target} PROPERTIES
    EXPORT_NAME ${name}
    POSITION_INDEPENDENT_CODE ON)
  target_include_directories(${target}
    PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
           $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
    PRIVATE ${PROJECT_SOURCE_DIR}/src)
  install(TARGETS ${target} EXPORT powertrainTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
  if(IS_DIRECTORY ${PROJECT_SOURCE_DIR}/include/powertrain/${name})
    install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/powertrain/${name}
      DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/powertrain)
  endif()
  set_property(GLOBAL APPEND PROPERTY POWERTRAIN_MODULES ${name})
endfunction()

# Compile-time only dependencies: their include directories and definitions,
# nothing for the installed package's users to find.
function(powertrain_link_header_only target)
  foreach(dep IN LISTS ARGN)
    target_link_libraries(${target} PRIVATE $<BUILD_INTERFACE:${dep}>)
  endforeach()
endfunction()
