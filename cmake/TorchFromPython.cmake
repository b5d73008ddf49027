# Building against the LibTorch inside a PyTorch install (the one with CUDA
# on a GPU machine) instead of Debian's libtorch-dev:
#
#   cmake -S . -B build -G Ninja -DPOWERTRAIN_TORCH_FROM_PYTHON=ON \
#         [-DPOWERTRAIN_TORCH_PYTHON=/path/to/python3]
#
# It asks that Python for torch.utils.cmake_prefix_path (where TorchConfig.cmake
# lies), torch._C._GLIBCXX_USE_CXX11_ABI (the C++ ABI its libraries use; every
# target here is then compiled with the same _GLIBCXX_USE_CXX11_ABI, or
# std::string crosses the library boundary in two layouts) and its CUDA
# version. find_package(Torch) in Dependencies.cmake then finds that LibTorch,
# with torch_cuda and the CUDA libraries in TORCH_LIBRARIES when it has CUDA.
#
# Debian's libfmt, libre2 and GoogleTest are built with the new ABI (1). A
# PyTorch with the old ABI (0; wheels before 2.7) cannot share std::string with
# them: this file then stops with an error saying so (fmt alone could be used
# header-only, but RE2's API takes std::string).
#
# powertrain_query_python_torch() is also usable in script mode (cmake -P),
# which is how tests/integration checks it with a stand-in Python.

# Sets <out>_PREFIX, <out>_ABI (0/1), <out>_VERSION and <out>_CUDA ("" = CPU
# build) from `python -c 'import torch ...'`; a Python without torch is a
# FATAL_ERROR naming it.
function(powertrain_query_python_torch python out)
  execute_process(
    COMMAND ${python} -c
      "import torch; print(torch.utils.cmake_prefix_path); print(int(torch._C._GLIBCXX_USE_CXX11_ABI)); print(torch.__version__); print(torch.version.cuda or '')"
    RESULT_VARIABLE rc
    OUTPUT_VARIABLE text
    ERROR_VARIABLE error
    OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "POWERTRAIN_TORCH_FROM_PYTHON: '${python}' cannot import torch "
                        "(exit ${rc}): ${error}")
  endif()
  string(REPLACE "\n" ";" lines "${text}")
  list(LENGTH lines count)
  if(count LESS 3)
    message(FATAL_ERROR "POWERTRAIN_TORCH_FROM_PYTHON: '${python}' printed '${text}', "
                        "expected the prefix, the ABI and the version")
  endif()
  list(GET lines 0 prefix)
  list(GET lines 1 abi)
  list(GET lines 2 version)
  set(cuda "")
  if(count GREATER 3)
    list(GET lines 3 cuda)
  endif()
  if(NOT abi MATCHES "^[01]$")
    message(FATAL_ERROR "POWERTRAIN_TORCH_FROM_PYTHON: _GLIBCXX_USE_CXX11_ABI '${abi}' is not 0 or 1")
  endif()
  set(${out}_PREFIX "${prefix}" PARENT_SCOPE)
  set(${out}_ABI "${abi}" PARENT_SCOPE)
  set(${out}_VERSION "${version}" PARENT_SCOPE)
  set(${out}_CUDA "${cuda}" PARENT_SCOPE)
endfunction()

if(CMAKE_SCRIPT_MODE_FILE)
  return()
endif()

option(POWERTRAIN_TORCH_FROM_PYTHON
       "Build against the LibTorch of a PyTorch install (asks POWERTRAIN_TORCH_PYTHON)" OFF)
set(POWERTRAIN_TORCH_PYTHON "python3" CACHE STRING "The Python whose PyTorch provides LibTorch")

if(POWERTRAIN_TORCH_FROM_PYTHON)
  powertrain_query_python_torch("${POWERTRAIN_TORCH_PYTHON}" PT_TORCH)
  if(PT_TORCH_ABI STREQUAL "0")
    message(FATAL_ERROR
      "PyTorch ${PT_TORCH_VERSION} uses the pre-C++11 ABI (_GLIBCXX_USE_CXX11_ABI=0), but "
      "Debian's libre2, libfmt and GoogleTest use the C++11 one: their std::string cannot "
      "cross. Use a PyTorch >= 2.7 wheel (C++11 ABI) or Debian's libtorch-dev.")
  endif()
  list(PREPEND CMAKE_PREFIX_PATH "${PT_TORCH_PREFIX}")
  add_compile_definitions(_GLIBCXX_USE_CXX11_ABI=${PT_TORCH_ABI})
  if(PT_TORCH_CUDA)
    # torch's own CMake (Caffe2/public/cuda.cmake) wants a target list; the
    # H100/H200 are sm_90. An environment TORCH_CUDA_ARCH_LIST wins.
    if(NOT DEFINED ENV{TORCH_CUDA_ARCH_LIST})
      set(ENV{TORCH_CUDA_ARCH_LIST} "9.0")
    endif()
  endif()
  message(STATUS "LibTorch from ${POWERTRAIN_TORCH_PYTHON}: PyTorch ${PT_TORCH_VERSION}, "
                 "CUDA '${PT_TORCH_CUDA}', C++11 ABI ${PT_TORCH_ABI}, ${PT_TORCH_PREFIX}")
endif()
