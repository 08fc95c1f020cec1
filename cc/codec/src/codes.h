// The codes of FORMAT.md for one integer: Rice and gamma, and the run-length
// and magnitude codes built on them, each knowing its length, its bits as one
// word, how to write a long one, and how to read one back. WithCoders() turns
// the parameters into the pair of code types the coding loops are templated
// on, so that those loops carry no per-value branch on the parameters.
#ifndef LAPLACE_RICE_CODEC_SRC_CODES_H_
#define LAPLACE_RICE_CODEC_SRC_CODES_H_

#include <cstdint>
#include <limits>

#include "bit_io.h"
#include "laplace_rice/codec.h"

namespace laplace_rice {
namespace internal {

constexpr uint64_t kInt32Max = std::numeric_limits<int32_t>::max();
constexpr uint64_t kInt32MinMagnitude = kInt32Max + 1;
// Gamma codes carry values of at most 31 bits: a prefix of <= 30 zero bits.
constexpr int kMaxGammaPrefix = 30;

// Magnitude of a non-zero int32 as unsigned (2^31 for INT32_MIN). Written
// without a branch: the signs of Laplace data are coin flips.
inline uint32_t Magnitude(int32_t value) {
  const uint32_t sign_mask = static_cast<uint32_t>(value >> 31);
  return (static_cast<uint32_t>(value) ^ sign_mask) - sign_mask;
}

// Magnitude of a non-zero value, 1 for zero (a harmless stand-in).
inline uint32_t MagnitudeOr1(int32_t value) {
  return Magnitude(value) | static_cast<uint32_t>(value == 0);
}

// The two codes. Length() is exact for any value; Pattern() is the code as
// bits, valid when Length() <= 64; DecodeFast() reads a code from a peeked
// word (false if it does not lie wholly in it), ReadSlow() from the reader.

struct Rice {
  int k;

  uint64_t Length(uint64_t v) const { return (v >> k) + 1 + k; }
  uint64_t Tail(uint64_t v) const { return ((v & LowMask(k)) << 1) | 1; }
  uint64_t Pattern(uint64_t v) const { return Tail(v) << ((v >> k) & 63); }
  void WriteLong(BitWriter& writer, uint64_t v) const {
    writer.WriteZeros(v >> k);
    writer.Write(Tail(v), k + 1);
  }

  bool DecodeFast(uint64_t word, uint64_t* v, int* used) const {
    if (word == 0) return false;
    const int prefix = CountTrailingZeros(word);
    *used = prefix + 1 + k;
    *v = (uint64_t{static_cast<uint32_t>(prefix)} << k) |
         ((word >> prefix >> 1) & LowMask(k));
    return *used <= kPeekBits;
  }
  // Reads Rice(v) with v <= limit.
  bool ReadSlow(BitReader& reader, uint64_t limit, uint64_t* v) const {
    const uint64_t prefix = reader.ReadUnary(limit >> k);
    if (prefix > (limit >> k)) return false;
    *v = (prefix << k) | reader.Read(k);
    return *v <= limit;
  }
};

struct Gamma {  // values 1 to 2^31 - 1
  uint64_t Length(uint32_t v) const { return 2 * BitWidth(v) - 1; }
  uint64_t Pattern(uint32_t v) const {
    const int width = BitWidth(v);
    const uint64_t leading_one = uint64_t{1} << (width - 1);
    return leading_one | ((v ^ leading_one) << width);
  }
  void WriteLong(BitWriter& writer, uint32_t v) const {
    const int width = BitWidth(v);
    const uint64_t leading_one = uint64_t{1} << (width - 1);
    writer.Write(leading_one, width);
    writer.Write(v ^ leading_one, width - 1);
  }

  bool DecodeFast(uint64_t word, uint64_t* v, int* used) const {
    if (word == 0) return false;
    const int prefix = CountTrailingZeros(word);
    if (prefix > kMaxGammaPrefix) return false;
    *used = 2 * prefix + 1;
    *v = (uint64_t{1} << prefix) | ((word >> prefix >> 1) & LowMask(prefix));
    return *used <= kPeekBits;
  }
  bool ReadSlow(BitReader& reader, uint64_t* v) const {
    const uint64_t prefix = reader.ReadUnary(kMaxGammaPrefix);
    if (prefix > kMaxGammaPrefix) return false;
    const int width = static_cast<int>(prefix);
    *v = (uint64_t{1} << width) | reader.Read(width);
    return true;
  }
};

// Run lengths r >= 0: Rice(r, k) or Gamma(r + 1). r < 2^31 (kMaxUnitSize).
struct RiceRuns {
  Rice code;
  uint64_t Length(uint64_t r) const { return code.Length(r); }
  uint64_t Pattern(uint64_t r) const { return code.Pattern(r); }
  void WriteLong(BitWriter& w, uint64_t r) const { code.WriteLong(w, r); }
  bool DecodeFast(uint64_t word, uint64_t* r, int* used) const {
    return code.DecodeFast(word, r, used);
  }
  bool ReadSlow(BitReader& reader, uint64_t limit, uint64_t* r) const {
    return code.ReadSlow(reader, limit, r);
  }
  bool EmptyRunIsOneBit() const { return code.k == 0; }  // the bit 1
};

struct GammaRuns {
  Gamma code;
  uint64_t Length(uint64_t r) const { return code.Length(Plus1(r)); }
  uint64_t Pattern(uint64_t r) const { return code.Pattern(Plus1(r)); }
  void WriteLong(BitWriter& w, uint64_t r) const { code.WriteLong(w, Plus1(r)); }
  bool DecodeFast(uint64_t word, uint64_t* r, int* used) const {
    const bool ok = code.DecodeFast(word, r, used);
    *r -= 1;
    return ok;
  }
  bool ReadSlow(BitReader& reader, uint64_t limit, uint64_t* r) const {
    if (!code.ReadSlow(reader, r)) return false;
    *r -= 1;
    return *r <= limit;
  }
  static uint32_t Plus1(uint64_t r) { return static_cast<uint32_t>(r + 1); }
  static bool EmptyRunIsOneBit() { return true; }  // gamma(1): the bit 1
};

// Magnitudes m >= 1 of non-zeros: Rice(m - 1, k) or Gamma(m). Gamma has no
// code for 2^31 (INT32_MIN): it is written as 2^31 - 1.
struct RiceMagnitudes {
  Rice code;
  uint64_t Length(uint32_t m) const { return code.Length(m - 1); }
  uint64_t Pattern(uint32_t m) const { return code.Pattern(m - 1); }
  void WriteLong(BitWriter& w, uint32_t m) const { code.WriteLong(w, m - 1); }
  bool DecodeFast(uint64_t word, uint64_t* m, int* used) const {
    const bool ok = code.DecodeFast(word, m, used);
    *m += 1;
    return ok && *m <= kInt32MinMagnitude;
  }
  bool ReadSlow(BitReader& reader, uint64_t* m) const {
    if (!code.ReadSlow(reader, kInt32Max, m)) return false;
    *m += 1;
    return true;
  }
};

struct GammaMagnitudes {
  Gamma code;
  uint64_t Length(uint32_t m) const { return code.Length(Clamp(m)); }
  uint64_t Pattern(uint32_t m) const { return code.Pattern(Clamp(m)); }
  void WriteLong(BitWriter& w, uint32_t m) const { code.WriteLong(w, Clamp(m)); }
  bool DecodeFast(uint64_t word, uint64_t* m, int* used) const {
    return code.DecodeFast(word, m, used);
  }
  bool ReadSlow(BitReader& reader, uint64_t* m) const {
    return code.ReadSlow(reader, m);
  }
  static uint32_t Clamp(uint32_t m) {
    return m > kInt32Max ? static_cast<uint32_t>(kInt32Max) : m;
  }
};

// Calls f(runs, magnitudes) with the coders the parameters select.
template <class F>
auto WithCoders(const CodeParams& params, F&& f) {
  const Rice run_rice{params.run_length_code};
  const Rice magnitude_rice{params.magnitude_code};
  if (params.run_length_code >= 0) {
    if (params.magnitude_code >= 0) {
      return f(RiceRuns{run_rice}, RiceMagnitudes{magnitude_rice});
    }
    return f(RiceRuns{run_rice}, GammaMagnitudes{});
  }
  if (params.magnitude_code >= 0) {
    return f(GammaRuns{}, RiceMagnitudes{magnitude_rice});
  }
  return f(GammaRuns{}, GammaMagnitudes{});
}

}  // namespace internal
}  // namespace laplace_rice

#endif  // LAPLACE_RICE_CODEC_SRC_CODES_H_
