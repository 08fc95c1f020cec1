// libFuzzer target: Encode -> Decode round trips of arbitrary data.
//
// Input layout (make_corpus.py writes seeds in it):
//   byte 0, 1  run_length_code, magnitude_code (see CodeFromByte)
//   byte 2     bit 0: use_run_length_for_non_zeros
//              bits 1-2: element type: 1 float, 2 double, else int32
//              bits 3-6: max_parts for the parallel API (0: not called)
//              bit 7: also call EncodeInto with wrongly sized buffers
//   byte 3     low 5 bits: s; int32 values are shifted right by s, floating
//              values scaled by 2^-s (small values, short strings)
//   the rest   the values, little-endian
//
// Checks: decode(encode(x)) == x (gamma writes INT32_MIN as -INT32_MAX, the
// one documented exception); CountBits() is the string's exact length; the
// padding bits are zero; the parallel API writes the same bytes; a wrongly
// sized buffer is refused without a write outside it; floating-point input
// codes as its rounding (half to even), or is refused when NaN, infinite or
// outside int32.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "fuzz_common.h"
#include "laplace_rice/codec.h"

namespace {

using laplace_rice::CodeParams;
using laplace_rice::ErrorCode;
using laplace_rice::Status;

constexpr size_t kHeaderBytes = laplace_rice_fuzz::kParamBytes + 1;
// Small Rice parameters write |v| >> k zero bits: skip units whose string
// would exceed 1 MiB, so that each run stays fast.
constexpr uint64_t kMaxBits = uint64_t{1} << 23;

// Runs the tasks of the parallel API one by one, last first, so that any
// dependence on task order shows.
void RunBackwards(size_t n, const std::function<void(size_t)>& task) {
  for (size_t i = n; i > 0; --i) task(i - 1);
}

template <typename T>
std::vector<T> ReadValues(const uint8_t* data, size_t size) {
  std::vector<T> values(size / sizeof(T));
  if (!values.empty()) std::memcpy(values.data(), data, values.size() * sizeof(T));
  return values;
}

// The decoder's view of a value: gamma has no code for INT32_MIN.
int32_t Expected(int32_t v, const CodeParams& p) {
  return (p.magnitude_code < 0 && v == INT32_MIN) ? -INT32_MAX : v;
}

// Encodes with the parallel API (through an exactly sized heap buffer).
template <typename T>
void CheckParallel(const std::vector<T>& values, const CodeParams& p,
                   size_t max_parts, uint64_t bits, const std::string& code) {
  uint64_t parallel_bits = 0;
  FUZZ_CHECK(laplace_rice::CountBitsParallel(values.data(), values.size(), p,
                                             max_parts, RunBackwards, &parallel_bits)
                 .ok(),
             p);
  FUZZ_CHECK(parallel_bits == bits, p);
  std::unique_ptr<uint8_t[]> buffer;
  size_t allocated = 0;
  int calls = 0;
  const Status status = laplace_rice::EncodeParallel(
      values.data(), values.size(), p, max_parts, RunBackwards,
      [&](size_t size) {
        ++calls;
        allocated = size;
        buffer.reset(new uint8_t[size]);
        return buffer.get();
      });
  FUZZ_CHECK(status.ok(), p);
  FUZZ_CHECK(calls == 1, p);
  FUZZ_CHECK(allocated == code.size(), p);
  FUZZ_CHECK(allocated == 0 || std::memcmp(buffer.get(), code.data(), allocated) == 0, p);
}

// EncodeInto must refuse a buffer one byte short or long, writing only
// inside it (each buffer is its own heap block, so ASan sees any overflow).
template <typename T>
void CheckWrongSizes(const std::vector<T>& values, const CodeParams& p, size_t size) {
  for (size_t wrong : {size - 1, size + 1}) {
    if (size == 0 && wrong != 1) continue;
    std::unique_ptr<uint8_t[]> buffer(new uint8_t[wrong == 0 ? 1 : wrong]);
    const Status status =
        laplace_rice::EncodeInto(values.data(), values.size(), p, buffer.get(), wrong);
    FUZZ_CHECK(status.code() == ErrorCode::kInvalidArgument, p);
  }
}

// Encode, count and decode `ints`; returns the string (empty if skipped).
bool RoundTrip(const std::vector<int32_t>& ints, const CodeParams& p, uint8_t flags,
               std::string* code) {
  uint64_t bits = 0;
  FUZZ_CHECK(laplace_rice::CountBits(ints.data(), ints.size(), p, &bits).ok(), p);
  if (bits > kMaxBits) return false;
  FUZZ_CHECK(laplace_rice::Encode(ints.data(), ints.size(), p, code).ok(), p);
  FUZZ_CHECK(code->size() == laplace_rice::BytesForBits(bits), p);
  if (bits % 8 != 0) {
    const unsigned last = static_cast<uint8_t>(code->back());
    FUZZ_CHECK((last >> (bits % 8)) == 0, p);  // zero padding
  }
  std::vector<int32_t> decoded(ints.size());
  const Status status =
      laplace_rice::Decode(reinterpret_cast<const uint8_t*>(code->data()), code->size(),
                           p, decoded.data(), decoded.size());
  FUZZ_CHECK(status.ok(), p);
  for (size_t i = 0; i < ints.size(); ++i) {
    FUZZ_CHECK(decoded[i] == Expected(ints[i], p), p);
  }
  const size_t max_parts = (flags >> 3) & 15;
  if (max_parts > 0) CheckParallel(ints, p, max_parts, bits, *code);
  if (flags & 128) CheckWrongSizes(ints, p, code->size());
  return true;
}

// Floating-point input: same string as its rounding, or InvalidArgument.
template <typename Float>
void CheckFloat(std::vector<Float> values, int shift, const CodeParams& p, uint8_t flags) {
  std::vector<int32_t> rounded(values.size());
  bool all_codable = true;
  for (size_t i = 0; i < values.size(); ++i) {
    values[i] = std::ldexp(values[i], -shift);
    const double x = static_cast<double>(values[i]);
    const bool codable = x >= -2147483648.5 && x < 2147483647.5;  // false for NaN
    all_codable = all_codable && codable;
    rounded[i] = codable ? static_cast<int32_t>(std::nearbyint(x)) : 0;
  }
  uint64_t bits = 0;
  const Status counted = laplace_rice::CountBits(values.data(), values.size(), p, &bits);
  if (!all_codable) {
    FUZZ_CHECK(counted.code() == ErrorCode::kInvalidArgument, p);
    std::string ignored;
    FUZZ_CHECK(laplace_rice::Encode(values.data(), values.size(), p, &ignored).code() ==
                   ErrorCode::kInvalidArgument,
               p);
    return;
  }
  FUZZ_CHECK(counted.ok(), p);
  std::string expected;
  if (!RoundTrip(rounded, p, 0, &expected)) return;
  std::string code;
  FUZZ_CHECK(laplace_rice::Encode(values.data(), values.size(), p, &code).ok(), p);
  FUZZ_CHECK(code == expected, p);
  const size_t max_parts = (flags >> 3) & 15;
  if (max_parts > 0) CheckParallel(values, p, max_parts, bits, code);
  if (flags & 128) CheckWrongSizes(values, p, code.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < kHeaderBytes) return 0;
  const CodeParams params = laplace_rice_fuzz::ParamsFromBytes(data);
  const uint8_t flags = data[2];
  const int shift = data[3] & 31;
  const uint8_t* payload = data + kHeaderBytes;
  const size_t payload_size = size - kHeaderBytes;

  if (!laplace_rice_fuzz::ParamsInRange(params)) {
    const std::vector<int32_t> ints = ReadValues<int32_t>(payload, payload_size);
    uint64_t bits = 0;
    std::string code;
    FUZZ_CHECK(laplace_rice::CountBits(ints.data(), ints.size(), params, &bits).code() ==
                   ErrorCode::kInvalidArgument,
               params);
    FUZZ_CHECK(laplace_rice::Encode(ints.data(), ints.size(), params, &code).code() ==
                   ErrorCode::kInvalidArgument,
               params);
    return 0;
  }

  switch ((flags >> 1) & 3) {
    case 1:
      CheckFloat(ReadValues<float>(payload, payload_size), shift, params, flags);
      break;
    case 2:
      CheckFloat(ReadValues<double>(payload, payload_size), shift, params, flags);
      break;
    default: {
      std::vector<int32_t> ints = ReadValues<int32_t>(payload, payload_size);
      for (int32_t& v : ints) v >>= shift;
      std::string code;
      RoundTrip(ints, params, flags, &code);
    }
  }
  return 0;
}
