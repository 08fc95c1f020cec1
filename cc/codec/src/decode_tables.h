// The decoder's lookup tables, and the loops that decode through them: for
// the pairs (run of zeros, non-zero) of the mode without runs of
// non-zeros, and for the values of a run of non-zeros, each giving up to 8
// values for the next 12 bits of a string.
#ifndef LAPLACE_RICE_CODEC_SRC_DECODE_TABLES_H_
#define LAPLACE_RICE_CODEC_SRC_DECODE_TABLES_H_

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "bit_io.h"
#include "codes.h"
#include "decode_rice.h"
#include "laplace_rice/codec.h"
#include "tables.h"

namespace laplace_rice {
namespace internal {

// Without runs of non-zeros, a unit is a sequence of pairs (a run of zeros,
// then a non-zero). For codes of a few bits each (the common, narrow
// distributions) the pairs that lie wholly in the next kPairTableBits bits are
// looked up instead of decoded: one load gives their values (as int8, up to 8
// elements, zeros included) and their length in bits. Two or three pairs per
// lookup, with no bit counting in the dependency chain. 12 bits: the 40 KiB
// table outgrows a 32 KiB L1 cache, but more pairs a lookup pay for that.
inline constexpr int kPairTableBits = 12;
inline constexpr int kPairTableElements = 8;

inline constexpr uint64_t kPairTableMask = (uint64_t{1} << kPairTableBits) - 1;

// Elements a run of lookups must give for the table to keep being tried
// first (fewer: the decoder waits longer before the next try).
inline constexpr size_t kTableWorth = 2 * kPairTableElements;

// Puts the value (sign bit `positive`, magnitude <= 127) into byte `slot` of
// a table entry's packed int8 values.
inline uint64_t PackInt8(uint64_t positive, uint64_t magnitude, int slot) {
  const int value = positive ? static_cast<int>(magnitude) : -static_cast<int>(magnitude);
  return uint64_t{static_cast<uint8_t>(static_cast<int8_t>(value))} << (8 * slot);
}

struct PairTable {
  // values[i]: the elements the pairs at bit pattern i decode to, element j in
  // byte j (zero bytes past `elements`); bits/elements: 0 when no whole pair
  // fits (a long run, a large magnitude: those take the decoder's other paths).
  uint64_t values[1 << kPairTableBits];
  uint8_t bits[1 << kPairTableBits];
  uint8_t elements[1 << kPairTableBits];
};

template <class Runs, class Mags>
void FillPairTable(const Runs& runs, const Mags& mags, PairTable* table) {
  for (uint32_t pattern = 0; pattern < (1u << kPairTableBits); ++pattern) {
    int used = 0;
    int elements = 0;
    uint64_t values = 0;
    for (;;) {
      // Bits above the pattern read as zeros: a code is taken only when it
      // ends inside the pattern, so they never decide a value.
      const uint64_t word = pattern >> used;
      const int room = kPairTableBits - used;
      uint64_t zeros, magnitude;
      int run_used, magnitude_used;
      if (!runs.DecodeFast(word, &zeros, &run_used) || run_used + 1 > room ||
          zeros + 1 > static_cast<uint64_t>(kPairTableElements - elements)) {
        break;
      }
      const uint64_t rest = word >> run_used;
      if (!mags.DecodeFast(rest >> 1, &magnitude, &magnitude_used) ||
          run_used + 1 + magnitude_used > room || magnitude > 127) {
        break;
      }
      elements += static_cast<int>(zeros);
      values |= PackInt8(rest & 1, magnitude, elements);
      elements += 1;
      used += run_used + 1 + magnitude_used;
    }
    table->values[pattern] = values;
    table->bits[pattern] = static_cast<uint8_t>(used);
    table->elements[pattern] = static_cast<uint8_t>(elements);
  }
}

// Decode tables exist for gamma (-1) and Rice codes k < kTableCodes - 1 only:
// longer codes leave too few per lookup (see the *TableFor checks).
inline constexpr int kTableCodes = kPairTableBits / 2;
inline int ShortestCode(int code) { return code < 0 ? 1 : code + 1; }

// The pair table for the parameters, or null where it would not pay (codes
// too long for two pairs to fit in a lookup).
template <class Runs, class Mags>
const PairTable* PairTableFor(const CodeParams& params, const Runs& runs,
                              const Mags& mags) {
  if (params.use_run_length_for_non_zeros) return nullptr;
  if (2 * (ShortestCode(params.run_length_code) + 1 +
           ShortestCode(params.magnitude_code)) > kPairTableBits) {
    return nullptr;
  }
  // Index: the run and magnitude codes, each -1 (gamma) or a small Rice k.
  static std::atomic<const PairTable*> tables[kTableCodes * kTableCodes];
  return CachedTable(tables[CodeIndex(params.run_length_code) * kTableCodes +
                            CodeIndex(params.magnitude_code)],
                     [&](PairTable* table) { FillPairTable(runs, mags, table); });
}

// With runs of non-zeros, the values of such a run follow one another with no
// run lengths between them: a lookup gives the next values that lie wholly in
// kPairTableBits bits (up to 8), and how many bits the first n of them take,
// for a run that ends sooner.
struct NonZeroTable {
  uint64_t values[1 << kPairTableBits];  // int8 each, as in PairTable
  uint32_t ends[1 << kPairTableBits];    // nibble n: bits of the first n + 1
  uint8_t whole[1 << kPairTableBits];    // values wholly in the pattern
};

template <class Mags>
void FillNonZeroTable(const Mags& mags, NonZeroTable* table) {
  static_assert(kPairTableBits < 16, "ends are nibbles");
  for (uint32_t pattern = 0; pattern < (1u << kPairTableBits); ++pattern) {
    int used = 0;
    int whole = 0;
    uint64_t values = 0;
    uint32_t ends = 0;
    while (whole < kPairTableElements) {
      const uint64_t word = pattern >> used;
      const int room = kPairTableBits - used;
      uint64_t magnitude;
      int magnitude_used;
      if (!mags.DecodeFast(word >> 1, &magnitude, &magnitude_used) ||
          1 + magnitude_used > room || magnitude > 127) {
        break;
      }
      values |= PackInt8(word & 1, magnitude, whole);
      used += 1 + magnitude_used;
      ends |= static_cast<uint32_t>(used) << (4 * whole);
      ++whole;
    }
    table->values[pattern] = values;
    table->ends[pattern] = ends;
    table->whole[pattern] = static_cast<uint8_t>(whole);
  }
}

// Only for gamma magnitudes: short Rice codes are decoded from the peeked
// word itself (decode_rice.h), faster than a lookup of one or two values.
template <class Mags>
const NonZeroTable* NonZeroTableFor(const CodeParams& params, const Mags& mags) {
  if (!params.use_run_length_for_non_zeros) return nullptr;
  if (RiceValuesPerWord(params.magnitude_code) > 0) return nullptr;
  if (2 * (1 + ShortestCode(params.magnitude_code)) > kPairTableBits) {
    return nullptr;
  }
  static std::atomic<const NonZeroTable*> tables[kTableCodes];
  return CachedTable(tables[CodeIndex(params.magnitude_code)],
                     [&](NonZeroTable* table) { FillNonZeroTable(mags, table); });
}

// Stores the kPairTableElements signed bytes of `packed` as Out values.
template <typename Out>
LAPLACE_RICE_INLINE void StoreInt8s(Out* out, uint64_t packed) {
  for (int i = 0; i < kPairTableElements; ++i) {
    out[i] = static_cast<Out>(static_cast<int8_t>(packed >> (8 * i)));
  }
}

// Decodes pairs through `table` while they fit in a lookup, at least
// kPairTableElements elements from the end of the unit (each lookup stores
// that many) and away from the end of the string. Up to four lookups share
// one peeked word (4 x 12 bits <= kPeekBits). Returns whether it decoded any.
template <typename Out>
LAPLACE_RICE_INLINE bool DecodePairsByTable(BitReader& reader, const PairTable& table,
                                            Out* out, size_t count, size_t* pos_io) {
  const size_t start = *pos_io;
  size_t pos = start;
  while (reader.CanPeekFast() && count - pos >= 4 * kPairTableElements) {
    uint64_t word = reader.PeekFast();
    int used = 0;
    for (int lookup = 0; lookup < 4; ++lookup) {
      const size_t pattern = word & kPairTableMask;
      const int bits = table.bits[pattern];
      if (bits == 0) {
        reader.Skip(used);
        *pos_io = pos;
        return pos != start;
      }
      StoreInt8s(out + pos, table.values[pattern]);
      pos += table.elements[pattern];
      word >>= bits;
      used += bits;
    }
    reader.Skip(used);
  }
  *pos_io = pos;
  return pos != start;
}

// Decodes the values of a run of non-zeros that ends at `end` through
// `table`, while they fit in a lookup, at least kPairTableElements elements
// from the end of the unit and away from the end of the string.
template <typename Out>
LAPLACE_RICE_INLINE void DecodeNonZerosByTable(BitReader& reader, const NonZeroTable& table,
                                               Out* out, size_t count, size_t end,
                                               size_t* pos_io) {
  size_t pos = *pos_io;
  while (pos < end && count - pos >= kPairTableElements && reader.CanPeekFast()) {
    const size_t pattern = reader.PeekFast() & kPairTableMask;
    const size_t whole = table.whole[pattern];
    if (whole == 0) break;
    const size_t taken = std::min(whole, end - pos);
    StoreInt8s(out + pos, table.values[pattern]);
    reader.Skip((table.ends[pattern] >> (4 * (taken - 1))) & 15);
    pos += taken;
  }
  *pos_io = pos;
}

}  // namespace internal
}  // namespace laplace_rice

#endif  // LAPLACE_RICE_CODEC_SRC_DECODE_TABLES_H_
