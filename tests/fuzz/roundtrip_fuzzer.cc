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
//              bit 5: call the 1.0 ABI's overloads (abi_v1.h) instead of the
//              templates, and check them against the templates
//              bit 6: bytes 4 and 5 follow (below), else the values do
//   byte 4     (bit 6 only) the encoding policy, EncodeUnit/CountUnitBits
//              with max_parts from byte 2, and EncodeToBuffer:
//              bit 0: parts run on threads of their own, else one by one
//              bit 1: EncodeUnit's scratch and EncodeToBuffer's buffer are
//              buffers kept between inputs
//              bits 2-3: the output: 0 allocated freely, 1 from a budget of
//              exactly the string's size, 2 from a budget one byte short
//              (refused), 3 an allocator that returns null (refused)
//              bits 4-5: EncodeToBuffer's max_bytes: 0 the string's size,
//              1 one byte less (does not fit), 2 zero, 3 unbounded (see
//              CheckPolicy)
//              bits 6-7: 3: byte 5 may make a large unit (below), which
//              gets the policy's checks and Decode only (LargeRoundTrip)
//   byte 5     (bit 6 only) a longer unit from the values: bits 0-3: each
//              value repeated 2^n times, bits 4-7: the sequence repeated 2^n
//              times; at most kMaxExpanded values (fewer repetitions then),
//              kMaxLargeUnit when byte 4 says so. Long runs (longer than the
//              float rounding block, 1024 values) and units of several parts
//              (2 * kMinValuesPerPart values or more) thus come from inputs
//              of a few bytes. Large units cost tens of ms under ASan, hence
//              two bits for them: most inputs stay fast.
//   the rest   the values, little-endian
//
// Checks: decode(encode(x)) == x (gamma writes INT32_MIN as -INT32_MAX, the
// one documented exception), also decoded into float and double;
// CountBits() is the string's exact length; the padding bits are zero; the
// parallel API writes the same bytes; a wrongly sized buffer is refused
// without a write outside it; floating-point input codes as its rounding
// (half to even), or is refused when NaN, infinite or outside int32; the
// 1.0 ABI's overloads give the templates' results; EncodeUnit,
// CountUnitBits and EncodeToBuffer give the same string and length as
// Encode, and refuse (InvalidArgument, nothing allocated) a string beyond
// the budget or the allocator's memory.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "fuzz_common.h"
#include "laplace_rice/codec.h"

namespace {

using laplace_rice::CodeParams;
using laplace_rice::ErrorCode;
using laplace_rice::Status;
using laplace_rice_fuzz::EntryPoints;

constexpr size_t kHeaderBytes = laplace_rice_fuzz::kParamBytes + 1;
constexpr size_t kExtendedBytes = 2;
// Small Rice parameters write |v| >> k zero bits: skip units whose string
// would exceed 1 MiB, so that each run stays fast.
constexpr uint64_t kMaxBits = uint64_t{1} << 23;
// Expanded units: runs longer than the float rounding block (values.h,
// 1024 values) fit in the usual bound; the large one is the smallest that
// EncodeUnit cuts into parts (2 parts: PartsForUnit, kMinValuesPerPart =
// 2^16), and costs about 100 ms under ASan here.
constexpr size_t kMaxExpanded = size_t{1} << 12;
constexpr size_t kMaxLargeUnit = size_t{1} << 17;

// How an input with the extended header exercises the encoding policy.
struct Policy {
  bool on = false;
  bool threads = false;
  bool kept_scratch = false;
  int output = 0;       // byte 4, bits 2-3
  int buffer_size = 0;  // byte 4, bits 4-5
};

struct Options {
  CodeParams params;
  size_t max_parts = 0;     // parallel API; 0: not called
  bool wrong_sizes = false;
  bool abi_v1 = false;
  bool large = false;  // a unit of up to kMaxLargeUnit values
  Policy policy;
};

template <typename T>
EntryPoints<T> Entry(const Options& o) {
  return o.abi_v1 ? laplace_rice_fuzz::AbiV1<T>() : laplace_rice_fuzz::Templates<T>();
}

laplace_rice::ParallelRunner Runner(const Options& o) {
  if (o.policy.threads) return laplace_rice_fuzz::RunOnThreads;
  return laplace_rice_fuzz::RunBackwards;
}

template <typename T>
std::vector<T> ReadValues(const uint8_t* data, size_t size) {
  std::vector<T> values(size / sizeof(T));
  if (!values.empty()) std::memcpy(values.data(), data, values.size() * sizeof(T));
  return values;
}

// Each value repeated 2^(byte & 15) times, the whole 2^(byte >> 4) times,
// repetitions reduced (the sequence's first) until at most `max_values`.
template <typename T>
std::vector<T> Expand(const std::vector<T>& values, uint8_t byte, size_t max_values) {
  if (values.empty()) return values;
  size_t each = size_t{1} << (byte & 15);
  size_t times = size_t{1} << (byte >> 4);
  while (values.size() * each * times > max_values && times > 1) times /= 2;
  while (values.size() * each * times > max_values && each > 1) each /= 2;
  std::vector<T> out;
  out.reserve(values.size() * each * times);
  for (size_t t = 0; t < times; ++t) {
    for (const T& v : values) out.insert(out.end(), each, v);
  }
  return out;
}

// The decoder's view of a value: gamma has no code for INT32_MIN.
int32_t Expected(int32_t v, const CodeParams& p) {
  return (p.magnitude_code < 0 && v == INT32_MIN) ? -INT32_MAX : v;
}

// Counts and encodes with the parallel API (through an exactly sized heap
// buffer); returns the string, which the caller compares with Encode's.
template <typename T>
std::string EncodeInParts(const EntryPoints<T>& api, const std::vector<T>& values,
                          const Options& o, uint64_t bits) {
  const CodeParams& p = o.params;
  uint64_t parallel_bits = 0;
  FUZZ_CHECK(api.count_bits_parallel(values.data(), values.size(), p, o.max_parts,
                                     Runner(o), &parallel_bits)
                 .ok(),
             p);
  FUZZ_CHECK(parallel_bits == bits, p);
  std::unique_ptr<uint8_t[]> buffer;
  size_t allocated = 0;
  int calls = 0;
  const Status status = api.encode_parallel(
      values.data(), values.size(), p, o.max_parts, Runner(o), [&](size_t size) {
        ++calls;
        allocated = size;
        buffer.reset(new uint8_t[size]);
        return buffer.get();
      });
  FUZZ_CHECK(status.ok(), p);
  FUZZ_CHECK(calls == 1, p);
  FUZZ_CHECK(allocated == laplace_rice::BytesForBits(bits), p);
  // An allocator that returns null fails the call (unless the string is
  // empty), with nothing written. One more encode of the unit: only when
  // the input asks for a null allocator (byte 4).
  if (o.policy.output != 3) {
    return std::string(reinterpret_cast<const char*>(buffer.get()), allocated);
  }
  calls = 0;
  const Status refused = api.encode_parallel(values.data(), values.size(), p, o.max_parts,
                                             Runner(o), [&](size_t) -> uint8_t* {
                                               ++calls;
                                               return nullptr;
                                             });
  FUZZ_CHECK(calls == 1, p);
  FUZZ_CHECK(allocated == 0 ? refused.ok() : refused.code() == ErrorCode::kInvalidArgument, p);
  return std::string(reinterpret_cast<const char*>(buffer.get()), allocated);
}

// EncodeInto must refuse a buffer one byte short or long, writing only
// inside it (each buffer is its own heap block, so ASan sees any overflow).
template <typename T>
void CheckWrongSizes(const EntryPoints<T>& api, const std::vector<T>& values,
                     const CodeParams& p, size_t size) {
  for (size_t wrong : {size - 1, size + 1}) {
    if (size == 0 && wrong != 1) continue;
    std::unique_ptr<uint8_t[]> buffer(new uint8_t[wrong == 0 ? 1 : wrong]);
    const Status status = api.encode_into(values.data(), values.size(), p, buffer.get(), wrong);
    FUZZ_CHECK(status.code() == ErrorCode::kInvalidArgument, p);
  }
}

// Buffers kept across inputs, as a caller keeps one per thread: they hold
// memory (and an old string) from earlier inputs. One is EncodeUnit's
// scratch, the other EncodeToBuffer's buffer; the latter is given memory at
// once (a one-value string), for max_bytes 0 (CheckPolicy).
laplace_rice::EncodeBuffer& KeptScratch() {
  static laplace_rice::EncodeBuffer scratch;
  return scratch;
}

laplace_rice::EncodeBuffer& KeptBuffer() {
  static laplace_rice::EncodeBuffer buffer = [] {
    laplace_rice::EncodeBuffer b;
    const int32_t one = 1;
    bool fits = false;
    laplace_rice::EncodeToBuffer<int32_t>(&one, 1, CodeParams{}, 64, &b, &fits);
    return b;
  }();
  return buffer;
}

// EncodeUnit (the policy), CountUnitBits and EncodeToBuffer. `bits` is the
// exact count from CountBits; returns the string EncodeUnit wrote when it
// was allowed to (else `*written` is false).
template <typename T>
std::string CheckPolicy(const EntryPoints<T>& api, const std::vector<T>& values,
                        const Options& o, uint64_t bits, bool* written) {
  // A large unit (LargeRoundTrip) has had its bits counted by CountUnitBits
  // and skips EncodeToBuffer, which small units reach as well.
  const bool large = o.large;
  const CodeParams& p = o.params;
  const size_t size = static_cast<size_t>(laplace_rice::BytesForBits(bits));
  laplace_rice::EncodeOptions options;
  options.max_parts = o.max_parts;
  if (o.max_parts > 0) options.run = Runner(o);
  if (o.policy.kept_scratch) options.scratch = &KeptScratch();

  if (!large) {
    uint64_t unit_bits = 0;
    FUZZ_CHECK(
        laplace_rice::CountUnitBits(values.data(), values.size(), p, options, &unit_bits).ok(),
        p);
    FUZZ_CHECK(unit_bits == bits, p);
  }

  // The budget is in bytes of string; a string of 0 bytes always fits.
  std::unique_ptr<laplace_rice::OutputBudget> budget;
  if (o.policy.output == 1) {
    budget = std::make_unique<laplace_rice::OutputBudget>(size, "fuzz: exact");
  } else if (o.policy.output == 2 && size > 0) {
    budget = std::make_unique<laplace_rice::OutputBudget>(size - 1, "fuzz: one byte short");
  }
  options.budget = budget.get();
  const bool null_allocator = o.policy.output == 3;
  const bool refused = size > 0 && (o.policy.output == 2 || null_allocator);

  std::string unit;
  int calls = 0;
  const Status status = laplace_rice::EncodeUnit(
      values.data(), values.size(), p, options, [&](size_t n) -> uint8_t* {
        ++calls;
        FUZZ_CHECK(n == size, p);
        if (null_allocator) return nullptr;
        unit.assign(n, '\xa5');  // every byte must be written over
        return reinterpret_cast<uint8_t*>(unit.data());
      });
  if (refused) {
    FUZZ_CHECK(status.code() == ErrorCode::kInvalidArgument, p);
    FUZZ_CHECK(!status.message().empty(), p);
    // A budget refuses before the allocator is called.
    FUZZ_CHECK(calls == (null_allocator ? 1 : 0), p);
  } else {
    FUZZ_CHECK(status.ok(), p);
    FUZZ_CHECK(calls == 1, p);
  }
  if (budget != nullptr && o.policy.output == 1) {
    // The exact budget is spent: one more byte is refused.
    FUZZ_CHECK(budget->Take(1, "one more byte").code() == ErrorCode::kInvalidArgument, p);
  }

  *written = !refused;
  if (large) return unit;

  // EncodeToBuffer, in a buffer reused from earlier inputs when asked, with
  // bounds that once broke the growing writer (regressions/roundtrip_fuzzer,
  // encode-to-buffer-*): SIZE_MAX (its growth limit wrapped), a large bound
  // on a kept buffer (it doubled on every call), 0 on a fresh buffer (null
  // pointer arithmetic).
  laplace_rice::EncodeBuffer own;
  size_t max_bytes = size;
  const bool kept = o.policy.kept_scratch;
  switch (o.policy.buffer_size) {
    case 1: max_bytes = size == 0 ? 0 : size - 1; break;
    case 2: max_bytes = 0; break;
    case 3: max_bytes = std::numeric_limits<size_t>::max(); break;
    default: break;
  }
  laplace_rice::EncodeBuffer& buffer = kept ? KeptBuffer() : own;
  bool fits = false;
  FUZZ_CHECK(api.encode_to_buffer(values.data(), values.size(), p, max_bytes, &buffer, &fits)
                 .ok(),
             p);
  FUZZ_CHECK(fits == (size <= max_bytes), p);
  if (fits) {
    FUZZ_CHECK(buffer.bits() == bits && buffer.size() == size, p);
    if (!refused) {
      FUZZ_CHECK(size == 0 || std::memcmp(buffer.data(), unit.data(), size) == 0, p);
    }
  } else {
    FUZZ_CHECK(buffer.size() == 0 && buffer.bits() == 0, p);
  }
  return unit;
}

// Every entry point must refuse what CountBits refused (out-of-range
// parameters, or floating-point values that do not round to int32).
template <typename T>
void CheckRefused(const EntryPoints<T>& api, const std::vector<T>& values, const Options& o) {
  const CodeParams& p = o.params;
  const auto refused = [&](const Status& status) {
    FUZZ_CHECK(status.code() == ErrorCode::kInvalidArgument, p);
  };
  uint64_t bits = 0;
  std::string code;
  // A large unit gets the policy's entry points only (see LargeRoundTrip):
  // out-of-range parameters are refused before any pass over the values.
  if (!o.large) {
    refused(api.count_bits(values.data(), values.size(), p, &bits));
    refused(api.encode(values.data(), values.size(), p, &code));
  }
  if (!o.large && o.max_parts > 0) {
    refused(api.count_bits_parallel(values.data(), values.size(), p, o.max_parts, Runner(o),
                                    &bits));
    refused(api.encode_parallel(values.data(), values.size(), p, o.max_parts, Runner(o),
                                [&](size_t) -> uint8_t* {
                                  FUZZ_CHECK(false, p);  // never called
                                  return nullptr;
                                }));
  }
  if (!o.policy.on) return;
  laplace_rice::EncodeOptions options;
  options.max_parts = o.max_parts;
  if (o.max_parts > 0) options.run = Runner(o);
  refused(laplace_rice::CountUnitBits(values.data(), values.size(), p, options, &bits));
  refused(laplace_rice::EncodeUnit(values.data(), values.size(), p, options,
                                   [&](size_t) -> uint8_t* {
                                     FUZZ_CHECK(false, p);  // never called
                                     return nullptr;
                                   }));
  if (o.large) return;
  laplace_rice::EncodeBuffer buffer;
  bool fits = false;
  refused(api.encode_to_buffer(values.data(), values.size(), p, 1 << 20, &buffer, &fits));
  FUZZ_CHECK(buffer.size() == 0, p);  // no string kept (`fits` is unspecified)
}

// Checks that `code` decodes to `ints`.
void CheckDecodes(const std::string& code, const std::vector<int32_t>& ints, const CodeParams& p) {
  std::vector<int32_t> decoded(ints.size());
  FUZZ_CHECK(laplace_rice::Decode(reinterpret_cast<const uint8_t*>(code.data()), code.size(),
                                  p, decoded.data(), decoded.size())
                 .ok(),
             p);
  for (size_t i = 0; i < ints.size(); ++i) {
    FUZZ_CHECK(decoded[i] == Expected(ints[i], p), p);
  }
}

// A large unit is there for the policy's parts: counted by CountUnitBits
// and encoded by EncodeUnit on the runner (budget, allocator and scratch as
// the input says), the string decoded back. Encode, the parallel API and
// the other checks, which small units reach as well, are left out: on 2^17
// values each pass costs tens of ms under ASan and libFuzzer's comparison
// tracing, and large inputs would take most of a campaign's time.
template <typename T>
bool LargeRoundTrip(const EntryPoints<T>& api, const std::vector<T>& values,
                    const std::vector<int32_t>& ints, const Options& o) {
  const CodeParams& p = o.params;
  laplace_rice::EncodeOptions options;
  options.max_parts = o.max_parts;
  if (o.max_parts > 0) options.run = Runner(o);
  uint64_t bits = 0;
  FUZZ_CHECK(
      laplace_rice::CountUnitBits(values.data(), values.size(), p, options, &bits).ok(), p);
  if (bits > kMaxBits) return false;
  bool written = false;
  const std::string unit = CheckPolicy(api, values, o, bits, &written);
  if (!written) return true;
  if (bits % 8 != 0) {
    FUZZ_CHECK((static_cast<uint8_t>(unit.back()) >> (bits % 8)) == 0, p);  // zero padding
  }
  // One string per unit: the right values from exactly BytesForBits(bits)
  // bytes (CheckPolicy checked the size) is Encode's string.
  CheckDecodes(unit, ints, p);
  return true;
}

// The round trip of `values` (int32, float or double), whose int32 values
// are `ints` (the rounding of floating-point values). Returns false when
// skipped for its size.
template <typename T>
bool RoundTrip(const std::vector<T>& values, const std::vector<int32_t>& ints,
               const Options& o) {
  const CodeParams& p = o.params;
  const EntryPoints<T> api = Entry<T>(o);
  if (o.large) return LargeRoundTrip(api, values, ints, o);
  uint64_t bits = 0;
  FUZZ_CHECK(api.count_bits(values.data(), values.size(), p, &bits).ok(), p);
  if (bits > kMaxBits) return false;

  // The policy and the parallel API before the serial Encode: with
  // threads, a parameter set that no input used before then has its lookup
  // table built by several parts at once.
  bool policy_wrote = false;
  std::string unit;
  if (o.policy.on) unit = CheckPolicy(api, values, o, bits, &policy_wrote);
  std::string parts;
  if (o.max_parts > 0) parts = EncodeInParts(api, values, o, bits);

  std::string code;
  FUZZ_CHECK(api.encode(values.data(), values.size(), p, &code).ok(), p);
  FUZZ_CHECK(code.size() == laplace_rice::BytesForBits(bits), p);
  if (bits % 8 != 0) {
    const unsigned last = static_cast<uint8_t>(code.back());
    FUZZ_CHECK((last >> (bits % 8)) == 0, p);  // zero padding
  }
  if (policy_wrote) FUZZ_CHECK(unit == code, p);
  if (o.max_parts > 0) FUZZ_CHECK(parts == code, p);
  if (o.abi_v1 || !std::is_same_v<T, int32_t>) {
    // The templates on the int32 values write the same string.
    std::string again;
    FUZZ_CHECK(laplace_rice::Encode<int32_t>(ints.data(), ints.size(), p, &again).ok(), p);
    FUZZ_CHECK(again == code, p);
  }

  CheckDecodes(code, ints, p);
  if constexpr (!std::is_same_v<T, int32_t>) {
    // Decoded straight into T, as the TF op's float outputs are.
    std::vector<T> typed(ints.size());
    FUZZ_CHECK(api.decode_to(reinterpret_cast<const uint8_t*>(code.data()), code.size(), p,
                             typed.data(), typed.size())
                   .ok(),
               p);
    for (size_t i = 0; i < ints.size(); ++i) {
      FUZZ_CHECK(typed[i] == static_cast<T>(Expected(ints[i], p)), p);
    }
  }
  if (o.wrong_sizes) CheckWrongSizes(api, values, p, code.size());
  return true;
}

// Floating-point input: scaled by 2^-shift, then the same string as its
// rounding, or InvalidArgument from every entry point.
template <typename Float>
void CheckFloat(std::vector<Float> values, int shift, const Options& o) {
  std::vector<int32_t> rounded(values.size());
  bool all_codable = true;
  for (size_t i = 0; i < values.size(); ++i) {
    values[i] = std::ldexp(values[i], -shift);
    const double x = static_cast<double>(values[i]);
    const bool codable = x >= -2147483648.5 && x < 2147483647.5;  // false for NaN
    all_codable = all_codable && codable;
    rounded[i] = codable ? static_cast<int32_t>(std::nearbyint(x)) : 0;
  }
  if (!all_codable) {
    // Every entry point refuses such a unit after a pass over it; a large
    // one would only make that pass cost 100 times more (it took a third
    // of a campaign's round trips), so only small units are checked.
    if (!o.large) CheckRefused(Entry<Float>(o), values, o);
    return;
  }
  RoundTrip(values, rounded, o);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < kHeaderBytes) return 0;
  Options o;
  o.params = laplace_rice_fuzz::ParamsFromBytes(data);
  const uint8_t flags = data[2];
  o.max_parts = (flags >> 3) & 15;
  o.wrong_sizes = (flags & 128) != 0;
  const int shift = data[3] & 31;
  o.abi_v1 = (data[3] & 32) != 0;
  const uint8_t* payload = data + kHeaderBytes;
  size_t payload_size = size - kHeaderBytes;
  uint8_t expand = 0;
  size_t max_values = kMaxExpanded;
  if (data[3] & 64) {
    if (payload_size < kExtendedBytes) return 0;
    const uint8_t policy = payload[0];
    o.policy.on = true;
    o.policy.threads = (policy & 1) != 0;
    o.policy.kept_scratch = (policy & 2) != 0;
    o.policy.output = (policy >> 2) & 3;
    o.policy.buffer_size = (policy >> 4) & 3;
    o.large = (policy >> 6) == 3;
    if (o.large) max_values = kMaxLargeUnit;
    expand = payload[1];
    payload += kExtendedBytes;
    payload_size -= kExtendedBytes;
  }

  const auto read = [&](auto type) {
    using T = decltype(type);
    return Expand(ReadValues<T>(payload, payload_size), expand, max_values);
  };
  if (!laplace_rice_fuzz::ParamsInRange(o.params)) {
    CheckRefused(Entry<int32_t>(o), read(int32_t{}), o);
    return 0;
  }

  switch ((flags >> 1) & 3) {
    case 1:
      CheckFloat(read(float{}), shift, o);
      break;
    case 2:
      CheckFloat(read(double{}), shift, o);
      break;
    default: {
      std::vector<int32_t> ints = read(int32_t{});
      for (int32_t& v : ints) v >>= shift;
      RoundTrip(ints, ints, o);
    }
  }
  return 0;
}
