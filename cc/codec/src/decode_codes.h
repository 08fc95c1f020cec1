// The decoders' common part (decode.h): CodeReader holds a unit's string
// reader, its codes and their lookup tables, and reads one code at a time
// (a run length, a non-zero value) from a peeked 8-byte word where the code
// lies in it, through the bounds-checked reader (which also reports every
// error) otherwise. The sequences' loops (decode_pairs.h, decode_groups.h)
// build on it.
#ifndef LAPLACE_RICE_CODEC_SRC_DECODE_CODES_H_
#define LAPLACE_RICE_CODEC_SRC_DECODE_CODES_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>

#include "bit_io.h"
#include "codes.h"
#include "decode_rice.h"
#include "decode_tables.h"
#include "group_head.h"
#include "laplace_rice/codec.h"

namespace laplace_rice {
namespace internal {

// What a unit's decoder is made from: its string, its codes, their tables
// (each null where it does not apply).
template <class Runs, class Mags>
struct DecoderInputs {
  const uint8_t* data;
  size_t size;
  size_t zero_slack;
  Runs runs;
  Mags mags;
  const PairTable* pair_table;
  const NonZeroTable* non_zero_table;
  const GroupHeadTable* head_table;
};

// Words: the word decoder of the values of runs of non-zeros
// (decode_rice.h), NoRiceWords where they are not decoded from words.
// The loops here and in the sequences' decoders are always inlined:
// clang's `flatten` (dispatch.cc) reaches only the kernel's direct calls,
// and out of line they were compiled for the baseline target, 1.2x to 1.7x
// slower (docs/benchmark.md).
template <class Runs, class Mags, class Words>
class CodeReader {
 public:
  explicit CodeReader(const DecoderInputs<Runs, Mags>& in)
      : reader_(in.data, in.size, in.zero_slack),
        runs_(in.runs),
        mags_(in.mags),
        table_(in.pair_table),
        non_zero_table_(in.non_zero_table),
        head_table_(in.head_table) {}

 protected:
  static constexpr bool kRiceMagnitudes = std::is_same_v<Mags, RiceMagnitudes>;
  static constexpr bool kWordValues = Words::kStores > 0;

  // The checks after the last of `count` values, decoded up to `pos`.
  Status Finish(size_t pos, size_t count) const {
    if (reader_.Overrun()) return Error("code", pos);
    // Only the zero padding of the last byte may follow the last code:
    // whole bytes left over mean a wrong unit size or a foreign string.
    if (reader_.Remaining() >= 8) {
      return Status::DataLoss(
          std::to_string(reader_.Remaining() / 8) +
          " unused bytes after the last of " + std::to_string(count) +
          " values (wrong code shape or parameters?)");
    }
    return Status();
  }

  int MagnitudeRiceK() const {
    if constexpr (kRiceMagnitudes) {
      return mags_.code.k;
    } else {
      return -1;
    }
  }

  // Short runs (most of them) cost one fixed-size store.
  // (All-zero bytes are 0 as float and double too.)
  template <typename Out>
  static void FillZeros(Out* out, size_t pos, uint64_t zeros, size_t count) {
    if (zeros <= 8 && count - pos >= 8) {
      std::memset(out + pos, 0, 8 * sizeof(Out));
    } else {
      std::memset(out + pos, 0, zeros * sizeof(Out));
    }
  }

  // Reads a run length <= limit.
  LAPLACE_RICE_INLINE bool ReadRun(uint64_t limit, uint64_t* run) {
    if (LAPLACE_RICE_LIKELY(reader_.CanPeekFast())) {
      int used;
      if (runs_.DecodeFast(reader_.PeekFast(), run, &used) && *run <= limit) {
        reader_.Skip(used);
        return true;
      }
    }
    return runs_.ReadSlow(reader_, limit, run) && !reader_.Overrun();
  }

  // Reads a non-zero value (Out: int32_t, or float/double for values
  // converted as they are stored, rounding as static_cast, like tf.cast,
  // which saves a pass over them).
  template <typename Out>
  LAPLACE_RICE_INLINE bool ReadNonZero(Out* out) {
    int32_t value;
    if (!ReadNonZeroInt(&value)) return false;
    *out = static_cast<Out>(value);
    return true;
  }

  Status Error(const char* what, size_t pos) const {
    const char* why = reader_.Overrun()
                          ? "the string ends early (truncated?)"
                          : "the code is malformed or out of range";
    return Status::DataLoss(std::string("cannot decode ") + what +
                            " at element " + std::to_string(pos) + ": " +
                            why);
  }

  BitReader reader_;
  const Runs runs_;
  const Mags mags_;
  const PairTable* const table_;  // null: decode every code
  const NonZeroTable* const non_zero_table_;  // likewise
  const GroupHeadTable* const head_table_;  // likewise

 private:
  LAPLACE_RICE_INLINE bool ReadNonZeroInt(int32_t* value) {
    if (LAPLACE_RICE_LIKELY(reader_.CanPeekFast())) {
      const uint64_t word = reader_.PeekFast();
      const uint64_t positive = word & 1;
      uint64_t magnitude;
      int used;
      if (mags_.DecodeFast(word >> 1, &magnitude, &used) &&
          used < kPeekBits && magnitude <= kInt32Max + 1 - positive) {
        reader_.Skip(used + 1);
        *value = static_cast<int32_t>(positive ? magnitude : 0 - magnitude);
        return true;
      }
    }
    return ReadNonZeroSlow(value);
  }

  bool ReadNonZeroSlow(int32_t* value) {
    const bool positive = reader_.Read(1) != 0;
    uint64_t magnitude;
    if (!mags_.ReadSlow(reader_, &magnitude) || reader_.Overrun()) {
      return false;
    }
    if (positive) {
      if (magnitude > kInt32Max) return false;
      *value = static_cast<int32_t>(magnitude);
    } else {
      *value = static_cast<int32_t>(-static_cast<int64_t>(magnitude));
    }
    return true;
  }
};

}  // namespace internal
}  // namespace laplace_rice

#endif  // LAPLACE_RICE_CODEC_SRC_DECODE_CODES_H_
