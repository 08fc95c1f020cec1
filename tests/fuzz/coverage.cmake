# Initial cache for a coverage build of the fuzzers (coverage.sh):
# clang's source-based coverage instead of the sanitizers.
set(CMAKE_CXX_COMPILER clang++ CACHE STRING "" FORCE)
set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "" FORCE)
set(CMAKE_CXX_FLAGS "-fprofile-instr-generate -fcoverage-mapping -fsanitize=fuzzer-no-link"
    CACHE STRING "" FORCE)
set(LAPLACE_RICE_FUZZ ON CACHE BOOL "" FORCE)
set(LAPLACE_RICE_BUILD_TF OFF CACHE STRING "" FORCE)
