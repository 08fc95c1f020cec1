// The format oracle of the codec's tests: docs/FORMAT.md written out as
// plainly as possible, one bit at a time. Every C++ test that needs to know
// what the right string, bit count or decoded values are asks this file.
//
// It is deliberately slow and literal and shares nothing with the codec's
// optimized code (no tables, no 64-bit accumulators, no counting shortcuts),
// so that a bug there cannot hide behind the same bug here. It uses only the
// public header for CodeParams and the constants.
//
//   oracle::Encode(x, p)       the string FORMAT.md specifies for unit x
//   oracle::Bits(x, p)         its exact length in bits (the same walk, counted)
//   oracle::Decode(s, p, &out) FORMAT.md's decoder: false where FORMAT.md
//                              calls the string malformed
//   oracle::Writer, FromBits   the codes one by one, to hand-make strings
#ifndef LAPLACE_RICE_CODEC_TESTS_FORMAT_ORACLE_H_
#define LAPLACE_RICE_CODEC_TESTS_FORMAT_ORACLE_H_

#include <cstdint>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "laplace_rice/codec.h"

namespace laplace_rice {
namespace oracle {

inline constexpr int32_t kInt32Min = std::numeric_limits<int32_t>::min();
inline constexpr int32_t kInt32Max = std::numeric_limits<int32_t>::max();

// For test messages: the parameters in FORMAT.md's names.
inline std::string Describe(const CodeParams& p) {
  std::ostringstream s;
  s << "run_length_code=" << p.run_length_code << " magnitude_code=" << p.magnitude_code
    << " use_run_length_for_non_zeros=" << p.use_run_length_for_non_zeros;
  return s.str();
}

// |v| without overflow (|INT32_MIN| = 2^31 does not fit int32).
inline uint64_t Magnitude(int32_t v) {
  return v < 0 ? uint64_t{0} - static_cast<uint64_t>(static_cast<int64_t>(v))
               : static_cast<uint64_t>(v);
}

// ---- Writing: the "Bits" and "Codes" sections of FORMAT.md. ----

class Writer {
 public:
  // A counting writer keeps no bytes: Bits() of units whose strings would
  // be large stays cheap in memory (the walk is the same).
  static Writer CountOnly() {
    Writer w;
    w.keep_bytes_ = false;
    return w;
  }

  // Bit i goes to bit i % 8 (least significant first) of byte i / 8; a new
  // byte starts as zeros, which pads the last one.
  void Bit(bool bit) {
    if (keep_bytes_) {
      if (bits_ % 8 == 0) bytes_.push_back('\0');
      if (bit) bytes_.back() = static_cast<char>(bytes_.back() | (1 << (bits_ % 8)));
    }
    ++bits_;
  }
  // The low `width` bits of v, least significant first.
  void Field(uint64_t v, int width) {
    for (int i = 0; i < width; ++i) Bit(((v >> i) & 1) != 0);
  }
  void Zeros(uint64_t n) {
    for (uint64_t i = 0; i < n; ++i) Bit(false);
  }
  // Rice(v, k): v >> k zero bits, a 1 bit, the low k bits of v.
  void Rice(uint64_t v, int k) {
    Zeros(v >> k);
    Bit(true);
    Field(v, k);
  }
  // Gamma(v), v >= 1, of bit width w: w - 1 zero bits, a 1 bit (v's leading
  // 1), the low w - 1 bits of v.
  void Gamma(uint64_t v) {
    if (v == 0) std::abort();  // no gamma code: a bug in the test
    int width = 0;
    while ((v >> width) != 0) ++width;
    Zeros(static_cast<uint64_t>(width - 1));
    Bit(true);
    Field(v, width - 1);
  }
  void RunLength(uint64_t r, const CodeParams& p) {
    if (p.run_length_code >= 0) {
      Rice(r, p.run_length_code);
    } else {
      Gamma(r + 1);
    }
  }
  // A sign bit (1: positive), then the magnitude. Gamma has no code for
  // 2^31: INT32_MIN is written as -(2^31 - 1).
  void NonZero(int32_t v, const CodeParams& p) {
    if (v == 0) std::abort();  // zeros are runs: a bug in the test
    Bit(v > 0);
    const uint64_t m = Magnitude(v);
    if (p.magnitude_code >= 0) {
      Rice(m - 1, p.magnitude_code);
    } else {
      Gamma(m < uint64_t{kInt32Max} ? m : uint64_t{kInt32Max});
    }
  }

  const std::string& bytes() const { return bytes_; }
  uint64_t bits() const { return bits_; }

 private:
  bool keep_bytes_ = true;
  std::string bytes_;
  uint64_t bits_ = 0;
};

// A string hand-written as bits in writing order, e.g. FromBits("011")
// for Gamma(3).
inline std::string FromBits(const std::string& bits) {
  Writer w;
  for (char c : bits) w.Bit(c == '1');
  return w.bytes();
}

// ---- The sequence of one coding unit, FORMAT.md's pseudo-code. ----

inline void WriteUnit(const std::vector<int32_t>& x, const CodeParams& p, Writer* w) {
  const size_t n = x.size();
  size_t pos = 0;
  uint64_t offset = 0;  // with runs of non-zeros: later zero runs are >= 1
  while (pos < n) {
    size_t r = 0;
    while (pos + r < n && x[pos + r] == 0) ++r;
    w->RunLength(r - offset, p);
    pos += r;
    if (pos == n) break;
    if (!p.use_run_length_for_non_zeros) {
      w->NonZero(x[pos], p);
      pos += 1;
      continue;
    }
    size_t m = 0;
    while (pos + m < n && x[pos + m] != 0) ++m;
    w->RunLength(m - 1, p);
    for (size_t i = 0; i < m; ++i) w->NonZero(x[pos + i], p);
    pos += m;
    offset = 1;
  }
}

inline std::string Encode(const std::vector<int32_t>& x, const CodeParams& p) {
  Writer w;
  WriteUnit(x, p, &w);
  return w.bytes();
}

// The exact length in bits, without the padding.
inline uint64_t Bits(const std::vector<int32_t>& x, const CodeParams& p) {
  Writer w = Writer::CountOnly();
  WriteUnit(x, p, &w);
  return w.bits();
}

// What decoding x's string gives back: x, except that with the gamma
// magnitude code INT32_MIN comes back as -INT32_MAX.
inline std::vector<int32_t> Decoded(std::vector<int32_t> x, const CodeParams& p) {
  if (p.magnitude_code < 0) {
    for (int32_t& v : x) {
      if (v == kInt32Min) v = -kInt32Max;
    }
  }
  return x;
}

// ---- Decoding: the inverse, with FORMAT.md's malformed cases. ----

class Reader {
 public:
  explicit Reader(const std::string& code) : code_(code) {}

  // False when the bits have run out.
  bool Bit(bool* bit) {
    if (at_ >= 8 * uint64_t{code_.size()}) return false;
    *bit = ((static_cast<uint8_t>(code_[at_ / 8]) >> (at_ % 8)) & 1) != 0;
    ++at_;
    return true;
  }
  bool Field(int width, uint64_t* v) {
    *v = 0;
    for (int i = 0; i < width; ++i) {
      bool bit;
      if (!Bit(&bit)) return false;
      if (bit) *v |= uint64_t{1} << i;
    }
    return true;
  }
  // Zero bits up to the next 1 bit. Stops (false) once there are more than
  // `limit`: the code is then malformed whatever follows.
  bool Prefix(uint64_t limit, uint64_t* zeros) {
    *zeros = 0;
    for (;;) {
      bool bit;
      if (!Bit(&bit)) return false;
      if (bit) return true;
      if (++*zeros > limit) return false;
    }
  }
  // Rice(k); false if a value would not fit in 32 bits (>= 2^32). (The
  // range checks of runs and magnitudes would refuse these too; the bound
  // states FORMAT.md's rule and keeps `zeros << k` from overflowing.)
  bool Rice(int k, uint64_t* v) {
    uint64_t zeros, low;
    if (!Prefix((uint64_t{1} << 32) >> k, &zeros) || !Field(k, &low)) return false;
    *v = (zeros << k) | low;
    return *v < (uint64_t{1} << 32);
  }
  // Gamma: a prefix of at most 30 zero bits (a 31-bit integer).
  bool Gamma(uint64_t* v) {
    uint64_t zeros, low;
    if (!Prefix(30, &zeros) || !Field(static_cast<int>(zeros), &low)) return false;
    *v = (uint64_t{1} << zeros) | low;
    return true;
  }
  bool RunLength(const CodeParams& p, uint64_t* r) {
    if (p.run_length_code >= 0) return Rice(p.run_length_code, r);
    if (!Gamma(r)) return false;
    *r -= 1;
    return true;
  }
  // False also for a value outside int32 (+2^31 has no int32).
  bool NonZero(const CodeParams& p, int32_t* v) {
    bool positive;
    uint64_t m;
    if (!Bit(&positive)) return false;
    if (p.magnitude_code >= 0) {
      if (!Rice(p.magnitude_code, &m)) return false;
      m += 1;
    } else if (!Gamma(&m)) {
      return false;
    }
    const uint64_t most = positive ? uint64_t{kInt32Max} : uint64_t{kInt32Max} + 1;
    if (m > most) return false;
    *v = static_cast<int32_t>(positive ? static_cast<int64_t>(m) : -static_cast<int64_t>(m));
    return true;
  }

  // Bits not read yet.
  uint64_t left() const { return 8 * uint64_t{code_.size()} - at_; }

 private:
  const std::string& code_;
  uint64_t at_ = 0;
};

// Decodes out->size() values. False where FORMAT.md calls the string
// malformed: bits run out, a run passes the end of the unit, a gamma prefix
// over 30 zero bits, an integer overflowing 32 bits, or (laplace_rice's
// stricter rule) a whole unused byte after the last code.
inline bool Decode(const std::string& code, const CodeParams& p, std::vector<int32_t>* out) {
  Reader in(code);
  const size_t n = out->size();
  size_t pos = 0;
  uint64_t offset = 0;
  while (pos < n) {
    uint64_t r;
    if (!in.RunLength(p, &r)) return false;
    r += offset;
    if (r > n - pos) return false;
    for (uint64_t i = 0; i < r; ++i) (*out)[pos++] = 0;
    if (pos == n) break;
    uint64_t m = 1;
    if (p.use_run_length_for_non_zeros) {
      if (!in.RunLength(p, &m)) return false;
      m += 1;
      if (m > n - pos) return false;
      offset = 1;
    }
    for (uint64_t i = 0; i < m; ++i) {
      if (!in.NonZero(p, &(*out)[pos++])) return false;
    }
  }
  return in.left() < 8;  // only the last byte's padding may be left
}

}  // namespace oracle
}  // namespace laplace_rice

#endif  // LAPLACE_RICE_CODEC_TESTS_FORMAT_ORACLE_H_
