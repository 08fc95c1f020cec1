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

// The mask of the first n bits (all 64 from n = 64 on): the bits of a mask
// word that stand for values inside the stretch.
inline uint64_t ValidMask(size_t n) {
  return n >= 64 ? ~uint64_t{0} : LowMask(static_cast<int>(n));
}

// The length of the run of zeros (kZeros) or of non-zeros that starts at
// x[first], within x[first, end). Out of line: only runs of 63 or more
// come here, and inlined it slowed the count of the defaults by 3 %.
template <bool kZeros>
LAPLACE_RICE_NOINLINE size_t RunFrom(const int32_t* x, size_t first, size_t end) {
  for (size_t base = first; base < end; base += 64) {
    const uint64_t zeros = ZeroMask(x, base, end);
    const uint64_t in_run = kZeros ? zeros : ~zeros;
    const uint64_t past_run = ~in_run & ValidMask(end - base);
    if (past_run != 0) {
      return base + static_cast<size_t>(CountTrailingZeros(past_run)) - first;
    }
  }
  return end - first;
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

// Sum of floor(log2(L + kPlus)) (kPlus 0 or 1) over the runs of zeros
// (kZeros) or non-zeros of x[base, end) that start at the bits of `starts`,
// L being a run's length; `word` is their mask of the 64 values from
// x[base] (set bits: in such a run), `next` that of the following 64.
// floor(log2(L + kPlus)) counts the j >= 1 with L >= 2^j - kPlus: a
// popcount per level of the starts whose runs are that long, from masks of
// where K bits in a row are set, up to 63 or 64; longer runs are measured
// (RunFrom). No step depends on the run before.
template <int kPlus, bool kZeros>
inline uint64_t RunLogs(uint64_t starts, uint64_t word, uint64_t next,
                        const int32_t* x, size_t base, size_t end) {
  static_assert(kPlus == 0 || kPlus == 1);
  if (starts == 0) return 0;
  const Bits128 w{word, next};
  // zK: bit i set iff bits i to i + K - 1 of w are all set.
  const Bits128 z2 = w & (w >> 1);
  const Bits128 z4 = z2 & (z2 >> 2);
  const Bits128 z8 = z4 & (z4 >> 4);
  const Bits128 z16 = z8 & (z8 >> 8);
  const Bits128 z32 = z16 & (z16 >> 16);
  uint64_t logs;
  uint64_t long_runs;
  if constexpr (kPlus == 1) {  // L >= 1, 3, 7, 15, 31; measured from 63
    const Bits128 z3 = z2 & (w >> 2);
    const Bits128 z7 = z4 & (z3 >> 4);
    const Bits128 z15 = z8 & (z7 >> 8);
    const Bits128 z31 = z16 & (z15 >> 16);
    const Bits128 z63 = z32 & (z31 >> 32);
    logs = Popcount(starts) + Popcount(starts & z3.low) +
           Popcount(starts & z7.low) + Popcount(starts & z15.low) +
           Popcount(starts & z31.low);
    long_runs = starts & z63.low;
  } else {  // L >= 2, 4, 8, 16, 32; measured from 64
    const Bits128 z64 = z32 & (z32 >> 32);
    logs = Popcount(starts & z2.low) + Popcount(starts & z4.low) +
           Popcount(starts & z8.low) + Popcount(starts & z16.low) +
           Popcount(starts & z32.low);
    long_runs = starts & z64.low;
  }
  for (; long_runs != 0; long_runs &= long_runs - 1) {
    const size_t first = base + static_cast<size_t>(CountTrailingZeros(long_runs));
    const uint64_t length = RunFrom<kZeros>(x, first, end);  // log >= 6
    logs += static_cast<uint64_t>(HighestBit(length + kPlus)) - 5;
  }
  return logs;
}

}  // namespace internal
}  // namespace laplace_rice

#endif  // LAPLACE_RICE_CODEC_SRC_ZERO_MASKS_H_
