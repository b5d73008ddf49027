#!/usr/bin/env bash
# Brings the Debian -dev packages that a GPU machine without network lacks
# (SQLite headers, CLI11, toml++, nlohmann-json, libjpeg-turbo, fmt, RE2,
# GoogleTest, Google Benchmark, pkg-config) as .deb files unpacked into a
# folder, plus a CMake file that makes the build find them there:
#
#   scripts/gpu-deps.sh                      # here, with network: .gpu-deps/
#   cmake ... -DCMAKE_PROJECT_INCLUDE_BEFORE=$PWD/.gpu-deps/deps.cmake   # there
#
# Options:
#   --dest DIR     where to unpack (default .gpu-deps, ignored by git)
#   --from DIR     take the .deb files from DIR instead of apt-get download
#   --packages "A B"  the packages (default: the list below)
#
# The packages are those of this Debian (apt-get download takes the
# candidate version). Their C++ libraries use the C++11 ABI
# (_GLIBCXX_USE_CXX11_ABI=1), as PyTorch wheels >= 2.7 do; with an older,
# pre-C++11-ABI PyTorch cmake/TorchFromPython.cmake stops and says why.
# dest/manifest.txt lists each package, version and sha256.
set -euo pipefail

dest=.gpu-deps
from=""
packages="libsqlite3-dev libsqlite3-0 libcli11-dev libtomlplusplus-dev libtomlplusplus3
nlohmann-json3-dev libturbojpeg0-dev libturbojpeg0 libfmt-dev libfmt9 libre2-dev libre2-9
libgtest-dev libgmock-dev libbenchmark-dev libbenchmark1debian pkgconf-bin libpkgconf3"

die() {
  echo "gpu-deps: $*" >&2
  exit 2
}

while [ $# -gt 0 ]; do
  case "$1" in
    --dest) dest=${2:?--dest needs a folder}; shift 2 ;;
    --from) from=${2:?--from needs a folder}; shift 2 ;;
    --packages) packages=${2:?--packages needs a list}; shift 2 ;;
    -h | --help) sed -n '2,22p' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

mkdir -p "$dest/debs"
dest=$(cd "$dest" && pwd)

# The .deb files: downloaded, or copied from --from.
fetch() {
  if [ -n "$from" ]; then
    [ -d "$from" ] || die "--from: no folder '$from'"
    cp "$from"/*.deb "$dest/debs/" || die "--from: no .deb files in '$from'"
    return
  fi
  command -v apt-get >/dev/null || die "apt-get not found (run this on a Debian machine)"
  # shellcheck disable=SC2086
  (cd "$dest/debs" && apt-get download $packages) ||
    die "apt-get download failed (apt-get update first? network?)"
}

unpack() {
  : >"$dest/manifest.txt"
  for deb in "$dest"/debs/*.deb; do
    [ -e "$deb" ] || die "no .deb files in $dest/debs"
    dpkg-deb -x "$deb" "$dest" || die "cannot unpack $deb"
    printf '%s %s %s\n' "$(dpkg-deb -f "$deb" Package)" "$(dpkg-deb -f "$deb" Version)" \
      "$(sha256sum "$deb" | cut -d' ' -f1)" >>"$dest/manifest.txt"
  done
}

# The CMake side: prefix paths, and pkg-config files rewritten at configure
# time to point into the folder wherever it was copied to.
write_cmake() {
  cat >"$dest/deps.cmake" <<'CMAKE'
# Written by scripts/gpu-deps.sh. Use: -DCMAKE_PROJECT_INCLUDE_BEFORE=<this file>
set(_pt_deps "${CMAKE_CURRENT_LIST_DIR}")
set(_pt_lib "${_pt_deps}/usr/lib/x86_64-linux-gnu")
list(PREPEND CMAKE_PREFIX_PATH "${_pt_deps}/usr")
list(APPEND CMAKE_INCLUDE_PATH "${_pt_deps}/usr/include")
list(APPEND CMAKE_LIBRARY_PATH "${_pt_lib}")
set(_pt_pc "${CMAKE_BINARY_DIR}/gpu-deps-pkgconfig")
file(MAKE_DIRECTORY "${_pt_pc}")
file(GLOB _pt_pc_files "${_pt_lib}/pkgconfig/*.pc" "${_pt_deps}/usr/share/pkgconfig/*.pc")
foreach(_pt_file IN LISTS _pt_pc_files)
  file(READ "${_pt_file}" _pt_text)
  string(REGEX REPLACE "=/usr" "=${_pt_deps}/usr" _pt_text "${_pt_text}")
  get_filename_component(_pt_name "${_pt_file}" NAME)
  file(WRITE "${_pt_pc}/${_pt_name}" "${_pt_text}")
endforeach()
set(ENV{PKG_CONFIG_PATH} "${_pt_pc}:$ENV{PKG_CONFIG_PATH}")
find_program(_pt_pkg_config NAMES pkg-config pkgconf NO_CMAKE_PATH NO_CMAKE_ENVIRONMENT_PATH)
if(NOT _pt_pkg_config AND EXISTS "${_pt_deps}/usr/bin/pkgconf")
  set(ENV{LD_LIBRARY_PATH} "${_pt_lib}:$ENV{LD_LIBRARY_PATH}")
  set(PKG_CONFIG_EXECUTABLE "${_pt_deps}/usr/bin/pkgconf" CACHE FILEPATH "" FORCE)
endif()
# The programs find the unpacked shared libraries (libfmt, libre2, ...) at run time.
list(APPEND CMAKE_BUILD_RPATH "${_pt_lib}")
set(CMAKE_INSTALL_RPATH "${_pt_lib}")
CMAKE
}

fetch
unpack
write_cmake
echo "gpu-deps: $(wc -l <"$dest/manifest.txt") packages in $dest; use" \
  "-DCMAKE_PROJECT_INCLUDE_BEFORE=$dest/deps.cmake"
