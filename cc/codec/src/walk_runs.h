// The walk of FORMAT.md with runs of non-zeros: it finds the runs of zeros
// and of non-zeros of a stretch of a unit and hands their lengths and values
// to a sink, which counts their bits (count.h) or writes their codes
// (encode.h). Two walks: one value by value for any value source, and a
// faster one for int32 values that finds the runs from bit masks of zeros.
//
// A sink has RunLength(r), NonZero(x) and Group(zeros, x, n, readable): a
// group's run of zeros (coded as `zeros`) and its run of n non-zeros (a run
// length n - 1, then the n values), of `readable` >= n that may be read; as
// RunLength(zeros), RunLength(n - 1) and NonZero for each value.
#ifndef LAPLACE_RICE_CODEC_SRC_WALK_RUNS_H_
#define LAPLACE_RICE_CODEC_SRC_WALK_RUNS_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "bit_io.h"
#include "zero_masks.h"

namespace laplace_rice {
namespace internal {

// Walks values[begin, end). `offset` is what the first run of zeros is
// coded less by: 0 at the start of a unit, 1 at a split point.
template <class Values, class Sink>
void WalkRunsValueByValue(const Values& values, size_t begin, size_t end,
                          uint64_t offset, Sink& sink, uint32_t& suspect) {
  size_t pos = begin;
  while (pos < end) {
    const size_t zeros_start = pos;
    while (pos < end && values.Get(pos, suspect) == 0) ++pos;
    sink.RunLength(pos - zeros_start - offset);
    if (pos == end) break;
    const size_t non_zeros_start = pos;
    while (pos < end && values.Get(pos, suspect) != 0) ++pos;
    sink.RunLength(pos - non_zeros_start - 1);
    for (size_t i = non_zeros_start; i < pos; ++i) {
      sink.NonZero(values.Get(i, suspect));
    }
    offset = 1;
  }
}

// The same walk over x[begin, end), finding where the runs change from bit
// masks of the zeros (ZeroMask): its loop turns once per run, not per value,
// and a run of non-zeros reaches the sink as one array.
template <class Sink>
void WalkRunsByZeroMasks(const int32_t* x, size_t begin, size_t end,
                         uint64_t offset, Sink& sink) {
  if (begin >= end) return;
  bool in_zeros = x[begin] == 0;
  size_t run_start = begin;  // of the current run, of zeros or non-zeros
  size_t zeros = 0;          // the run of zeros before the current non-zeros
  const auto emit_group = [&](size_t non_zeros_end) {
    sink.Group(zeros - offset, x + run_start, non_zeros_end - run_start,
               end - run_start);
    offset = 1;
  };
  uint64_t last_zero = in_zeros;  // no change at `begin`
  for (size_t base = begin; base < end; base += 64) {
    const size_t n = std::min<size_t>(64, end - base);
    const uint64_t word = ZeroMask(x, base, end);
    // Bit j: x[base + j] is zero and x[base + j - 1] is not, or the reverse.
    uint64_t changes = (word ^ ((word << 1) | last_zero)) & ValidMask(n);
    last_zero = (word >> (n - 1)) & 1;
    for (; changes != 0; changes &= changes - 1) {
      const size_t at = base + static_cast<size_t>(CountTrailingZeros(changes));
      if (in_zeros) {
        zeros = at - run_start;  // non-zeros start at `at`
      } else {
        emit_group(at);  // zeros start at `at`
      }
      run_start = at;
      in_zeros = !in_zeros;
    }
  }
  if (in_zeros) {
    sink.RunLength(end - run_start - offset);  // trailing zeros
  } else {
    emit_group(end);
  }
}

}  // namespace internal
}  // namespace laplace_rice

#endif  // LAPLACE_RICE_CODEC_SRC_WALK_RUNS_H_
