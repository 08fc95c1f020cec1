// libFuzzer target: Decode() of arbitrary bytes under every parameter
// combination and unit length.
//
// Input layout (make_corpus.py writes seeds in it):
//   byte 0, 1  run_length_code, magnitude_code (see CodeFromByte)
//   byte 2     bit 0: use_run_length_for_non_zeros; bit 1: count <<= 5;
//              bit 2: count is beyond kMaxUnitSize (must be refused);
//              bit 3: count as given, else reduced modulo 64 more than
//              MaxValuesInBytes(string size) (counts far beyond that bound
//              only cost time: the output is allocated and zeroed per run)
//   byte 3, 4  count, little-endian
//   the rest   the string to decode
//
// Besides "no crash, no out-of-bounds access" (ASan, UBSan) it checks that
// errors have the documented kinds and that every string Decode() accepts
// is exactly what Encode() writes for the decoded values, up to the ignored
// padding bits of the last byte: the format has one string per unit.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "fuzz_common.h"
#include "laplace_rice/codec.h"

namespace {

using laplace_rice::CodeParams;
using laplace_rice::ErrorCode;
using laplace_rice::Status;

constexpr size_t kHeaderBytes = laplace_rice_fuzz::kParamBytes + 2;

// Checks that `code` is the canonical string of `values`.
void CheckCanonical(const uint8_t* code, size_t size,
                    const std::vector<int32_t>& values, const CodeParams& p) {
  uint64_t bits = 0;
  FUZZ_CHECK(laplace_rice::CountBits(values.data(), values.size(), p, &bits).ok(), p);
  FUZZ_CHECK(laplace_rice::BytesForBits(bits) == size, p);
  std::string again;
  FUZZ_CHECK(laplace_rice::Encode(values.data(), values.size(), p, &again).ok(), p);
  FUZZ_CHECK(again.size() == size, p);
  if (size == 0) return;
  FUZZ_CHECK(std::memcmp(again.data(), code, size - 1) == 0, p);
  const unsigned used = static_cast<unsigned>((bits - 1) % 8 + 1);  // 1..8
  const unsigned mask = (1u << used) - 1;
  FUZZ_CHECK((static_cast<uint8_t>(again[size - 1]) & ~mask) == 0, p);
  FUZZ_CHECK(((code[size - 1] ^ static_cast<uint8_t>(again[size - 1])) & mask) == 0, p);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < kHeaderBytes) return 0;
  const CodeParams params = laplace_rice_fuzz::ParamsFromBytes(data);
  const uint8_t flags = data[2];
  uint64_t count = data[3] | (uint64_t{data[4]} << 8);
  if (flags & 2) count <<= 5;  // up to 2^21 values
  const uint8_t* code = data + kHeaderBytes;
  const size_t code_size = size - kHeaderBytes;
  if (!(flags & 8)) {
    count %= laplace_rice::MaxValuesInBytes(code_size, params) + 65;
  }

  if (flags & 4) {
    // Beyond the unit limit: refused before any write, so a one-element
    // buffer is enough (ASan reports any write past it).
    int32_t sink = 0;
    const Status status = laplace_rice::Decode(
        code, code_size, params, &sink,
        static_cast<size_t>(laplace_rice::kMaxUnitSize + 1 + count));
    FUZZ_CHECK(status.code() == ErrorCode::kInvalidArgument, params);
    return 0;
  }

  std::vector<int32_t> out(count);
  const Status status =
      laplace_rice::Decode(code, code_size, params, out.data(), out.size());
  if (!laplace_rice_fuzz::ParamsInRange(params)) {
    FUZZ_CHECK(status.code() == ErrorCode::kInvalidArgument, params);
    return 0;
  }
  if (!status.ok()) {
    // Malformed strings are DataLoss, never InvalidArgument, with a message.
    FUZZ_CHECK(status.code() == ErrorCode::kDataLoss, params);
    FUZZ_CHECK(!status.message().empty(), params);
    return 0;
  }
  // The bound that the TF kernel checks before allocating must hold.
  FUZZ_CHECK(count <= laplace_rice::MaxValuesInBytes(code_size, params), params);
  if (params.magnitude_code < 0) {
    for (int32_t v : out) FUZZ_CHECK(v != INT32_MIN, params);  // gamma: no code
  }
  CheckCanonical(code, code_size, out, params);
  return 0;
}
