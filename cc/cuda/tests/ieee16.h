// An independent reference for the 16-bit conversions: float <-> IEEE
// binary16 and float <-> bfloat16 written from the format definitions (sign,
// biased exponent, fraction; round to nearest, ties to even) with integer
// arithmetic only. The CPU reference of the harness and of the emulation test
// uses CUDA's host conversions (host16.h), which are the same code family as
// the device's; this header does not, so a wrong rounding shared by both
// shows here. emulation_test.cu checks it against CUDA's host conversions on
// every 16-bit pattern and on the float rounding boundaries.
#ifndef LAPLACE_RICE_CC_CUDA_TESTS_IEEE16_H_
#define LAPLACE_RICE_CC_CUDA_TESTS_IEEE16_H_

#include <cmath>
#include <cstdint>
#include <cstring>

namespace laplace_rice {
namespace testing {
namespace ieee16 {

inline uint32_t FloatBits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}
inline float BitsFloat(uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

// Drops the low `drop` bits of m, rounding to nearest, ties to even.
inline uint32_t RoundShift(uint32_t m, int drop) {
  if (drop == 0) return m;
  if (drop > 25) return 0;  // below half of the last kept unit: rounds to 0
  const uint32_t q = m >> drop;
  const uint32_t rem = m & ((1u << drop) - 1);
  const uint32_t half = 1u << (drop - 1);
  return q + ((rem > half || (rem == half && (q & 1))) ? 1 : 0);
}

// binary16: 1 sign bit, 5 exponent bits (bias 15), 10 fraction bits.
inline uint16_t FloatToHalf(float f) {
  const uint32_t b = FloatBits(f);
  const uint16_t sign = static_cast<uint16_t>((b >> 16) & 0x8000);
  const uint32_t abs = b & 0x7fffffff;
  if (abs > 0x7f800000) return sign | 0x7e00;  // NaN (quiet; payload dropped)
  if (abs == 0x7f800000) return sign | 0x7c00;
  const int biased = static_cast<int>(abs >> 23);
  if (biased == 0) return sign;  // float subnormals are < 2^-126: half's 0
  const int e = biased - 127;     // value = m * 2^(e - 23), m has 24 bits
  const uint32_t m = (abs & 0x7fffff) | 0x800000;
  if (e >= 16) return sign | 0x7c00;  // >= 2^16 > max half: infinity
  if (e >= -14) {
    // Normal: keep 11 bits of m; a carry out of them moves into the
    // exponent field, and out of exponent 30 into infinity (0x7c00).
    const uint32_t q = RoundShift(m, 13);
    return sign | static_cast<uint16_t>(((e + 14) << 10) + q);
  }
  // Subnormal: units of 2^-24; q == 0x400 becomes the smallest normal.
  return sign | static_cast<uint16_t>(RoundShift(m, 13 + (-14 - e)));
}

inline float HalfToFloat(uint16_t h) {
  const float sign = (h & 0x8000) ? -1.0f : 1.0f;
  const int exponent = (h >> 10) & 0x1f;
  const int fraction = h & 0x3ff;
  if (exponent == 31) {
    return fraction ? BitsFloat(((h & 0x8000u) << 16) | 0x7fc00000u)
                    : sign * INFINITY;
  }
  if (exponent == 0) return sign * std::ldexp(static_cast<float>(fraction), -24);
  return sign * std::ldexp(static_cast<float>(1024 + fraction), exponent - 25);
}

// bfloat16: the high 16 bits of a float (same exponent range), so rounding
// is dropping 16 fraction bits; subnormals and overflow follow by carry.
inline uint16_t FloatToBFloat16(float f) {
  const uint32_t b = FloatBits(f);
  if ((b & 0x7fffffff) > 0x7f800000) {
    return static_cast<uint16_t>(((b >> 16) & 0x8000) | 0x7fc0);  // NaN
  }
  const uint32_t sign = b & 0x80000000u;
  return static_cast<uint16_t>((sign | RoundShift(b & 0x7fffffff, 16) << 16) >> 16);
}

inline float BFloat16ToFloat(uint16_t h) {
  return BitsFloat(static_cast<uint32_t>(h) << 16);
}

// The model's math on 16-bit bits through these conversions, as
// <laplace_rice/math.h> defines it (computed in float).
struct HalfFormat {
  static uint16_t From(float f) { return FloatToHalf(f); }
  static float To(uint16_t h) { return HalfToFloat(h); }
};
struct BFloat16Format {
  static uint16_t From(float f) { return FloatToBFloat16(f); }
  static float To(uint16_t h) { return BFloat16ToFloat(h); }
};

template <typename F>
uint16_t Quantize(uint16_t x) {
  return F::From(std::nearbyint(F::To(x)));
}

template <typename F>
uint16_t PenaltyGrad(uint16_t x, uint16_t grad, uint16_t l1) {
  const float scale = F::To(F::From(F::To(l1) * F::To(grad)));
  const float v = F::To(x);
  const float sign = v > 0 ? 1.0f : v < 0 ? -1.0f : 0.0f;
  return F::From(sign * scale);
}

// Bit equality, except that any two NaNs are equal: NaN payloads are not
// specified across the CPU and GPU (see docs/gpu.md).
template <typename F>
bool SameValue(uint16_t a, uint16_t b) {
  return a == b || (std::isnan(F::To(a)) && std::isnan(F::To(b)));
}

}  // namespace ieee16
}  // namespace testing
}  // namespace laplace_rice

#endif  // LAPLACE_RICE_CC_CUDA_TESTS_IEEE16_H_
