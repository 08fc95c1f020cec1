# Initial cache for a sanitized build: cmake -C tests/fuzz/sanitize.cmake -S . -B build/fuzz
# Everything (the codec, its unit tests, the fuzzers) is built with clang,
# AddressSanitizer and UndefinedBehaviorSanitizer (a UBSan finding aborts),
# plus the coverage instrumentation that steers libFuzzer.
set(CMAKE_CXX_COMPILER clang++ CACHE STRING "" FORCE)
set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "" FORCE)
set(CMAKE_CXX_FLAGS
    "-fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=all -fno-omit-frame-pointer"
    CACHE STRING "" FORCE)
set(LAPLACE_RICE_FUZZ ON CACHE BOOL "" FORCE)
set(LAPLACE_RICE_BUILD_TF OFF CACHE STRING "" FORCE)
