# Every dependency comes from a Debian package (scripts/setup.sh installs them).
find_package(Threads REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(fmt REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(TOMLPP REQUIRED IMPORTED_TARGET tomlplusplus)
pkg_check_modules(TURBOJPEG REQUIRED IMPORTED_TARGET libturbojpeg)
# Linear-time regular expressions for `track --epoch-regex` (std::regex recurses
# per character and overflows the stack on long lines).
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)

if(POWERTRAIN_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
find_package(benchmark QUIET)

if(POWERTRAIN_WITH_TORCH)
  # Debian's libtorch-dev, or the LibTorch inside a PyTorch install found via
  # CMAKE_PREFIX_PATH=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)').
  find_package(Torch REQUIRED)
endif()
