// Bit masks of the zeros of int32 values, 64 values a word, and the run
// lengths read from them with popcounts: the counting and the walk of runs
// over int32 input look at a word of values at once instead of value by value.
#ifndef LAPLACE_RICE_CODEC_SRC_ZERO_MASKS_H_
#define LAPLACE_RICE_CODEC_SRC_ZERO_MASKS_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "bit_io.h"

namespace laplace_rice {
namespace internal {

// Bit j is set iff x[base + j] == 0, for base + j < end.
inline uint64_t ZeroMask(const int32_t* x, size_t base, size_t end) {
  const size_t n = std::min<size_t>(64, end - base);
  uint64_t mask = 0;
  size_t j = 0;
#if defined(__SSE2__)
  const __m128i zero = _mm_setzero_si128();
  for (; j + 4 <= n; j += 4) {
    const __m128i v =
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(x + base + j));
    const int four = _mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(v, zero)));
    mask |= uint64_t{static_cast<uint32_t>(four)} << j;
  }
#endif
  for (; j < n; ++j) mask |= uint64_t{x[base + j] == 0} << j;
  return mask;
}

// Two mask words as one 128-bit value, for shifts across the boundary.
struct Bits128 {
  uint64_t low;
  uint64_t high;
  Bits128 operator&(const Bits128& other) const {
    return Bits128{low & other.low, high & other.high};
  }
  Bits128 operator>>(int shift) const {  // 0 < shift < 64
    return Bits128{(low >> shift) | (high << (64 - shift)), high >> shift};
  }
};

// Sum of floor(log2(L + 1)) over the maximal runs of zeros in the 64 values
// of `word` (a ZeroMask) that start there; `next` is the following mask,
// `after_zero` whether the value before the word is zero.
inline uint64_t RunLogs(const int32_t* x, size_t base, size_t end,
                        uint64_t word, uint64_t next, uint64_t after_zero) {
  const uint64_t starts = word & ~((word << 1) | after_zero);
  if (starts == 0) return 0;
  const Bits128 w{word, next};
  // zK: bit i set iff bits i to i + K - 1 of w are all set.
  const Bits128 z2 = w & (w >> 1);
  const Bits128 z3 = z2 & (w >> 2);
  const Bits128 z4 = z2 & (z2 >> 2);
  const Bits128 z7 = z4 & (z3 >> 4);
  const Bits128 z8 = z4 & (z4 >> 4);
  const Bits128 z15 = z8 & (z7 >> 8);
  const Bits128 z16 = z8 & (z8 >> 8);
  const Bits128 z31 = z16 & (z15 >> 16);
  const Bits128 z63 = (z16 & (z16 >> 16)) & (z31 >> 32);
  uint64_t logs = Popcount(starts) + Popcount(starts & z3.low) +
                  Popcount(starts & z7.low) + Popcount(starts & z15.low) +
                  Popcount(starts & z31.low);
  for (uint64_t long_runs = starts & z63.low; long_runs != 0;
       long_runs &= long_runs - 1) {
    const size_t first = base + static_cast<size_t>(CountTrailingZeros(long_runs));
    size_t stop = first;
    while (stop < end && x[stop] == 0) ++stop;
    const uint64_t length = stop - first;  // >= 63: floor(log2(L + 1)) >= 6
    logs += static_cast<uint64_t>(HighestBit(length + 1)) - 5;
  }
  return logs;
}

}  // namespace internal
}  // namespace laplace_rice

#endif  // LAPLACE_RICE_CODEC_SRC_ZERO_MASKS_H_
