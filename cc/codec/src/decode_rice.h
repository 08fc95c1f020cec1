// Decoding the values of a run of non-zeros whose magnitudes use a Rice
// code, several from one peeked word, with no table and no branch between
// values. Three ways, by k and CPU target:
//   k = 0      TakeRiceZeroValues: the ends of all codes at once from the
//              word's runs of ones, then eight values at once in vector lanes
//              (the ends' positions by nine counts of zeros, or by one byte
//              compress where the CPU has AVX-512 VBMI2)
//   k = 1..8   TakeRiceLanes (x86-64-v3): the codes' bounds code after code
//              by one count of trailing zeros each, then the values in lanes
//   k = 0..8   TakeRiceValues (other targets): code after code, each from
//              the word alone (the sign bit, the unary prefix by one count
//              of trailing zeros, the k low bits)
// and, without runs of non-zeros, the pairs of an empty run of zeros and a
// Rice-0 value (the defaults on wide data) the way of k = 0:
// TakeRiceZeroPairs.
// A lookup table holds one or two such values at the tuned codes of wide
// data (Rice 2 to 4, 5 to 8 bits a value); here a value costs a few shifts.
#ifndef LAPLACE_RICE_CODEC_SRC_DECODE_RICE_H_
#define LAPLACE_RICE_CODEC_SRC_DECODE_RICE_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "bit_io.h"
#include "code_bounds.h"

namespace laplace_rice {
namespace internal {

// Rice parameters decoded this way. Up to 8, the magnitude of any code
// that fits a peeked word, (63 << 8 | 255) + 1 at most, is a valid int32.
inline constexpr int kMaxWordRice = 8;

// Values decoded per peeked word for Rice parameter k (0: not this way):
// about as many as fit in kPeekBits when k suits the data (codes of k + 2
// bits plus a short prefix). Eight at k = 0 to 2, six at 3 and 4, four up
// to 8 (docs/benchmark.md).
inline int RiceValuesPerWord(int k) {
  if (k < 0 || k > kMaxWordRice) return 0;
  return k <= 2 ? 8 : k <= 4 ? 6 : 4;
}

// What TakeRiceValues decoded: `values` values in `bits` bits.
struct RiceTake {
  size_t values;
  int bits;
};

// The ends of the Rice-0 codes in `bits`, the bits after a code's sign bit:
// a set bit at each code's last bit (its 1). A Rice-0 code is a sign bit,
// m - 1 zeros and a 1. Past a sign bit, a 1 that follows a 0 always ends a
// code, and the bits of a run of ones alternate between ending a code and
// being the next code's sign bit: the ends are the 1s at even offsets in
// each run of ones. One addition clears the runs that start at even
// positions, which finds them all at once, where a count of zeros per code
// would find them one after another.
inline uint64_t RiceZeroCodeEnds(uint64_t bits) {
  constexpr uint64_t kEvenBits = 0x5555555555555555;
  const uint64_t run_starts = bits & ~(bits << 1);
  const uint64_t even_runs = bits & ~(bits + (run_starts & kEvenBits));
  const uint64_t odd_runs = bits ^ even_runs;
  return (even_runs & kEvenBits) | (odd_runs & ~kEvenBits);
}

// How many of the first `taken` codes end within `room` bits, where
// bounds[i] is the bits of the codes before code i (they grow code by
// code): the codes a word decoder takes where not all it wanted fit.
inline size_t CodesWithin(const uint32_t* bounds, size_t taken, int room) {
  while (taken > 0 && static_cast<int>(bounds[taken]) > room) --taken;
  return taken;
}

// The vector instructions of a kernel's word decoders (dispatch.cc compiles
// one kernel per set): none (TakeRiceValues' scalar code), AVX2 lanes, and
// AVX2 lanes with the codes' bounds from AVX-512 VBMI2's byte compress.
enum class Lanes { kNone, kAvx2, kAvx2Compress };

// The first bit of each pair in `word`, where the pairs (FORMAT.md's
// sequence without runs of non-zeros) have empty runs of zeros written as
// one 1 bit: a run bit 1, a sign bit, m - 1 zeros and a 1. Past the first
// pair a 1 that follows a 0 ends a pair, and in a run of ones the ends fall
// every third bit from its first (end, run bit, sign bit, end...). One
// addition per phase of three clears the runs that start there, as in
// RiceZeroCodeEnds(). Bit 0 (the first pair's start) is always set; from
// the first start whose run bit is 0 (a run of zeros) on, the bits are
// meaningless.
inline uint64_t RiceZeroPairStarts(uint64_t word) {
  constexpr uint64_t kEveryThird = 0x9249249249249249;  // bits 0, 3, ... 63
  // A pair starts after the end of the one before: bit i of `bits` is bit
  // i - 1 of the word, and bit 0 stands for the end before the first pair.
  const uint64_t bits = (word << 1) | 1;
  const uint64_t run_starts = bits & ~(bits << 1);
  uint64_t ends = 0;
  for (int phase = 0; phase < 3; ++phase) {
    const uint64_t in_phase = kEveryThird << phase;
    const uint64_t runs = bits & ~(bits + (run_starts & in_phase));
    ends |= runs & in_phase;
  }
  return ends;
}

// Stores eight values at `out`, each lane's magnitude signed by the sign
// bit at its offset `signs` (< 64) in `word` (1: positive). The bit comes
// from the word's low or high half, so that a lane's shift stays below 32
// (lanes past the word are not taken).
template <typename Out>
LAPLACE_RICE_INLINE void StoreSignedLanes(uint64_t word, const U32x8& signs,
                                          const U32x8& magnitudes, Out* out) {
  const U32x8 in_low = reinterpret_cast<U32x8>(signs < 32);
  const U32x8 half = (in_low & static_cast<uint32_t>(word)) |
                     (~in_low & static_cast<uint32_t>(word >> 32));
  const U32x8 negative = ~(half >> (signs & 31)) & 1;
  const I32x8 values =
      reinterpret_cast<I32x8>((magnitudes ^ (0u - negative)) + negative);
  if constexpr (std::is_same_v<Out, int32_t>) {
    std::memcpy(out, &values, sizeof(values));
  } else {
    for (int i = 0; i < 8; ++i) out[i] = static_cast<Out>(values[i]);
  }
}

// Stores eight values from the codes in `word` that start at `starts` and
// end before `ends`, each `kHeader` bits (0 or a pair's run bit), a sign
// bit, m - 1 zeros and a 1. Each lane makes one value: the magnitude is
// the code's length less kHeader + 1, the sign bit its bit kHeader.
template <int kHeader, typename Out>
LAPLACE_RICE_INLINE void StoreRiceZeroLanes(uint64_t word, const U32x8& starts,
                                            const U32x8& ends, Out* out) {
  const U32x8 signs = starts + kHeader;
  StoreSignedLanes(word, signs, ends - signs - 1, out);
}

// Stores eight values from the Rice-k codes (1 <= k <= 8) in `word` that
// start at `starts` and end before `ends`: a sign bit, the prefix (zeros
// and a 1) and k low bits, which each lane reads from one 32-bit window of
// the word: the low half with the high one's bits above it, or the high
// half alone, every shift below 32.
template <typename Out>
LAPLACE_RICE_INLINE void StoreRiceLanes(uint64_t word, int k, const U32x8& starts,
                                        const U32x8& ends, Out* out) {
  const auto low = static_cast<uint32_t>(word);
  const auto high = static_cast<uint32_t>(word >> 32);
  const U32x8 at = ends - k;
  const U32x8 shift = at & 31;
  const U32x8 from_low =
      ((U32x8{} + low) >> shift) | ((U32x8{} + (high << 1)) << (31 - shift));
  const U32x8 from_high = (U32x8{} + high) >> shift;
  const U32x8 in_low = reinterpret_cast<U32x8>(at < 32);
  const U32x8 low_bits = ((in_low & from_low) | (~in_low & from_high)) &
                         static_cast<uint32_t>(LowMask(k));
  const U32x8 prefixes = ends - starts - static_cast<uint32_t>(k + 2);
  StoreSignedLanes(word, starts, ((prefixes << k) | low_bits) + 1, out);
}

// Eight values of a Rice-0 run from one word, their bounds from
// RiceZeroCodeEnds(), by CompressedBounds() where kCompress. Otherwise as
// TakeRiceValues<8>().
template <bool kCompress, typename Out>
LAPLACE_RICE_INLINE RiceTake TakeRiceZeroValues(uint64_t word, int room,
                                                size_t wanted, Out* out) {
  // Code i ends one bit before code i + 1 starts; code 0 at bit 0.
  const uint64_t marks = (RiceZeroCodeEnds(word >> 1) << 2) | 1;
  size_t taken = wanted < 8 ? wanted : 8;
  if constexpr (kCompress) {
    int bits = NthSetBit(marks, taken);
    if (bits > room) {
      // The codes that fit: those whose next code starts within room.
      taken = static_cast<size_t>(Popcount(marks & LowMask(room + 1))) - 1;
      if (taken == 0) return RiceTake{0, 0};
      bits = NthSetBit(marks, taken);
    }
    U32x8 starts, ends;
    CompressedBounds(marks, starts, ends);
    StoreRiceZeroLanes<0>(word, starts, ends, out);
    return RiceTake{taken, bits};
  }
  uint32_t bounds[9];
  NineBounds(marks, bounds);
  auto bits = static_cast<int>(bounds[taken]);
  // With no end left, 63 > room: the code is not taken.
  if (bits > room) {
    taken = CodesWithin(bounds, taken, room);
    if (taken == 0) return RiceTake{0, 0};
    bits = static_cast<int>(bounds[taken]);
  }
  // Here two loads of the stored bounds are faster than lanes built in
  // registers (docs/benchmark.md).
  U32x8 starts, ends;
  std::memcpy(&starts, bounds, sizeof(starts));
  std::memcpy(&ends, bounds + 1, sizeof(ends));
  StoreRiceZeroLanes<0>(word, starts, ends, out);
  return RiceTake{taken, bits};
}

// Up to eight pairs (an empty run of zeros and a Rice-0 non-zero, each
// value taken) from the low `room` bits of `word`, bounds from
// RiceZeroPairStarts(); stops before a pair with a run of zeros, which
// is left to the caller with the pairs past it. Stores eight values at
// `out` when it takes any.
template <bool kCompress, typename Out>
LAPLACE_RICE_INLINE RiceTake TakeRiceZeroPairs(uint64_t word, int room, Out* out) {
  const uint64_t starts = RiceZeroPairStarts(word);
  // The starts up to the first pair with a run of zeros and to `room`; the
  // last of them ends the pairs taken (or starts the ninth).
  const uint64_t first_run = (starts & ~word) | (uint64_t{1} << 63);
  const uint64_t through_first_run = first_run ^ (first_run - 1);
  const uint64_t kept = starts & through_first_run & LowMask(room + 1);
  const int pairs = static_cast<int>(Popcount(kept)) - 1;
  if (pairs <= 0) return RiceTake{0, 0};
  if constexpr (kCompress) {
    U32x8 code_starts, code_ends;
    CompressedBounds(starts, code_starts, code_ends);
    StoreRiceZeroLanes<1>(word, code_starts, code_ends, out);
    if (pairs > 8) return RiceTake{8, static_cast<int>(code_ends[7])};
    return RiceTake{static_cast<size_t>(pairs), HighestBit(kept)};
  }
  // The lanes built in registers: stored and loaded (as in
  // TakeRiceZeroValues()) they cost the pairs of wide data 10 %.
  uint32_t b[9];
  NineBounds(starts, b);
  const U32x8 code_starts = {b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]};
  const U32x8 code_ends = {b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8]};
  StoreRiceZeroLanes<1>(word, code_starts, code_ends, out);
  // The end from the kept bits rather than from the bounds, which would
  // put more on the chain from one word to the next.
  if (pairs > 8) return RiceTake{8, static_cast<int>(b[8])};
  return RiceTake{static_cast<size_t>(pairs), HighestBit(kept)};
}

// Decodes kValues codes (sign bit, then Rice(|v| - 1, k), k <= kMaxWordRice)
// from `word` and takes the first min(wanted, kValues) of them, or as many
// of those as lie wholly in its low `room` bits (none: {0, 0}). Taking the
// codes that fit, not none, saves a value-by-value read and its
// mispredicted branch where a run's codes outgrow a word (2 tuned +4 %,
// 8 tuned +6 % on x86-64-v3, docs/benchmark.md). When it takes any it
// stores all kValues at `out`, so kValues must be writable; the caller's
// later values overwrite those past the ones taken.
template <int kValues, typename Out>
LAPLACE_RICE_INLINE RiceTake TakeRiceValues(uint64_t word, int k, int room,
                                            size_t wanted, Out* out) {
  int32_t values[kValues];
  int ends[kValues];  // bits of the first i + 1 codes
  int used = 0;
  for (int i = 0; i < kValues; ++i) {
    const uint64_t rest = word >> 1;
    // The top bit ends a prefix that runs out of the word: that code is
    // then longer than `room` and is not taken.
    const int prefix = CountTrailingZeros(rest | (uint64_t{1} << 63));
    const int length = prefix + 2 + k;
    const uint64_t low_bits = (rest >> prefix >> 1) & LowMask(k);
    const auto magnitude = static_cast<uint32_t>(
        ((static_cast<uint64_t>(prefix) << k) | low_bits) + 1);
    const auto negative = static_cast<uint32_t>(~word & 1);
    values[i] = static_cast<int32_t>((magnitude ^ (0u - negative)) + negative);
    used += length;
    ends[i] = used;
    word >>= length & 63;
  }
  // Inside a run all kValues are taken, and `used` stays in a register;
  // only a run's last values look up their end.
  // Where they do not all fit, the codes that do (the ends grow code by
  // code).
  const auto take_fitting = [&](size_t taken) {
    while (taken > 0 && ends[taken - 1] > room) --taken;
    if (taken == 0) return RiceTake{0, 0};
    for (int i = 0; i < kValues; ++i) out[i] = static_cast<Out>(values[i]);
    return RiceTake{taken, ends[taken - 1]};
  };
  if (wanted > static_cast<size_t>(kValues)) {
    if (used > room) return take_fitting(kValues);
    for (int i = 0; i < kValues; ++i) out[i] = static_cast<Out>(values[i]);
    return RiceTake{kValues, used};
  }
  const int bits = ends[wanted - 1];
  if (bits > room) return take_fitting(wanted);
  for (int i = 0; i < kValues; ++i) out[i] = static_cast<Out>(values[i]);
  return RiceTake{wanted, bits};
}

// As TakeRiceValues<kValues>() (1 <= k <= kMaxWordRice), but stores eight
// values: the codes' bounds found code after code, one shift and one count
// of zeros each, and the values made from the bounds in vector lanes.
template <int kValues, typename Out>
LAPLACE_RICE_INLINE RiceTake TakeRiceLanes(uint64_t word, int k, int room,
                                           size_t wanted, Out* out) {
  // Bit i is bit i + 1 of the word; the top 1 ends a prefix that runs out
  // of the word, which makes that code longer than `room`.
  const uint64_t after_signs = (word >> 1) | (uint64_t{1} << 63);
  const auto fixed = static_cast<uint32_t>(k + 2);
  uint32_t bounds[9];
  uint32_t start = 0;
  for (int i = 0; i < kValues; ++i) {
    bounds[i] = start;
    start += static_cast<uint32_t>(CountTrailingZeros(after_signs >> (start & 63))) + fixed;
  }
  for (int i = kValues; i < 9; ++i) bounds[i] = start;
  const size_t taken = wanted < kValues ? wanted : kValues;
  // Inside a run `start` stays in a register; only a run's last values
  // look up their end (a select in place of this branch was slower).
  auto bits = static_cast<int>(wanted > kValues ? start : bounds[taken]);
  size_t fit = taken;
  if (bits > room) {
    fit = CodesWithin(bounds, taken, room);
    if (fit == 0) return RiceTake{0, 0};
    bits = static_cast<int>(bounds[fit]);
  }
  // The lanes built in registers: stored and loaded they cost 10 to 30 %
  // (docs/benchmark.md).
  const uint32_t* b = bounds;
  const U32x8 starts = {b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]};
  const U32x8 ends = {b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8]};
  StoreRiceLanes(word, k, starts, ends, out);
  return RiceTake{fit, bits};
}

// The word decoders as types, for CodeReader (decode_codes.h): Take()
// decodes as TakeRiceValues<kValues>() does, in vector lanes where kLanes
// (TakeRiceLanes()), and stores kStores values; NoRiceWords where the
// values are not decoded from words (gamma, k > kMaxWordRice).
template <int kValues, bool kLanes>
struct RiceWords {
  static constexpr size_t kStores = kLanes ? 8 : kValues;
  static constexpr bool kPairs = false;
  template <typename Out>
  static LAPLACE_RICE_INLINE RiceTake Take(uint64_t word, int k, int room,
                                           size_t wanted, Out* out) {
    if constexpr (kLanes) {
      return TakeRiceLanes<kValues>(word, k, room, wanted, out);
    } else {
      return TakeRiceValues<kValues>(word, k, room, wanted, out);
    }
  }
};
// RiceZeroWords also takes the pairs of an empty run of zeros and a Rice-0
// value (TakePairs(), where kPairs).
template <bool kCompress>
struct RiceZeroWords {
  static constexpr size_t kStores = 8;
  static constexpr bool kPairs = true;
  template <typename Out>
  static LAPLACE_RICE_INLINE RiceTake Take(uint64_t word, int /*k = 0*/,
                                           int room, size_t wanted, Out* out) {
    return TakeRiceZeroValues<kCompress>(word, room, wanted, out);
  }
  template <typename Out>
  static LAPLACE_RICE_INLINE RiceTake TakePairs(uint64_t word, int room, Out* out) {
    return TakeRiceZeroPairs<kCompress>(word, room, out);
  }
};

struct NoRiceWords {
  static constexpr size_t kStores = 0;
  static constexpr bool kPairs = false;
};

// Calls f(Words{}) with the word decoder for magnitude code `code`
// (FORMAT.md's magnitude_code; gamma below 0) on a kernel with kLanes.
// Lanes::kNone where the CPU target lacks the variable shifts and bit
// counts of the vector lanes (AVX2, POPCNT): there lanes cost more than
// TakeRiceValues' code after code (docs/benchmark.md).
template <Lanes kLanes, class F>
auto WithRiceWordsFor(int code, F&& f) {
  constexpr bool kVectorLanes = kLanes != Lanes::kNone;
  if constexpr (kVectorLanes) {
    if (code == 0) return f(RiceZeroWords<kLanes == Lanes::kAvx2Compress>{});
  }
  switch (RiceValuesPerWord(code)) {
    case 8: return f(RiceWords<8, kVectorLanes>{});
    case 6: return f(RiceWords<6, kVectorLanes>{});
    case 4: return f(RiceWords<4, kVectorLanes>{});
  }
  return f(NoRiceWords{});
}

}  // namespace internal
}  // namespace laplace_rice

#endif  // LAPLACE_RICE_CODEC_SRC_DECODE_RICE_H_
