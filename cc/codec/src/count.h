// Counting: the exact length in bits of a stretch of a unit, without
// writing it. CountRange() is the kernel that dispatch.cc compiles per CPU
// target; below it, one loop per case:
//   CountPlainValueByValue  without runs of non-zeros, any codes
//   CountPlainByZeroMasks   without runs of non-zeros, int32, gamma runs
//   WalkRuns* + BitCounter  with runs of non-zeros
#ifndef LAPLACE_RICE_CODEC_SRC_COUNT_H_
#define LAPLACE_RICE_CODEC_SRC_COUNT_H_

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "codes.h"
#include "laplace_rice/codec.h"
#include "values.h"
#include "walk_runs.h"
#include "zero_masks.h"

namespace laplace_rice {
namespace internal {

// Without runs of non-zeros: each value adds the code of (run of zeros
// before it, sign, magnitude) if non-zero, or extends the run if zero. No
// branch per value: the zero/non-zero mix of Laplace data is unpredictable.
template <class Values, class Runs, class Mags>
uint64_t CountPlainValueByValue(const Values& values, size_t begin, size_t end,
                                const Runs& runs, const Mags& mags,
                                uint32_t& suspect) {
  uint64_t bits = 0;
  uint64_t run = 0;
  for (size_t i = begin; i < end; ++i) {
    const int32_t x = values.Get(i, suspect);
    const uint64_t non_zero = x != 0;
    const uint32_t m = MagnitudeOr1(x);
    const uint64_t length = runs.Length(run) + 1 + mags.Length(m);
    bits += length & (0 - non_zero);
    run = (run + 1) & (non_zero - 1);
  }
  if (run > 0) bits += runs.Length(run);
  return bits;
}

// The same for int32 values with gamma run lengths (the default), from bit
// masks of the zeros. A run of L zeros costs 2 * floor(log2(L + 1)) + 1
// bits, and floor(log2(L + 1)) is the number of j >= 1 with L >= 2^j - 1:
// so the run bits are a popcount per level of the runs' first zeros that
// have 1, 3, 7, 15 or 31 more zeros after them (RunLogs). No step depends on
// the one before, unlike the run carried by CountPlainValueByValue's loop.
template <class Mags>
uint64_t CountPlainByZeroMasks(const int32_t* x, size_t begin, size_t end,
                               const Mags& mags) {
  if (begin >= end) return 0;
  uint64_t magnitude_bits = 0;  // no carried dependency: vectorizes
  for (size_t i = begin; i < end; ++i) {
    const uint64_t non_zero = x[i] != 0;
    magnitude_bits += mags.Length(MagnitudeOr1(x[i])) & (0 - non_zero);
  }
  uint64_t zeros = 0;
  uint64_t run_logs = 0;
  uint64_t after_zero = 0;  // begin follows a non-zero or starts the unit
  uint64_t word = ZeroMask(x, begin, end);
  for (size_t base = begin; base < end; base += 64) {
    const uint64_t next = end - base > 64 ? ZeroMask(x, base + 64, end) : 0;
    zeros += Popcount(word);
    run_logs += RunLogs(x, base, end, word, next, after_zero);
    after_zero = word >> 63;
    word = next;
  }
  const uint64_t non_zeros = (end - begin) - zeros;
  const uint64_t trailing_run = x[end - 1] == 0;
  // Per non-zero: its run's 1 bit + 2 * log, a sign bit, its magnitude.
  return non_zeros * 2 + trailing_run + 2 * run_logs + magnitude_bits;
}

// The sink of the walk with runs of non-zeros that counts.
template <class Runs, class Mags>
struct BitCounter {
  const Runs& runs;
  const Mags& mags;
  uint64_t bits = 0;
  void RunLength(uint64_t r) { bits += runs.Length(r); }
  void NonZero(int32_t x) { bits += 1 + mags.Length(Magnitude(x)); }
  void NonZeros(const int32_t* x, size_t n, size_t /*readable*/) {
    for (size_t i = 0; i < n; ++i) NonZero(x[i]);
  }
};

// Bits of values[begin, end); `begin` is 0 or a split point. Picks the codes
// once; float input is rounded into int32 blocks (ForEachRoundedStretch) so
// that the int32 loops do the counting.
template <class Values>
uint64_t CountRange(const Values& values, size_t begin, size_t end,
                    const CodeParams& params, uint32_t& suspect) {
  const bool nz_runs = params.use_run_length_for_non_zeros;
  return WithCoders(params, [&](const auto& runs, const auto& mags) {
    using Runs = std::decay_t<decltype(runs)>;
    using Mags = std::decay_t<decltype(mags)>;
    // Counts source[from, to) with the loop made for its kind of values.
    const auto count = [&](const auto& source, size_t from, size_t to,
                           bool unit_start) -> uint64_t {
      using Source = std::decay_t<decltype(source)>;
      if (!nz_runs) {
        if constexpr (kIsInt32Source<Source> && std::is_same_v<Runs, GammaRuns>) {
          return CountPlainByZeroMasks(source.data, from, to, mags);
        } else {
          return CountPlainValueByValue(source, from, to, runs, mags, suspect);
        }
      }
      BitCounter<Runs, Mags> counter{runs, mags};
      const uint64_t offset = unit_start ? 0 : 1;
      if constexpr (kIsInt32Source<Source>) {
        WalkRunsByZeroMasks(source.data, from, to, offset, counter);
      } else {
        WalkRunsValueByValue(source, from, to, offset, counter, suspect);
      }
      return counter.bits;
    };
    if constexpr (kIsInt32Source<Values>) {
      return count(values, begin, end, begin == 0);
    } else {
      uint64_t bits = 0;
      ForEachRoundedStretch(
          values, begin, end, nz_runs, suspect,
          [&](const int32_t* block, size_t n, bool unit_start) {
            bits += count(Int32Values{block}, 0, n, unit_start);
          },
          [&](size_t from, size_t to) {
            bits += count(values, from, to, from == 0);
          });
      return bits;
    }
  });
}

}  // namespace internal
}  // namespace laplace_rice

#endif  // LAPLACE_RICE_CODEC_SRC_COUNT_H_
