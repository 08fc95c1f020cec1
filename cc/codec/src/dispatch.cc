// CPU dispatch: the one place where the kernels (kernels.h) are compiled
// per CPU target and one copy is picked at run time.
//
// On x86-64 with GCC or clang every kernel is compiled twice: for the
// baseline x86-64, and for x86-64-v3 (BMI2 shifts without the CL register,
// LZCNT/TZCNT, AVX2), with `flatten` so that the whole loop below the
// kernel is inlined into the v3 copy and gets those instructions (clang's
// `flatten` inlines only direct calls: the decoder's loops are marked
// always-inline for it; the encoder's are not yet, docs/benchmark.md). Decoding
// is compiled so per decoder type (Decode) and encoding per stretch
// (WriteStretch), each a function of its own. The copy is chosen once per
// process, so the library still runs on any x86-64;
// all copies write the same bits. The decoding kernel has a third copy for
// CPUs with AVX-512 VBMI2 (x86-64-v3 plus those instructions), whose word
// decoders find the codes' bounds by a byte compress (decode_rice.h).
// LAPLACE_RICE_DISABLE_AVX512 (any value) forces the x86-64-v3 copy,
// LAPLACE_RICE_DISABLE_V3 the baseline one, so that tests cover all three
// on one machine (cc/codec/tests). Elsewhere (or with
// LAPLACE_RICE_NO_DISPATCH) only the baseline exists.
#include <cstdlib>

#include "count.h"
#include "decode.h"
#include "encode.h"
#include "kernels.h"
#include "values.h"

namespace laplace_rice {
namespace internal {
namespace {

// Defines struct `Target`: the decoding kernel compiled with `ATTRIBUTES`,
// a call of the generic kernel, which the attributes recompile. LANES: the
// vector instructions of its word decoders (decode_rice.h's Lanes).
#define LAPLACE_RICE_DECODE_FOR_TARGET(Target, ATTRIBUTES, LANES)             \
  struct Target {                                                             \
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
      return internal::DecodeUnit<LANES>(                                     \
          data, size, slack, params, out, count,                              \
          [](const auto& make_decoder, Out* to, size_t n, bool nz_runs) {     \
            return Decode(make_decoder, to, n, nz_runs);                      \
          });                                                                 \
    }                                                                         \
  };

// Defines struct `Target`: the three kernels compiled with `ATTRIBUTES`,
// decoding as LAPLACE_RICE_DECODE_FOR_TARGET's.
#define LAPLACE_RICE_KERNELS_FOR_TARGET(Target, ATTRIBUTES, LANES)            \
  LAPLACE_RICE_DECODE_FOR_TARGET(Target##Decode, ATTRIBUTES, LANES)           \
  struct Target : Target##Decode {                                            \
    template <class Values>                                                   \
    ATTRIBUTES static uint64_t CountRange(const Values& values, size_t begin, \
                                          size_t end,                         \
                                          const CodeParams& params,           \
                                          uint32_t& suspect) {                \
      return internal::CountRange(values, begin, end, params, suspect);       \
    }                                                                         \
    template <class... Args>                                                  \
    ATTRIBUTES LAPLACE_RICE_NOINLINE static void WriteStretch(Args&&... args) { \
      internal::WriteStretch(args...);                                        \
    }                                                                         \
    template <class Values>                                                   \
    ATTRIBUTES static void WriteRange(const Values& values, size_t begin,     \
                                      size_t end, const CodeParams& params,   \
                                      BitWriter& writer, uint32_t& suspect) { \
      internal::WriteRange(values, begin, end, params, writer, suspect,       \
                           [](auto&&... args) { WriteStretch(args...); });    \
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
constexpr Lanes kBaselineLanes = Lanes::kNone;
#else
constexpr Lanes kBaselineLanes = Lanes::kAvx2;
#endif

LAPLACE_RICE_KERNELS_FOR_TARGET(Baseline, /* the compiler's flags */, kBaselineLanes)

#if defined(__GNUC__) && defined(__x86_64__) && !defined(LAPLACE_RICE_NO_DISPATCH)
#define LAPLACE_RICE_DISPATCH_V3 1
LAPLACE_RICE_KERNELS_FOR_TARGET(X86_64_V3, __attribute__((target("arch=x86-64-v3"), flatten)),
                                Lanes::kAvx2)
// The x86-64-v3 decoding kernel with AVX-512 VBMI2's byte compress in
// inline assembly (code_bounds.h): the compiler's own code stays as in the
// x86-64-v3 copy.
LAPLACE_RICE_DECODE_FOR_TARGET(X86_64_V3_Vbmi2,
                               __attribute__((target("arch=x86-64-v3"), flatten)),
                               Lanes::kAvx2Compress)

// The features are named one by one because clang before 16 does not know
// the "x86-64-v3" level name in __builtin_cpu_supports; every CPU with these
// four also has the level's LZCNT, MOVBE and F16C.
bool CpuRunsV3() {
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") &&
         __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("fma") &&
         std::getenv("LAPLACE_RICE_DISABLE_V3") == nullptr;
}

bool CpuRunsV3Vbmi2() {
  return CpuRunsV3() && __builtin_cpu_supports("avx512f") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx512vbmi2") &&
         std::getenv("LAPLACE_RICE_DISABLE_AVX512") == nullptr;
}

template <typename T>
Kernels<T> KernelsForThisCpu() {
  if (!CpuRunsV3()) return Baseline::Table<T>();
  Kernels<T> kernels = X86_64_V3::Table<T>();
  if (CpuRunsV3Vbmi2()) {
    kernels.decode_unit = &X86_64_V3_Vbmi2::DecodeUnit<typename Kernels<T>::Out>;
  }
  return kernels;
}
#endif

#undef LAPLACE_RICE_KERNELS_FOR_TARGET
#undef LAPLACE_RICE_DECODE_FOR_TARGET

}  // namespace

template <typename T>
const Kernels<T>& ForThisCpu() {
#ifdef LAPLACE_RICE_DISPATCH_V3
  static const Kernels<T> kernels = KernelsForThisCpu<T>();
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
