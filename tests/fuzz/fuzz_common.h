// Shared by the libFuzzer targets: how the first bytes of an input choose the
// code parameters, and a check that aborts (so that libFuzzer records a
// crash) with a message. make_corpus.py writes seeds in the same layout.
#ifndef LAPLACE_RICE_TESTS_FUZZ_FUZZ_COMMON_H_
#define LAPLACE_RICE_TESTS_FUZZ_FUZZ_COMMON_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "laplace_rice/codec.h"

namespace laplace_rice_fuzz {

// Bytes 0..2 of every input: run_length_code, magnitude_code, flags.
inline constexpr size_t kParamBytes = 3;

// A byte as a code parameter in [-2, 33]: gamma (-1 and another negative),
// every Rice parameter, and two out-of-range values that must be refused.
inline int CodeFromByte(uint8_t byte) { return static_cast<int>(byte % 36) - 2; }

inline laplace_rice::CodeParams ParamsFromBytes(const uint8_t* data) {
  laplace_rice::CodeParams params;
  params.run_length_code = CodeFromByte(data[0]);
  params.magnitude_code = CodeFromByte(data[1]);
  params.use_run_length_for_non_zeros = (data[2] & 1) != 0;
  return params;
}

inline bool ParamsInRange(const laplace_rice::CodeParams& params) {
  return params.run_length_code <= laplace_rice::kMaxRiceParameter &&
         params.magnitude_code <= laplace_rice::kMaxRiceParameter;
}

[[noreturn]] inline void Fail(const char* what, const laplace_rice::CodeParams& p) {
  std::fprintf(stderr,
               "FUZZ CHECK FAILED: %s (run_length_code=%d magnitude_code=%d "
               "use_run_length_for_non_zeros=%d)\n",
               what, p.run_length_code, p.magnitude_code,
               p.use_run_length_for_non_zeros ? 1 : 0);
  std::abort();
}

}  // namespace laplace_rice_fuzz

// Checks a condition in every build type (assert() vanishes with NDEBUG).
#define FUZZ_CHECK(cond, params)                        \
  do {                                                  \
    if (!(cond)) ::laplace_rice_fuzz::Fail(#cond, params); \
  } while (0)

#endif  // LAPLACE_RICE_TESTS_FUZZ_FUZZ_COMMON_H_
