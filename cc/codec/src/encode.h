// Writing: the codes of a stretch of a unit into a BitWriter. WriteRange()
// is the kernel that dispatch.cc compiles per CPU target; below it the
// encode tables (the codes of short runs and small values, looked up instead
// of computed) and two loops:
//   WritePlain                          without runs of non-zeros
//   WalkRuns* + CodeWriter              with runs of non-zeros
#ifndef LAPLACE_RICE_CODEC_SRC_ENCODE_H_
#define LAPLACE_RICE_CODEC_SRC_ENCODE_H_

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "bit_io.h"
#include "codes.h"
#include "laplace_rice/codec.h"
#include "tables.h"
#include "values.h"
#include "walk_runs.h"

namespace laplace_rice {
namespace internal {

// The codes of the common cases, looked up by WritePlain instead of computed:
// the run-length code of runs below kRunTableSize, and the sign-and-magnitude
// code of values within +-kValueTableSize / 2. A length over kMaxWriteBits
// marks a code the fast path cannot write in one go. A lookup replaces the
// arithmetic of three code lengths and patterns per value.
inline constexpr int kRunTableSize = 64;
inline constexpr int kValueTableSize = 256;
inline constexpr uint8_t kNotInTable = 255;

// Added to a run's index for a zero value: the upper half of the run arrays
// holds no codes, so that a zero writes nothing without a branch.
inline constexpr uint64_t kNoRun = kRunTableSize;

// A value's index in CodeTable's value arrays; kValueTableSize or more (by
// wrapping around, for negative values) where it has none.
inline uint32_t ValueIndex(int32_t x) {
  return static_cast<uint32_t>(x) + kValueTableSize / 2;
}

struct CodeTable {
  uint64_t run_patterns[2 * kRunTableSize];  // index: run (+ kNoRun)
  uint64_t value_patterns[kValueTableSize];  // index: value + kValueTableSize / 2
  uint8_t run_lengths[2 * kRunTableSize];
  uint8_t value_lengths[kValueTableSize];  // 0 for the value 0
};

template <class Runs, class Mags>
void FillCodeTable(const Runs& runs, const Mags& mags, CodeTable* table) {
  for (int i = 0; i < kRunTableSize; ++i) {
    const uint64_t run_length = runs.Length(static_cast<uint64_t>(i));
    const bool run_fits = run_length <= kMaxWriteBits;
    table->run_patterns[i] = run_fits ? runs.Pattern(static_cast<uint64_t>(i)) : 0;
    table->run_lengths[i] =
        run_fits ? static_cast<uint8_t>(run_length) : kNotInTable;
    table->run_patterns[i + kNoRun] = 0;
    table->run_lengths[i + kNoRun] = 0;
  }
  for (int i = 0; i < kValueTableSize; ++i) {
    const int32_t x = i - kValueTableSize / 2;
    const uint32_t m = Magnitude(x);
    const uint64_t value_length = x == 0 ? 0 : 1 + mags.Length(m);
    const bool value_fits = value_length <= kMaxWriteBits;
    table->value_patterns[i] =
        x == 0 || !value_fits ? 0 : (x > 0 ? 1 : 0) | (mags.Pattern(m) << 1);
    table->value_lengths[i] =
        value_fits ? static_cast<uint8_t>(value_length) : kNotInTable;
  }
}

template <class Runs, class Mags>
const CodeTable* CodeTableFor(const CodeParams& params, const Runs& runs,
                              const Mags& mags) {
  static std::atomic<const CodeTable*> tables[kCodeIndices * kCodeIndices];
  return CachedTable(tables[CodeIndex(params.run_length_code) * kCodeIndices +
                            CodeIndex(params.magnitude_code)],
                     [&](CodeTable* table) { FillCodeTable(runs, mags, table); });
}

// A value's code with the code of the run of zeros before it.
struct TableCode {
  uint64_t pattern;
  uint64_t length;  // over kMaxWriteBits where a part is not in the table
};

// The code of `x` after `run` zeros; no bits for x == 0 (it only lengthens
// the run). Only where ValueIndex(x) < kValueTableSize, and run <
// kRunTableSize or x == 0.
LAPLACE_RICE_INLINE TableCode LookUpCode(const CodeTable& table, uint64_t run,
                                         int32_t x) {
  const uint64_t at = (run & (kRunTableSize - 1)) + (x == 0 ? kNoRun : 0);
  const uint32_t index = ValueIndex(x);
  const uint64_t run_length = table.run_lengths[at];
  // `& 63`: a length of kNotInTable marks the code unused, the shift defined.
  return {table.run_patterns[at] | (table.value_patterns[index] << (run_length & 63)),
          run_length + table.value_lengths[index]};
}

// The run after a value: one longer after a zero, none after a non-zero.
LAPLACE_RICE_INLINE uint64_t RunAfter(uint64_t run, int32_t x) {
  return (run + 1) & (0 - static_cast<uint64_t>(x == 0));
}

// WritePlain's rare step: one value whose code is not in the table or too
// long for one Write, or any value near the end of the buffer. Returns the
// run after it. Out of line (the state passed through the writer), so that
// the hot loops keep theirs in registers.
template <class Runs, class Mags>
LAPLACE_RICE_NOINLINE uint64_t WritePlainValue(BitWriter& writer,
                                               const Runs& runs, const Mags& mags,
                                               uint64_t run, int32_t x) {
  if (x == 0) return run + 1;
  const uint64_t sign = static_cast<uint64_t>(x > 0);
  const uint64_t run_length = runs.Length(run);
  if (run_length < kMaxWriteBits) {  // most often: only the magnitude is long
    writer.Write(runs.Pattern(run) | (sign << run_length), run_length + 1);
  } else {
    runs.WriteLong(writer, run);
    writer.Write(sign, 1);
  }
  mags.WriteLong(writer, Magnitude(x));
  return 0;
}

// Values WritePlain writes one at a time after a pair too long for one
// Write: where codes are that long, most pairs are.
inline constexpr size_t kWideStretch = 64;

// Writes values[begin, end) with no runs of non-zeros: two values a Write
// while both codes are in the table and fit together, else one at a time
// for kWideStretch values. The loops make no calls, so that the writer's
// state stays in registers; the rare cases go to WritePlainValue.
template <class Values, class Runs, class Mags>
void WritePlain(const Values& values, size_t begin, size_t end,
                const Runs& runs_in, const Mags& mags_in,
                const CodeTable& table, BitWriter& writer,
                uint32_t& out_suspect) {
  // Local copies: stores through the byte pointer may alias anything reached
  // by reference, which would reload the Rice parameters every value.
  const Runs runs = runs_in;
  const Mags mags = mags_in;
  const Values source = values;
  BitWriter::State state = writer.Save();  // in registers, see BitWriter
  uint32_t suspect = 0;
  uint64_t run = 0;
  size_t i = begin;
  while (i < end) {
    for (; i + 2 <= end; i += 2) {
      const int32_t first = source.Get(i, suspect);
      const int32_t second = source.Get(i + 1, suspect);
      // A run of 63 zeros may reach 64 in the pair, past the table.
      if (LAPLACE_RICE_UNLIKELY(
              (ValueIndex(first) | ValueIndex(second)) >= kValueTableSize ||
              (run >= kRunTableSize - 1 && (first | second) != 0) ||
              !BitWriter::HasRoom(state))) {
        break;
      }
      const TableCode first_code = LookUpCode(table, run, first);
      const uint64_t run_between = RunAfter(run, first);
      const TableCode second_code = LookUpCode(table, run_between, second);
      const uint64_t length = first_code.length + second_code.length;
      if (LAPLACE_RICE_UNLIKELY(length > kMaxWriteBits)) break;
      BitWriter::WriteFast(
          state, first_code.pattern | (second_code.pattern << first_code.length),
          length);
      run = RunAfter(run_between, second);
    }
    const size_t stop = std::min(end, i + kWideStretch);
    for (; i < stop; ++i) {
      const int32_t x = source.Get(i, suspect);
      const bool in_table = ValueIndex(x) < kValueTableSize &&
                            (run < kRunTableSize || x == 0);
      const TableCode code = in_table ? LookUpCode(table, run, x)
                                      : TableCode{0, kNotInTable};
      if (LAPLACE_RICE_UNLIKELY(code.length > kMaxWriteBits ||
                                !BitWriter::HasRoom(state))) {
        writer.Restore(state);
        run = WritePlainValue(writer, runs, mags, run, x);
        state = writer.Save();
        continue;
      }
      BitWriter::WriteFast(state, code.pattern, code.length);
      run = RunAfter(run, x);
    }
  }
  writer.Restore(state);
  out_suspect |= suspect;
  if (run > 0) runs.WriteLong(writer, run);
}

// The sink of the walk with runs of non-zeros that writes.
template <class Runs, class Mags>
struct CodeWriter {
  const Runs& runs;
  const Mags& mags;
  const CodeTable& table;
  BitWriter writer;  // a copy, in registers
  void RunLength(uint64_t r) {
    if (LAPLACE_RICE_LIKELY(r < kRunTableSize &&
                            table.run_lengths[r] <= kMaxWriteBits)) {
      writer.Write(table.run_patterns[r], table.run_lengths[r]);
      return;
    }
    const uint64_t length = runs.Length(r);
    if (length <= kMaxWriteBits) {
      writer.Write(runs.Pattern(r), length);
    } else {
      runs.WriteLong(writer, r);
    }
  }
  // A group in one Write where its two run codes and its first four values
  // (fewer in a shorter run) are in the table and fit together: most groups
  // of narrow data, at tuned codes. The rest of a longer run follows.
  void Group(uint64_t zeros, const int32_t* x, size_t n, size_t readable) {
    if (LAPLACE_RICE_LIKELY(zeros < kRunTableSize && n <= kRunTableSize &&
                            readable >= 4)) {
      const uint64_t zeros_length = table.run_lengths[zeros];
      const uint64_t runs_length = zeros_length + table.run_lengths[n - 1];
      const TableCode values = UpToFour(x, n);
      const uint64_t length = runs_length + values.length;
      if (LAPLACE_RICE_LIKELY(length <= kMaxWriteBits)) {
        // `& 63`: a length of kNotInTable would fail the test above.
        writer.Write(table.run_patterns[zeros] |
                         (table.run_patterns[n - 1] << (zeros_length & 63)) |
                         (values.pattern << runs_length),
                     length);
        if (n > 4) NonZeros(x + 4, n - 4, readable - 4);
        return;
      }
    }
    RunLengths(zeros, n - 1);
    NonZeros(x, n, readable);
  }
  // The two run codes of a group in one Write where both are in the table
  // and fit together. (NonZeros' pairs are written the same way; one helper
  // for both cost 3 to 5 %, docs/benchmark.md.)
  void RunLengths(uint64_t first, uint64_t second) {
    if (LAPLACE_RICE_LIKELY(first < kRunTableSize && second < kRunTableSize)) {
      const uint64_t first_length = table.run_lengths[first];
      const uint64_t length = first_length + table.run_lengths[second];
      if (LAPLACE_RICE_LIKELY(length <= kMaxWriteBits)) {
        writer.Write(table.run_patterns[first] | (table.run_patterns[second] << first_length),
                     length);
        return;
      }
    }
    RunLength(first);
    RunLength(second);
  }
  // A run of up to eight values four a Write where their codes are in the
  // table and fit: four are read at a time (`readable` >= n of them exist)
  // and those past `n` written with no bits, so that a short run (most runs
  // at narrow scales) takes one or two turns, and few branches on its
  // varying length. Longer runs go two values a Write: four a Write cost
  // the wide data's long runs 5 to 8 % (docs/benchmark.md).
  void NonZeros(const int32_t* x, size_t n, size_t readable) {
    size_t i = 0;
    if (n <= 8) {
      while (i < n && readable - i >= 4 && WriteUpToFour(x + i, n - i)) i += 4;
      for (; i < n; ++i) NonZero(x[i]);
      return;
    }
    for (; i + 2 <= n; i += 2) {
      const uint32_t first = ValueIndex(x[i]);
      const uint32_t second = ValueIndex(x[i + 1]);
      if (LAPLACE_RICE_LIKELY(first < kValueTableSize && second < kValueTableSize)) {
        const uint64_t first_length = table.value_lengths[first];
        const uint64_t length = first_length + table.value_lengths[second];
        if (LAPLACE_RICE_LIKELY(length <= kMaxWriteBits)) {
          writer.Write(table.value_patterns[first] |
                           (table.value_patterns[second] << first_length),
                       length);
          continue;
        }
      }
      NonZero(x[i]);
      NonZero(x[i + 1]);
    }
    if (i < n) NonZero(x[i]);
  }
  // The codes of x[0, min(n, 4)) as one pattern (x[0, 4) must be
  // readable); its length is kNotInTable where a code is not in the table.
  TableCode UpToFour(const int32_t* x, size_t n) const {
    uint64_t pattern = 0;
    uint64_t length = 0;
    bool in_table = true;
    for (size_t k = 0; k < 4; ++k) {
      const bool in_run = k < n;
      const uint32_t index = ValueIndex(x[k]);
      in_table &= index < kValueTableSize || !in_run;
      const uint64_t keep = 0 - static_cast<uint64_t>(in_run);
      const uint32_t at = index & (kValueTableSize - 1);
      pattern |= (table.value_patterns[at] & keep) << (length & 63);
      length += table.value_lengths[at] & keep;
    }
    return {pattern, in_table ? length : kNotInTable};
  }
  // Writes x[0, n), n <= 4, unless a code is not in the table or they do
  // not fit in one Write; returns whether it did.
  bool WriteUpToFour(const int32_t* x, size_t n) {
    const TableCode codes = UpToFour(x, n);
    if (LAPLACE_RICE_UNLIKELY(codes.length > kMaxWriteBits)) return false;
    writer.Write(codes.pattern, codes.length);
    return true;
  }
  void NonZero(int32_t x) {
    const uint32_t index = ValueIndex(x);
    if (LAPLACE_RICE_LIKELY(index < kValueTableSize &&
                            table.value_lengths[index] <= kMaxWriteBits)) {
      writer.Write(table.value_patterns[index], table.value_lengths[index]);
      return;
    }
    const uint32_t m = Magnitude(x);
    const uint64_t sign = x > 0 ? 1 : 0;
    const uint64_t length = mags.Length(m);
    if (length < kMaxWriteBits) {
      writer.Write(sign | (mags.Pattern(m) << 1), length + 1);
    } else {
      writer.Write(sign, 1);
      mags.WriteLong(writer, m);
    }
  }
};

// Writes source[from, to) with the loop made for its kind of values.
// dispatch.cc compiles it as a function of its own per CPU target: inlined
// into WriteRange's flattened copy, GCC kept the writer's state in memory.
template <class Source, class Runs, class Mags>
void WriteStretch(const Source& source, size_t from, size_t to, const Runs& runs,
                  const Mags& mags, const CodeTable& table, bool nz_runs,
                  bool unit_start, BitWriter& writer, uint32_t& suspect) {
  if (!nz_runs) {
    WritePlain(source, from, to, runs, mags, table, writer, suspect);
    return;
  }
  CodeWriter<Runs, Mags> sink{runs, mags, table, writer};
  const uint64_t offset = unit_start ? 0 : 1;
  if constexpr (kIsInt32Source<Source>) {
    WalkRunsByZeroMasks(source.data, from, to, offset, sink);
  } else {
    WalkRunsValueByValue(source, from, to, offset, sink, suspect);
  }
  writer = sink.writer;
}

// Writes values[begin, end) to `writer`; `begin` is 0 or a split point.
// Picks the codes and their table once; float input is rounded into int32
// blocks (ForEachRoundedStretch) so that the int32 loops do the writing.
// `write_stretch` calls WriteStretch with its arguments.
template <class Values, class WriteStretchFn>
void WriteRange(const Values& values, size_t begin, size_t end,
                const CodeParams& params, BitWriter& writer, uint32_t& suspect,
                const WriteStretchFn& write_stretch) {
  const bool nz_runs = params.use_run_length_for_non_zeros;
  WithCoders(params, [&](const auto& runs, const auto& mags) {
    const CodeTable& table = *CodeTableFor(params, runs, mags);
    const auto write = [&](const auto& source, size_t from, size_t to,
                           bool unit_start) {
      write_stretch(source, from, to, runs, mags, table, nz_runs, unit_start,
                    writer, suspect);
    };
    if constexpr (kIsInt32Source<Values>) {
      write(values, begin, end, begin == 0);
    } else {
      ForEachRoundedStretch(
          values, begin, end, nz_runs, suspect,
          [&](const int32_t* block, size_t n, bool unit_start) {
            write(Int32Values{block}, 0, n, unit_start);
          },
          [&](size_t from, size_t to) { write(values, from, to, from == 0); });
    }
  });
}

}  // namespace internal
}  // namespace laplace_rice

#endif  // LAPLACE_RICE_CODEC_SRC_ENCODE_H_
