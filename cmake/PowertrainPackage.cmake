# The installed package: lib/cmake/powertrain (powertrainConfig.cmake with
# components, its version file, the exported targets powertrain::<module>) and
# lib/pkgconfig (powertrain.pc and one powertrain-<component>.pc each).
# Headers and libraries are installed by powertrain_add_module().
include(CMakePackageConfigHelpers)
include(GNUInstallDirs)

set(POWERTRAIN_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/powertrain)
get_property(_modules GLOBAL PROPERTY POWERTRAIN_MODULES)
# The components: the modules but util (a base every component takes along).
set(POWERTRAIN_ALL_COMPONENTS energy store track data report predict sweep train)
set(POWERTRAIN_BUILT_COMPONENTS)
foreach(c IN LISTS POWERTRAIN_ALL_COMPONENTS)
  if(c IN_LIST _modules)
    list(APPEND POWERTRAIN_BUILT_COMPONENTS ${c})
  endif()
endforeach()

install(EXPORT powertrainTargets NAMESPACE powertrain::
  FILE powertrainTargets.cmake DESTINATION ${POWERTRAIN_CMAKE_DIR})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/powertrainConfig.cmake.in
  ${PROJECT_BINARY_DIR}/package/powertrainConfig.cmake
  INSTALL_DESTINATION ${POWERTRAIN_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/package/powertrainConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/package/powertrainConfig.cmake
  ${PROJECT_BINARY_DIR}/package/powertrainConfigVersion.cmake
  DESTINATION ${POWERTRAIN_CMAKE_DIR})

# pkg-config. The libraries are static, so each file names every library a
# program needs: the component's own, those of the components it takes along
# (in one linker group, as two of them still include each other), and the
# Debian packages' .pc files in Requires. LibTorch has no .pc file: train has none.
set(_pc_libs_energy energy util)
set(_pc_req_energy "")
set(_pc_libs_store store energy util)
set(_pc_req_store "sqlite3 fmt")
set(_pc_libs_track track store energy util)
set(_pc_req_track "sqlite3 fmt re2")
set(_pc_libs_data data util)
set(_pc_req_data "fmt libturbojpeg")
set(_pc_libs_report report store energy util)
set(_pc_req_report "sqlite3 fmt")
set(_pc_libs_predict predict store energy util)
set(_pc_req_predict "sqlite3 fmt")
set(_pc_libs_sweep sweep report predict store energy util)
set(_pc_req_sweep "sqlite3 fmt tomlplusplus")
set(_pc_libs_all sweep report predict data track store energy util)
set(_pc_req_all "sqlite3 re2 fmt tomlplusplus libturbojpeg")
set(_pc_desc_energy "energy of a program: sensors, sampler, tracker")
set(_pc_desc_store "the SQLite store of runs, samples and epochs")
set(_pc_desc_track "tracking any command per epoch")
set(_pc_desc_data "the PAMAP2 and CelebA loaders and synthetic data sets")
set(_pc_desc_report "reports of a database of runs")
set(_pc_desc_predict "predictions of a run's energy to convergence")
set(_pc_desc_sweep "sweeps of experiments and the energy-aware search")
set(_pc_desc_all "every LibTorch-free module")
file(RELATIVE_PATH pc_prefix_from_pcdir /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
string(REGEX REPLACE "/$" "" pc_prefix_from_pcdir "${pc_prefix_from_pcdir}")
foreach(c IN ITEMS energy store track data report predict sweep all)
  if(c STREQUAL "all")
    set(pc_name powertrain)
  else()
    if(NOT c IN_LIST POWERTRAIN_BUILT_COMPONENTS)
      continue()
    endif()
    set(pc_name powertrain-${c})
  endif()
  set(pc_libs "")
  foreach(lib IN LISTS _pc_libs_${c})
    if(NOT lib IN_LIST _pc_seen_${c})
      string(APPEND pc_libs ",-lpowertrain_${lib}")
      list(APPEND _pc_seen_${c} ${lib})
    endif()
  endforeach()
  # One fragment: pkg-config neither splits nor reorders it.
  set(pc_libs " -Wl,--start-group${pc_libs},--end-group")
  set(pc_description "${_pc_desc_${c}}")
  set(pc_requires "${_pc_req_${c}}")
  configure_file(${CMAKE_CURRENT_LIST_DIR}/powertrain.pc.in
    ${PROJECT_BINARY_DIR}/package/${pc_name}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/package/${pc_name}.pc
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endforeach()
