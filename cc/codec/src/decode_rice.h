// Decoding the values of a run of non-zeros whose magnitudes use a Rice
// code, several from one peeked word: each code is found from the word
// alone (the sign bit, the unary prefix by one count of trailing zeros, the
// k low bits), with no table and no branch between values. A lookup table
// holds one or two such values at the tuned codes of wide data (Rice 2 to 4,
// 5 to 8 bits a value); here a value costs a short chain of shifts.
#ifndef LAPLACE_RICE_CODEC_SRC_DECODE_RICE_H_
#define LAPLACE_RICE_CODEC_SRC_DECODE_RICE_H_

#include <cstddef>
#include <cstdint>

#include "bit_io.h"

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

// Decodes kValues codes (sign bit, then Rice(|v| - 1, k), k <= kMaxWordRice)
// from `word` and takes the first min(wanted, kValues) of them, or none
// ({0, 0}) when those do not lie wholly in its low `room` bits. When it
// takes any it stores all kValues at `out`, so kValues must be writable;
// the caller's later values overwrite those past the ones taken.
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
  if (wanted > static_cast<size_t>(kValues)) {
    if (used > room) return RiceTake{0, 0};
    for (int i = 0; i < kValues; ++i) out[i] = static_cast<Out>(values[i]);
    return RiceTake{kValues, used};
  }
  const int bits = ends[wanted - 1];
  if (bits > room) return RiceTake{0, 0};
  for (int i = 0; i < kValues; ++i) out[i] = static_cast<Out>(values[i]);
  return RiceTake{wanted, bits};
}

}  // namespace internal
}  // namespace laplace_rice

#endif  // LAPLACE_RICE_CODEC_SRC_DECODE_RICE_H_
