// CPU dispatch: the one place where the kernels (kernels.h) are compiled
// per CPU target and one copy is picked at run time.
//
// On x86-64 with GCC or clang every kernel is compiled twice: for the
// baseline x86-64, and for x86-64-v3 (BMI2 shifts without the CL register,
// LZCNT/TZCNT, AVX2), with `flatten` so that the whole loop below the
// kernel is inlined into the v3 copy and gets those instructions. Decoding
// is compiled so per decoder type (Decode), each a function of its own. The copy
// is chosen once per process, so the library still runs on any x86-64;
// both copies write the same bits. LAPLACE_RICE_DISABLE_V3 (any value)
// forces the baseline copy, so that tests can cover both on one machine.
// Elsewhere (or with LAPLACE_RICE_NO_DISPATCH) only the baseline exists.
#include <cstdlib>

#include "count.h"
#include "decode.h"
#include "encode.h"
#include "kernels.h"
#include "values.h"

namespace laplace_rice {
namespace internal {
namespace {

// Defines struct `Target`: the three kernels compiled with `ATTRIBUTES`.
// Each is a call of the generic kernel, which the attributes recompile.
// VECTOR_LANES: whether the target decodes with the vector-lane word
// decoders (decode_rice.h's WithRiceWordsFor).
#define LAPLACE_RICE_KERNELS_FOR_TARGET(Target, ATTRIBUTES, VECTOR_LANES)     \
  struct Target {                                                             \
    template <class Values>                                                   \
    ATTRIBUTES static uint64_t CountRange(const Values& values, size_t begin, \
                                          size_t end,                         \
                                          const CodeParams& params,           \
                                          uint32_t& suspect) {                \
      return internal::CountRange(values, begin, end, params, suspect);       \
    }                                                                         \
    template <class Values>                                                   \
    ATTRIBUTES static void WriteRange(const Values& values, size_t begin,     \
                                      size_t end, const CodeParams& params,   \
                                      BitWriter& writer, uint32_t& suspect) { \
      internal::WriteRange(values, begin, end, params, writer, suspect);      \
    }                                                                         \
    template <class MakeDecoder, typename Out>                                \
    ATTRIBUTES static Status Decode(const MakeDecoder& make_decoder,          \
                                    Out* out, size_t count,                   \
                                    bool runs_of_non_zeros) {                 \
      auto decoder = make_decoder();                                          \
      return decoder.Decode(out, count, runs_of_non_zeros);                   \
    }                                                                         \
    template <typename Out>                                                   \
    static Status DecodeUnit(const uint8_t* data, size_t size, size_t slack,  \
                             const CodeParams& params, Out* out,              \
                             size_t count) {                                  \
      return internal::DecodeUnit<VECTOR_LANES>(                              \
          data, size, slack, params, out, count,                              \
          [](const auto& make_decoder, Out* to, size_t n, bool nz_runs) {     \
            return Decode(make_decoder, to, n, nz_runs);                      \
          });                                                                 \
    }                                                                         \
    template <typename T>                                                     \
    static Kernels<T> Table() {                                               \
      using K = Kernels<T>;                                                   \
      return {&CountRange<typename K::Values>, &WriteRange<typename K::Values>, \
              &DecodeUnit<typename K::Out>};                                  \
    }                                                                         \
  };

// The vector-lane word decoders (decode_rice.h) where the compiler's flags
// give them AVX2 and POPCNT, or off x86 (where they are not measured).
#if defined(__x86_64__) && !(defined(__AVX2__) && defined(__POPCNT__))
constexpr bool kBaselineVectorLanes = false;
#else
constexpr bool kBaselineVectorLanes = true;
#endif

LAPLACE_RICE_KERNELS_FOR_TARGET(Baseline, /* the compiler's flags */, kBaselineVectorLanes)

#if defined(__GNUC__) && defined(__x86_64__) && !defined(LAPLACE_RICE_NO_DISPATCH)
#define LAPLACE_RICE_DISPATCH_V3 1
LAPLACE_RICE_KERNELS_FOR_TARGET(X86_64_V3, __attribute__((target("arch=x86-64-v3"), flatten)), true)

// The features are named one by one because clang before 16 does not know
// the "x86-64-v3" level name in __builtin_cpu_supports; every CPU with these
// four also has the level's LZCNT, MOVBE and F16C.
bool CpuRunsV3() {
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") &&
         __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("fma") &&
         std::getenv("LAPLACE_RICE_DISABLE_V3") == nullptr;
}
#endif

#undef LAPLACE_RICE_KERNELS_FOR_TARGET

}  // namespace

template <typename T>
const Kernels<T>& ForThisCpu() {
#ifdef LAPLACE_RICE_DISPATCH_V3
  static const Kernels<T> kernels =
      CpuRunsV3() ? X86_64_V3::Table<T>() : Baseline::Table<T>();
#else
  static const Kernels<T> kernels = Baseline::Table<T>();
#endif
  return kernels;
}

template const Kernels<int32_t>& ForThisCpu<int32_t>();
template const Kernels<float>& ForThisCpu<float>();
template const Kernels<double>& ForThisCpu<double>();

}  // namespace internal
}  // namespace laplace_rice
