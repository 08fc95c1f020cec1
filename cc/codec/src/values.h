// Value sources: how the coding loops read element i of a unit as an int32
// (int32 input as is, float and double rounded half to even as tf.round
// does), where a unit may be cut (split points), and the rounding of float
// input a block at a time into int32 for the int32 loops.
#ifndef LAPLACE_RICE_CODEC_SRC_VALUES_H_
#define LAPLACE_RICE_CODEC_SRC_VALUES_H_

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "laplace_rice/codec.h"

namespace laplace_rice {
namespace internal {

// Get() sets bits of `suspect` for values that may not be codable; Check()
// then finds the first bad one exactly (a rare, slow path).

struct Int32Values {
  const int32_t* data;
  int32_t Get(size_t i, uint32_t& /*suspect*/) const { return data[i]; }
  Status Check(size_t /*begin*/, size_t /*end*/, uint32_t /*suspect*/) const {
    return Status();
  }
};

// Whether `x` rounds (half to even) to an int32. NaN fails both comparisons.
template <typename Float>
bool RoundsToInt32(Float x) {
  const double d = static_cast<double>(x);
  return d >= -2147483648.5 && d < 2147483647.5;
}

// Rounds half to even (the default rounding mode, as tf.round). The SSE2
// conversion returns INT32_MIN for NaN and out-of-range values, which marks
// the value suspect; a real INT32_MIN is cleared by Check().
template <typename Float>
inline int32_t RoundToInt32(Float x, uint32_t& suspect) {
  static_assert(std::is_same_v<Float, float> || std::is_same_v<Float, double>);
#if defined(__SSE2__)
  const int32_t r = std::is_same_v<Float, float>
                        ? _mm_cvtss_si32(_mm_set_ss(static_cast<float>(x)))
                        : _mm_cvtsd_si32(_mm_set_sd(static_cast<double>(x)));
#else
  const int32_t r = RoundsToInt32(x) ? static_cast<int32_t>(std::nearbyint(x))
                                     : std::numeric_limits<int32_t>::min();
#endif
  suspect |= r == std::numeric_limits<int32_t>::min();
  return r;
}

// Floating-point values, rounded on the fly (no int32 copy).
template <typename Float>
struct RoundedValues {
  const Float* data;

  int32_t Get(size_t i, uint32_t& suspect) const {
    return RoundToInt32(data[i], suspect);
  }

  Status Check(size_t begin, size_t end, uint32_t suspect) const {
    if (suspect == 0) return Status();
    for (size_t i = begin; i < end; ++i) {
      if (!RoundsToInt32(data[i])) {
        return Status::InvalidArgument(
            "cannot quantize value " + std::to_string(data[i]) +
            " at index " + std::to_string(i) +
            " of a coding unit: it is NaN, infinite or rounds outside int32");
      }
    }
    return Status();
  }
};

// The value source of a unit of T (int32_t, float or double).
template <typename T>
using ValueSource = std::conditional_t<std::is_same_v<T, int32_t>, Int32Values,
                                       RoundedValues<T>>;

// Whether a value source reads int32 values as they are (the loops that work
// on bit masks of the zeros read its `data` directly).
template <class Values>
inline constexpr bool kIsInt32Source = std::is_same_v<Values, Int32Values>;

// ---------------------------------------------------------------------------
// Split points: where the walk of a unit can start afresh, so that a unit
// can be coded in parts (parallel.cc) and float blocks end cleanly.

template <class Values>
bool IsSplitPoint(const Values& values, size_t pos, size_t count,
                  bool runs_of_non_zeros, uint32_t& suspect) {
  if (pos == 0 || pos >= count) return false;
  if (values.Get(pos - 1, suspect) == 0) return false;
  return !runs_of_non_zeros || values.Get(pos, suspect) == 0;
}

// The first split point at or after `pos`, or `count` if none.
template <class Values>
size_t NextSplitPoint(const Values& values, size_t pos, size_t count,
                      bool runs_of_non_zeros, uint32_t& suspect) {
  while (pos < count &&
         !IsSplitPoint(values, pos, count, runs_of_non_zeros, suspect)) {
    ++pos;
  }
  return pos;
}

// ---------------------------------------------------------------------------
// Floating-point input is rounded a block at a time (four values per
// instruction) into int32, and each block is coded as int32 up to its last
// split point; the rest of the block starts the next one. The int32 loops
// keep fewer values live than ones that round as they go (no spills), and
// the int32-only loops (bit masks of zeros) apply.

inline constexpr size_t kRoundBlock = 1024;

inline void RoundBlock(const float* x, size_t n, int32_t* out,
                       uint32_t& suspect) {
  size_t i = 0;
#if defined(__SSE2__)
  const __m128i int32_min = _mm_set1_epi32(std::numeric_limits<int32_t>::min());
  __m128i bad = _mm_setzero_si128();
  for (; i + 4 <= n; i += 4) {
    const __m128i r = _mm_cvtps_epi32(_mm_loadu_ps(x + i));
    bad = _mm_or_si128(bad, _mm_cmpeq_epi32(r, int32_min));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), r);
  }
  suspect |= static_cast<uint32_t>(_mm_movemask_epi8(bad) != 0);
#endif
  for (; i < n; ++i) out[i] = RoundToInt32(x[i], suspect);
}

inline void RoundBlock(const double* x, size_t n, int32_t* out,
                       uint32_t& suspect) {
  size_t i = 0;
#if defined(__SSE2__)
  const __m128i int32_min = _mm_set1_epi32(std::numeric_limits<int32_t>::min());
  __m128i bad = _mm_setzero_si128();
  for (; i + 2 <= n; i += 2) {
    const __m128i r = _mm_cvtpd_epi32(_mm_loadu_pd(x + i));  // 2 low lanes
    bad = _mm_or_si128(bad, _mm_cmpeq_epi32(_mm_unpacklo_epi64(r, r), int32_min));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out + i), r);
  }
  suspect |= static_cast<uint32_t>(_mm_movemask_epi8(bad) != 0);
#endif
  for (; i < n; ++i) out[i] = RoundToInt32(x[i], suspect);
}

// The last split point in block[1, n), or 0 if none.
inline size_t LastSplitPoint(const int32_t* block, size_t n, bool nz_runs) {
  for (size_t c = n - 1; c > 0; --c) {
    if (block[c - 1] != 0 && (!nz_runs || block[c] == 0)) return c;
  }
  return 0;
}

// Calls code_block(block, n, unit_start) for rounded stretches of
// values[begin, end) in order, and code_direct(from, to) for a stretch with
// no split point in a whole block (long runs), coded from the floats.
template <class Float, class CodeBlock, class CodeDirect>
void ForEachRoundedStretch(const RoundedValues<Float>& values, size_t begin,
                           size_t end, bool nz_runs, uint32_t& suspect,
                           CodeBlock&& code_block, CodeDirect&& code_direct) {
  int32_t block[kRoundBlock];
  size_t start = begin;  // block[0] is values[start], a split point
  size_t held = 0;       // values at block[0, held) are rounded already
  while (start < end) {
    const size_t n = std::min(kRoundBlock, end - start);
    RoundBlock(values.data + start + held, n - held, block + held, suspect);
    size_t cut = n;
    if (start + n < end) {
      cut = LastSplitPoint(block, n, nz_runs);
      if (cut == 0) {
        const size_t stop =
            NextSplitPoint(values, start + n, end, nz_runs, suspect);
        code_direct(start, stop);
        start = stop;
        held = 0;
        continue;
      }
    }
    code_block(static_cast<const int32_t*>(block), cut, start == 0);
    held = n - cut;
    std::memmove(block, block + cut, held * sizeof(int32_t));
    start += cut;
  }
}

}  // namespace internal
}  // namespace laplace_rice

#endif  // LAPLACE_RICE_CODEC_SRC_VALUES_H_
