// The public entry points of codec.h but the policy (encode_unit.cc) and
// the parallel parts (parallel.cc): argument checks, then one stretch of
// the whole unit through ranges.h or the decode kernel (kernels.h).
#include <cstring>
#include <string>
#include <type_traits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "kernels.h"
#include "laplace_rice/codec.h"
#include "ranges.h"

namespace laplace_rice {

using internal::EncodeBufferAccess;
using internal::kShortString;
using internal::kSlack;
using internal::ValidateCall;

Status ValidateParams(const CodeParams& params) {
  if (params.run_length_code > kMaxRiceParameter) {
    return Status::InvalidArgument(
        "run_length_code must be at most " +
        std::to_string(kMaxRiceParameter) + " (negative for gamma), got " +
        std::to_string(params.run_length_code));
  }
  if (params.magnitude_code > kMaxRiceParameter) {
    return Status::InvalidArgument(
        "magnitude_code must be at most " +
        std::to_string(kMaxRiceParameter) + " (negative for gamma), got " +
        std::to_string(params.magnitude_code));
  }
  return Status();
}

Status ValidateUnitSize(uint64_t count) {
  if (count > kMaxUnitSize) {
    return Status::InvalidArgument(
        "a coding unit holds at most " + std::to_string(kMaxUnitSize) +
        " values, got " + std::to_string(count));
  }
  return Status();
}

// The most zeros one run-length code of at most `bits` bits stands for. It
// grows faster than linearly in `bits` (Z(a) + Z(b) <= Z(a + b)), so several
// runs sharing `bits` bits stand for no more zeros than one run would.
// Saturates at 2^40, far above kMaxUnitSize.
namespace {
uint64_t MaxZerosInBits(uint64_t bits, int run_length_code) {
  constexpr uint64_t kSaturated = uint64_t{1} << 40;
  if (run_length_code < 0) {
    // Gamma(r + 1) takes 2w - 1 bits for r + 1 < 2^w.
    const uint64_t width = (bits + 1) / 2;
    if (width >= 40) return kSaturated;
    return width == 0 ? 0 : (uint64_t{1} << width) - 2;
  }
  // Rice(r, k) takes (r >> k) + 1 + k bits.
  const uint64_t k = static_cast<uint64_t>(run_length_code);
  if (bits < k + 1) return 0;
  if (k >= 40) return kSaturated;  // out of range; no shift by >= 64 below
  const uint64_t quotients = bits - k;  // r >> k < quotients
  if (quotients >= (kSaturated >> k)) return kSaturated;
  return (quotients << k) - 1;
}
}  // namespace

uint64_t MaxValuesInBytes(uint64_t size, const CodeParams& params) {
  if (size >= kMaxUnitSize) return kMaxUnitSize;  // 8 * size cannot overflow
  const uint64_t bits = 8 * size;
  // Zeros from run lengths, plus at most one value per further bit: a
  // non-zero costs a sign bit and a magnitude code of one or more bits, and
  // the extra zero that each later run of zeros carries with runs of
  // non-zeros follows a run-length code and a non-zero.
  const uint64_t bound = MaxZerosInBits(bits, params.run_length_code) + bits;
  return std::min<uint64_t>(bound, kMaxUnitSize);
}

template <typename T>
Status CountBits(const T* values, size_t count, const CodeParams& params,
                 uint64_t* bits) {
  Status status = ValidateCall(params, count);
  if (!status.ok()) return status;
  return internal::CountRangeBits(values, 0, count, params, bits);
}

template <typename T>
Status EncodeInto(const T* values, size_t count, const CodeParams& params,
                  uint8_t* out, size_t out_size) {
  Status status = ValidateCall(params, count);
  if (!status.ok()) return status;
  return internal::WriteRangeInto(values, 0, count, params, out, out_size);
}

template <typename T>
Status Encode(const T* values, size_t count, const CodeParams& params,
              std::string* out) {
  uint64_t bits = 0;
  Status status = CountBits(values, count, params, &bits);
  if (!status.ok()) return status;
  out->resize(BytesForBits(bits));
  return EncodeInto(values, count, params,
                    reinterpret_cast<uint8_t*>(out->data()), out->size());
}

template <typename T>
Status EncodeToBuffer(const T* values, size_t count, const CodeParams& params,
                      size_t max_bytes, EncodeBuffer* buffer, bool* fits) {
  *fits = false;
  Status status = ValidateCall(params, count);
  if (!status.ok()) return status;
  uint64_t bits = 0;
  status = internal::WriteRangeToVector(values, 0, count, params, max_bytes,
                                        &EncodeBufferAccess::Bytes(buffer),
                                        &bits, fits);
  EncodeBufferAccess::SetString(buffer, *fits && status.ok() ? bits : 0);
  return status;
}

namespace {
// Converts count int32 values stored at `values` into floats in place.
void Int32sToFloatsInPlace(float* values, size_t count) {
  size_t i = 0;
#if defined(__SSE2__)
  for (; i + 4 <= count; i += 4) {
    __m128i* four = reinterpret_cast<__m128i*>(values + i);  // may alias
    _mm_storeu_ps(values + i, _mm_cvtepi32_ps(_mm_loadu_si128(four)));
  }
#endif
  for (; i < count; ++i) {
    int32_t value;
    std::memcpy(&value, values + i, sizeof(value));
    values[i] = static_cast<float>(value);
  }
}
}  // namespace

// Floats have the size of int32: decoding into `out` as int32 and then
// converting in place, four at a time, is faster than converting each value
// as it is stored (that loop has more values live than registers).
template <typename T>
Status DecodeTo(const uint8_t* data, size_t size, const CodeParams& params,
                T* out, size_t count) {
  Status status = ValidateCall(params, count);
  if (!status.ok()) return status;
  // A short string is decoded from a zero-padded copy (see kShortString).
  uint8_t padded[kShortString + kSlack];
  size_t slack = 0;
  if (size <= kShortString) {
    if (size > 0) std::memcpy(padded, data, size);
    std::memset(padded + size, 0, kSlack);
    data = padded;
    slack = kSlack;
  }
  using Out = typename internal::Kernels<T>::Out;
  static_assert(sizeof(Out) == sizeof(T), "in-place conversion");
  // For float, the buffer is the caller's, seen through int32 stores only
  // here.
  status = internal::ForThisCpu<T>().decode_unit(
      data, size, slack, params, reinterpret_cast<Out*>(out), count);
  if constexpr (std::is_same_v<T, float>) {
    if (status.ok()) Int32sToFloatsInPlace(out, count);
  }
  return status;
}

#define LAPLACE_RICE_INSTANTIATE(T)                                          \
  template LAPLACE_RICE_API Status CountBits<T>(const T*, size_t,            \
                                                const CodeParams&, uint64_t*); \
  template LAPLACE_RICE_API Status EncodeInto<T>(                            \
      const T*, size_t, const CodeParams&, uint8_t*, size_t);                \
  template LAPLACE_RICE_API Status Encode<T>(const T*, size_t,               \
                                             const CodeParams&, std::string*); \
  template LAPLACE_RICE_API Status EncodeToBuffer<T>(                        \
      const T*, size_t, const CodeParams&, size_t, EncodeBuffer*, bool*);    \
  template LAPLACE_RICE_API Status DecodeTo<T>(                              \
      const uint8_t*, size_t, const CodeParams&, T*, size_t);
LAPLACE_RICE_INSTANTIATE(int32_t)
LAPLACE_RICE_INSTANTIATE(float)
LAPLACE_RICE_INSTANTIATE(double)
#undef LAPLACE_RICE_INSTANTIATE

Status Decode(const uint8_t* data, size_t size, const CodeParams& params,
              int32_t* out, size_t count) {
  return DecodeTo<int32_t>(data, size, params, out, count);
}

}  // namespace laplace_rice
