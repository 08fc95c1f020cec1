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
//              bits 4-5: also decode into 1 float, 2 double (DecodeTo<T>;
//              0 and 3: int32 only), for units of up to kMaxTypedCount
//              values
//              bit 6: call the 1.0 ABI's functions (Decode, and the float
//              and double DecodeTo overloads, abi_v1.h) instead of the
//              templates
//   byte 3, 4  count, little-endian
//   the rest   the string to decode
//
// Besides "no crash, no out-of-bounds access" (ASan, UBSan) it checks that
// errors have the documented kinds and that every string Decode() accepts
// is exactly what Encode() writes for the decoded values, up to the ignored
// padding bits of the last byte: the format has one string per unit; and
// that decoding into float or double gives the same status and, on success,
// the int32 values converted.
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
// The float and double decoders share the int32 decoder's walk; what is
// theirs (the stores, the in-place conversion four values at a time) shows
// on short units. Longer ones (up to 2^21 values) would only double the
// time of the inputs that already take longest.
constexpr uint64_t kMaxTypedCount = uint64_t{1} << 16;

// Decodes into T through `entry` as well and checks that it agrees with the
// int32 decode (`status`, `ints`): the same error code, or the same values
// converted as by static_cast.
template <typename T>
void CheckDecodeTo(const laplace_rice_fuzz::EntryPoints<T>& entry, const uint8_t* code,
                   size_t size, const CodeParams& p, const Status& status,
                   const std::vector<int32_t>& ints) {
  std::vector<T> out(ints.size());
  const Status typed = entry.decode_to(code, size, p, out.data(), out.size());
  FUZZ_CHECK(typed.code() == status.code(), p);
  if (!typed.ok()) return;
  for (size_t i = 0; i < ints.size(); ++i) {
    FUZZ_CHECK(out[i] == static_cast<T>(ints[i]), p);
  }
}

// A unit beyond kMaxUnitSize is refused before any write, so a one-element
// buffer is enough (ASan reports any write past it).
template <typename T>
void CheckBeyondLimit(const laplace_rice_fuzz::EntryPoints<T>& entry, const uint8_t* code,
                      size_t size, const CodeParams& p, uint64_t extra) {
  T sink = 0;
  const Status status = entry.decode_to(
      code, size, p, &sink, static_cast<size_t>(laplace_rice::kMaxUnitSize + 1 + extra));
  FUZZ_CHECK(status.code() == ErrorCode::kInvalidArgument, p);
}

template <typename T>
laplace_rice_fuzz::EntryPoints<T> Entry(bool abi_v1) {
  return abi_v1 ? laplace_rice_fuzz::AbiV1<T>() : laplace_rice_fuzz::Templates<T>();
}

// Checks that `code` is the canonical string of `values`.
void CheckCanonical(const uint8_t* code, size_t size,
                    const std::vector<int32_t>& values, const CodeParams& p) {
  uint64_t bits = 0;
  FUZZ_CHECK(laplace_rice::CountBits<int32_t>(values.data(), values.size(), p, &bits).ok(), p);
  FUZZ_CHECK(laplace_rice::BytesForBits(bits) == size, p);
  std::string again;
  FUZZ_CHECK(laplace_rice::Encode<int32_t>(values.data(), values.size(), p, &again).ok(), p);
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

  // 1 float, 2 double (CheckBeyondLimit writes nothing whatever the count)
  const int out_type = (flags & 4) || count <= kMaxTypedCount ? (flags >> 4) & 3 : 0;
  const bool abi_v1 = (flags & 64) != 0;
  const auto ints_entry = Entry<int32_t>(abi_v1);

  if (flags & 4) {
    CheckBeyondLimit(ints_entry, code, code_size, params, count);
    if (out_type == 1) CheckBeyondLimit(Entry<float>(abi_v1), code, code_size, params, count);
    if (out_type == 2) CheckBeyondLimit(Entry<double>(abi_v1), code, code_size, params, count);
    return 0;
  }

  std::vector<int32_t> out(count);
  const Status status =
      ints_entry.decode_to(code, code_size, params, out.data(), out.size());
  if (out_type == 1) CheckDecodeTo(Entry<float>(abi_v1), code, code_size, params, status, out);
  if (out_type == 2) CheckDecodeTo(Entry<double>(abi_v1), code, code_size, params, status, out);
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
