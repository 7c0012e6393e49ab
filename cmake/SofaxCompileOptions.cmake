# Compile options shared by every sofax target: warnings on, native code where asked, sanitizers
# in the asan preset. Applied through the interface target sofax_options.
add_library(sofax_options INTERFACE)
target_compile_options(sofax_options INTERFACE -Wall -Wextra -Wpedantic -Wno-unused-parameter)
# GCC 12 reports false -Wmaybe-uninitialized inside its own AVX-512 intrinsics headers whenever
# Eigen's vectorized kernels (ptranspose, predux, GEMV, packing) are inlined: the deliberately
# undefined register of _mm512_undefined_pd (GCC bug 105593); the same register also trips
# -Wuninitialized in _mm512_rsqrt14_pd. Both are off for exactly that compiler and instruction
# set; sofax's own code is clean of both (with the silencing removed, every remaining report was
# inside avx512fintrin.h), and other compilers and CPUs keep them on.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13 AND SOFAX_NATIVE)
  include(CheckCXXSourceCompiles)
  set(CMAKE_REQUIRED_FLAGS -march=native)
  check_cxx_source_compiles("#ifndef __AVX512F__\n#error no AVX-512\n#endif\nint main() { return 0; }"
                            SOFAX_NATIVE_HAS_AVX512)
  unset(CMAKE_REQUIRED_FLAGS)
  if(SOFAX_NATIVE_HAS_AVX512)
    target_compile_options(sofax_options INTERFACE -Wno-maybe-uninitialized -Wno-uninitialized)
  endif()
endif()
if(SOFAX_NATIVE)
  target_compile_options(sofax_options INTERFACE -march=native)
endif()
if(SOFAX_SANITIZE)
  # UBSan's null, alignment, object-size and pointer-overflow checks instrument every pointer
  # access of Eigen and the dual-number kernels and double the sanitizer build's compile time
  # (measured: 86 s against 41 s for one assembly test file). ASan already stops on a null or
  # out-of-bounds access and a misaligned Eigen load faults, so they are left out; the checks
  # ASan cannot make (signed overflow, shifts, bounds of arrays, bool/enum values,
  # unreachable code, division by zero) stay on.
  target_compile_options(sofax_options INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
                                                 -fno-sanitize=null,alignment,object-size,pointer-overflow
                                                 -fno-sanitize-recover=undefined)
  target_link_options(sofax_options INTERFACE -fsanitize=address,undefined)
endif()

# sofax_add_module(NAME SOURCES... DEPENDS...): one namespaced target per module (sofax::NAME).
function(sofax_add_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPENDS" ${ARGN})
  if(ARG_SOURCES)
    add_library(sofax_${name} STATIC ${ARG_SOURCES})
    target_include_directories(sofax_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(sofax_${name} PUBLIC ${ARG_DEPENDS} PRIVATE sofax_options)
    set_target_properties(sofax_${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  else()
    add_library(sofax_${name} INTERFACE)
    target_include_directories(sofax_${name} INTERFACE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(sofax_${name} INTERFACE ${ARG_DEPENDS})
  endif()
  add_library(sofax::${name} ALIAS sofax_${name})
endfunction()

# sofax_add_test(NAME SOURCES... DEPENDS...): a GoogleTest executable registered with ctest.
function(sofax_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPENDS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPENDS} GTest::gtest GTest::gtest_main sofax_options)
  if(SOFAX_SANITIZE)
    # The sanitizer pass compiles the test files themselves without optimization (the libraries
    # keep -O1, where the loops run): test files instantiate kernels for their own small energies,
    # and at -O1 they cost about 1.6x the compile time for checks that run in milliseconds.
    target_compile_options(${name} PRIVATE -O0)
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60
                       PROPERTIES ENVIRONMENT "SOFAX_MESH_DIR=${SOFAX_MESH_DIR}")
endfunction()
