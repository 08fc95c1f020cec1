// Counting: the exact length in bits of a stretch of a unit, without
// writing it. CountRange() is the kernel that dispatch.cc compiles per CPU
// target; below it, one loop per case:
//   CountPlainValueByValue  without runs of non-zeros, any codes
//   CountPlainByZeroMasks   without runs of non-zeros, int32, gamma runs
//   CountGroupsByZeroMasks  with runs of non-zeros, int32, gamma runs
//   WalkRuns* + BitCounter  with runs of non-zeros, other cases
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

// The magnitude codes of the non-zeros of x[begin, end). No carried
// dependency: vectorizes.
template <class Mags>
uint64_t MagnitudeBits(const int32_t* x, size_t begin, size_t end,
                       const Mags& mags) {
  uint64_t bits = 0;
  for (size_t i = begin; i < end; ++i) {
    const uint64_t non_zero = x[i] != 0;
    bits += mags.Length(MagnitudeOr1(x[i])) & (0 - non_zero);
  }
  return bits;
}

// The same for int32 values with gamma run lengths (the default), from bit
// masks of the zeros. A run of L zeros costs 2 * floor(log2(L + 1)) + 1
// bits: RunLogs<1> sums the floor(log2(L + 1)) of the runs that start in a
// mask word, with no step depending on the one before, unlike the run
// carried by CountPlainValueByValue's loop.
template <class Mags>
uint64_t CountPlainByZeroMasks(const int32_t* x, size_t begin, size_t end,
                               const Mags& mags) {
  if (begin >= end) return 0;
  const uint64_t magnitude_bits = MagnitudeBits(x, begin, end, mags);
  uint64_t zeros = 0;
  uint64_t run_logs = 0;
  uint64_t after_zero = 0;  // begin follows a non-zero or starts the unit
  uint64_t word = ZeroMask(x, begin, end);
  for (size_t base = begin; base < end; base += 64) {
    const uint64_t next = end - base > 64 ? ZeroMask(x, base + 64, end) : 0;
    const uint64_t starts = word & ~((word << 1) | after_zero);
    zeros += Popcount(word);
    run_logs += RunLogs<1, true>(starts, word, next, x, base, end);
    after_zero = word >> 63;
    word = next;
  }
  const uint64_t non_zeros = (end - begin) - zeros;
  const uint64_t trailing_run = x[end - 1] == 0;
  // Per non-zero: its run's 1 bit + 2 * log, a sign bit, its magnitude.
  return non_zeros * 2 + trailing_run + 2 * run_logs + magnitude_bits;
}

// With runs of non-zeros, for int32 values with gamma run lengths: past the
// first run of zeros (coded less `offset`), every run of zeros and of
// non-zeros is coded as its length L less one, in 2 * floor(log2(L)) + 1
// bits, so the bits are sums over the runs' starts of both mask words
// (RunLogs<0>), as in CountPlainByZeroMasks. Equals the walk with a
// BitCounter, without its loop turn (and mispredicted exits) per run.
template <class Mags>
uint64_t CountGroupsByZeroMasks(const int32_t* x, size_t begin, size_t end,
                                uint64_t offset, const GammaRuns& runs,
                                const Mags& mags) {
  if (begin >= end) return 0;
  const size_t first_zeros = x[begin] == 0 ? RunFrom<true>(x, begin, end) : 0;
  const uint64_t first_run_bits = runs.Length(first_zeros - offset);
  const size_t start = begin + first_zeros;  // a non-zero, or the end
  if (start == end) return first_run_bits;
  const uint64_t magnitude_bits = MagnitudeBits(x, start, end, mags);
  uint64_t non_zeros = 0;
  uint64_t run_count = 0;
  uint64_t run_logs = 0;
  uint64_t last_zero = 0;      // of the word before: x[start - 1] counts as
  uint64_t last_non_zero = 0;  // neither, so that x[start] starts a run
  uint64_t zeros = ZeroMask(x, start, end);
  for (size_t base = start; base < end; base += 64) {
    const uint64_t next_zeros = end - base > 64 ? ZeroMask(x, base + 64, end) : 0;
    const uint64_t non_zero_mask = ~zeros & ValidMask(end - base);
    const uint64_t next_non_zeros =
        end - base > 64 ? ~next_zeros & ValidMask(end - base - 64) : 0;
    const uint64_t zero_starts = zeros & ~((zeros << 1) | last_zero);
    const uint64_t non_zero_starts =
        non_zero_mask & ~((non_zero_mask << 1) | last_non_zero);
    non_zeros += Popcount(non_zero_mask);
    run_count += Popcount(zero_starts) + Popcount(non_zero_starts);
    run_logs += RunLogs<0, true>(zero_starts, zeros, next_zeros, x, base, end);
    run_logs += RunLogs<0, false>(non_zero_starts, non_zero_mask,
                                  next_non_zeros, x, base, end);
    last_zero = zeros >> 63;
    last_non_zero = non_zero_mask >> 63;
    zeros = next_zeros;
  }
  // Per run: 1 + 2 * log bits; per non-zero: a sign bit, its magnitude.
  return first_run_bits + run_count + 2 * run_logs + non_zeros + magnitude_bits;
}

// The sink of the walk with runs of non-zeros that counts.
template <class Runs, class Mags>
struct BitCounter {
  const Runs& runs;
  const Mags& mags;
  uint64_t bits = 0;
  void RunLength(uint64_t r) { bits += runs.Length(r); }
  void NonZero(int32_t x) { bits += 1 + mags.Length(Magnitude(x)); }
  void Group(uint64_t zeros, const int32_t* x, size_t n, size_t /*readable*/) {
    RunLength(zeros);
    RunLength(n - 1);
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
      const uint64_t offset = unit_start ? 0 : 1;
      if constexpr (kIsInt32Source<Source> && std::is_same_v<Runs, GammaRuns>) {
        return CountGroupsByZeroMasks(source.data, from, to, offset, runs, mags);
      } else {
        BitCounter<Runs, Mags> counter{runs, mags};
        if constexpr (kIsInt32Source<Source>) {
          WalkRunsByZeroMasks(source.data, from, to, offset, counter);
        } else {
          WalkRunsValueByValue(source, from, to, offset, counter, suspect);
        }
        return counter.bits;
      }
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
