// laplace_rice codec: the run-length Rice/Gamma bitstream of one coding unit.
//
// This header is the whole public C++ API of the codec library
// (CMake: `find_package(LaplaceRice 1.0)` + `LaplaceRice::codec`; pkg-config:
// `laplace_rice`; Bazel: `//:codec`). It needs nothing but the C++17 standard
// library. The bit format is specified in docs/FORMAT.md.
//
// A coding unit is a sequence of `count` values in row-major order. Encoding
// turns it into a byte string; decoding needs the same CodeParams and the
// same `count`, which the string does not carry.
//
//   #include <laplace_rice/codec.h>
//   namespace lr = laplace_rice;
//   const int32_t x[] = {0, 0, 3, -1};
//   std::string s;
//   lr::Status st = lr::Encode(x, 4, lr::CodeParams{}, &s);   // 2 bytes
//   int32_t y[4];
//   st = lr::Decode(reinterpret_cast<const uint8_t*>(s.data()), s.size(),
//                   lr::CodeParams{}, y, 4);                  // y == x
//   if (!st.ok()) std::cerr << st.message();
//
// Errors are returned as `Status` values; nothing in this API throws (except
// std::bad_alloc from Encode into a std::string). Every function is
// reentrant: calls on different outputs may run concurrently.
//
// Stability: within major version 1 these declarations keep their meaning
// and the strings stay byte-identical; additions only. What changed since
// the first 1.0 header: each family is one function template over the value
// type instead of three overloads (calls compile unchanged, and the shared
// library still exports the 1.0 overloads' symbols, so that programs linked
// against 1.0 keep running), DecodeTo is the decoder with Decode its int32
// form, and EncodeUnit, CountUnitBits, OutputBudget and PartsForUnit are new
// (version 1.1).
#ifndef LAPLACE_RICE_CODEC_H_
#define LAPLACE_RICE_CODEC_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// Marks the API for export from the shared library, which is built with
// hidden visibility (only these functions are its ABI).
#if defined(_WIN32)
#define LAPLACE_RICE_API
#else
#define LAPLACE_RICE_API __attribute__((visibility("default")))
#endif

namespace laplace_rice {

namespace internal {
struct EncodeBufferAccess;
}  // namespace internal

inline constexpr int kVersionMajor = 1;
inline constexpr int kVersionMinor = 1;
inline constexpr int kVersionPatch = 0;

// Largest Rice parameter: the codes carry 32-bit integers, so a larger k
// would only write zero bits.
inline constexpr int kMaxRiceParameter = 31;

// Largest number of values in one coding unit: run lengths are coded as
// 32-bit integers (gamma codes `r + 1`, which must stay below 2^31).
inline constexpr uint64_t kMaxUnitSize = (uint64_t{1} << 31) - 2;

// The three code parameters. They are not stored in the string: encoder and
// decoder must agree on them.
struct CodeParams {
  // k >= 0: run lengths use the Rice code with parameter k; negative: gamma.
  int run_length_code = -1;
  // k >= 0: magnitudes use the Rice code with parameter k; negative: gamma.
  int magnitude_code = 0;
  // Also code the lengths of runs of non-zeros.
  bool use_run_length_for_non_zeros = false;
};

enum class ErrorCode {
  kOk = 0,
  kInvalidArgument = 1,  // bad parameters, values or sizes from the caller
  kDataLoss = 2,         // a malformed (truncated, corrupt, hostile) string
};

// The result of an operation: ok, or an error code with a message.
class Status {
 public:
  Status() = default;
  static Status InvalidArgument(std::string message) {
    return Status(ErrorCode::kInvalidArgument, std::move(message));
  }
  static Status DataLoss(std::string message) {
    return Status(ErrorCode::kDataLoss, std::move(message));
  }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  Status(ErrorCode code, std::string message)
      : code_(code), message_(std::move(message)) {}

  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

// InvalidArgument if a Rice parameter exceeds kMaxRiceParameter.
LAPLACE_RICE_API
Status ValidateParams(const CodeParams& params);

// InvalidArgument if `count` exceeds kMaxUnitSize.
LAPLACE_RICE_API
Status ValidateUnitSize(uint64_t count);

// The most values a string of `size` bytes can decode to under `params` (a
// sound upper bound, at most kMaxUnitSize). Decoders of untrusted strings
// can refuse a larger unit before allocating its output. Every non-zero
// costs two or more bits, but one run length can stand for many zeros: with
// gamma run lengths 8 bytes can hold a unit of kMaxUnitSize zeros.
LAPLACE_RICE_API
uint64_t MaxValuesInBytes(uint64_t size, const CodeParams& params);

// Bytes of a string holding `bits` bits (the last byte zero-padded).
inline constexpr uint64_t BytesForBits(uint64_t bits) { return (bits + 7) / 8; }

// ---- The entry points. ----
//
// Each is a function template over the value type T, which is int32_t,
// float or double: the library holds (and exports) those three
// instantiations, so `CountBits(values, ...)` picks the right one from the
// pointer's type as the overloads of version 1.0 did. The float and double
// forms quantize each value by rounding half to even (as tf.round does) and
// fail with InvalidArgument on NaN, infinities and values whose rounding
// falls outside int32.

// ---- Counting: the exact encoded length in bits, without writing. ----
template <typename T>
LAPLACE_RICE_API Status CountBits(const T* values, size_t count,
                                  const CodeParams& params, uint64_t* bits);

// ---- Encoding into a caller's buffer. ----
//
// `out_size` must be exactly BytesForBits(CountBits(...)) for the same
// values; the encoder writes every byte of `out` once and never past it.
// The float and double forms expect values that CountBits accepted.
template <typename T>
LAPLACE_RICE_API Status EncodeInto(const T* values, size_t count,
                                   const CodeParams& params, uint8_t* out,
                                   size_t out_size);

// ---- Encoding into a std::string (counts, then writes once). ----
template <typename T>
LAPLACE_RICE_API Status Encode(const T* values, size_t count,
                               const CodeParams& params, std::string* out);

// ---- Encoding in one pass. ----
//
// Encode() and EncodeInto() count the bits first, so that the string is
// sized once; EncodeToBuffer() skips the count (faster, most of all with
// runs of non-zeros) and writes into a buffer of its own that grows as
// needed. Keep one buffer per thread and reuse it: it keeps its memory, and
// grows only for a longer string.
class EncodeBuffer {
 public:
  // The last string encoded into the buffer: size() bytes at data().
  const uint8_t* data() const { return bytes_.data(); }
  size_t size() const { return size_; }
  // Its exact length in bits (size() is BytesForBits(bits())).
  uint64_t bits() const { return bits_; }

 private:
  friend struct internal::EncodeBufferAccess;
  std::vector<uint8_t> bytes_;  // its size is the memory held, not size_
  size_t size_ = 0;
  uint64_t bits_ = 0;
};

// Encodes into `buffer`, growing it to at most `max_bytes`. When the string
// would be longer, sets `*fits` to false (the buffer then holds no valid
// string) after at most about `max_bytes` of work: size such a string with
// CountBits, which takes no memory, before deciding to write it.
template <typename T>
LAPLACE_RICE_API Status EncodeToBuffer(const T* values, size_t count,
                                       const CodeParams& params,
                                       size_t max_bytes, EncodeBuffer* buffer,
                                       bool* fits);

// ---- One large unit on several threads. ----
//
// The string of a unit is the concatenation of the strings of its parts
// when each part starts after a non-zero (and, with runs of non-zeros,
// before a zero). These functions cut a unit into up to `max_parts` such
// parts and count (CountBitsParallel) or encode (EncodeParallel) them on
// `run`. EncodeParallel writes each part in one pass into scratch memory
// (about the string's size in all; the codec keeps up to 64 MiB of it
// between calls) and joins the parts into the string; it
// counts first instead when a part's string outgrows the part's input. The
// result is byte-identical to Encode().

// Runs task(i) for every i in [0, n), possibly concurrently, and returns when
// all have finished.
using ParallelRunner =
    std::function<void(size_t n, const std::function<void(size_t)>& task)>;
// Returns a buffer of `size` bytes for the string (called once, on the
// calling thread); null fails the call.
using Allocator = std::function<uint8_t*(size_t size)>;

template <typename T>
LAPLACE_RICE_API Status CountBitsParallel(const T* values, size_t count,
                                          const CodeParams& params,
                                          size_t max_parts,
                                          const ParallelRunner& run,
                                          uint64_t* bits);

// Encodes the parts, calls `allocate` once with the string's size, fills it.
template <typename T>
LAPLACE_RICE_API Status EncodeParallel(const T* values, size_t count,
                                       const CodeParams& params,
                                       size_t max_parts,
                                       const ParallelRunner& run,
                                       const Allocator& allocate);

// ---- The encoding policy: one unit as the TensorFlow op and Python do it. ----
//
// EncodeUnit() is the one place that decides how a unit is encoded: a unit
// of at least 2 * kMinValuesPerPart values, given a runner and more than one
// part, is cut into parts (PartsForUnit) coded on the runner
// (EncodeParallel); any other unit is written in one pass into scratch
// memory, and counted first instead when its string would outgrow its input
// (only hostile or mistaken data do: a Laplace string takes a few bits per
// value). Every string's size is taken from `budget` before it is
// allocated, so that a request beyond the caller's memory fails with
// InvalidArgument instead of getting the process killed.

// The fewest values worth a part of their own: a smaller part costs more
// to hand to a thread than it saves.
inline constexpr size_t kMinValuesPerPart = size_t{1} << 16;

// The parts EncodeUnit and CountUnitBits cut a unit of `count` values into:
// at most `max_parts`, each of at least kMinValuesPerPart values; 1 means
// the unit is coded on the calling thread.
LAPLACE_RICE_API size_t PartsForUnit(uint64_t count, size_t max_parts);

// The bytes that the strings of one request (a batch of units, say) may
// take together; shared by the threads that encode its units.
class LAPLACE_RICE_API OutputBudget {
 public:
  // `limit_source` says where the limit comes from, for the error message.
  OutputBudget(uint64_t limit, std::string limit_source);
  OutputBudget(const OutputBudget&) = delete;
  OutputBudget& operator=(const OutputBudget&) = delete;

  // Adds `bytes` to the total; InvalidArgument (TooLarge) when the total
  // passes the limit.
  Status Take(uint64_t bytes, const std::string& what);
  // The InvalidArgument for `what`, which would take `bytes` bytes.
  Status TooLarge(const std::string& what, uint64_t bytes) const;
  uint64_t limit() const { return limit_; }

 private:
  const uint64_t limit_;
  const std::string limit_source_;
  std::atomic<uint64_t> total_{0};
};

struct EncodeOptions {
  // Threads the unit may be cut into parts for (see PartsForUnit), and the
  // runner of the parts (required when max_parts > 1).
  size_t max_parts = 1;
  ParallelRunner run;
  // Where the string's size is taken from before it is allocated; null: no
  // limit.
  OutputBudget* budget = nullptr;
  // Memory for the one-pass write, reused between calls (one per thread);
  // null: memory the codec keeps between calls (at most 64 MiB for the
  // process, shared by its threads).
  EncodeBuffer* scratch = nullptr;
};

// Encodes a unit as described above and calls `allocate` once, with the
// string's exact size, on the calling thread; fills what it returns.
template <typename T>
LAPLACE_RICE_API Status EncodeUnit(const T* values, size_t count,
                                   const CodeParams& params,
                                   const EncodeOptions& options,
                                   const Allocator& allocate);

// The exact encoded length in bits of a unit, cut into parts as EncodeUnit
// does (options.budget and options.scratch are not used).
template <typename T>
LAPLACE_RICE_API Status CountUnitBits(const T* values, size_t count,
                                      const CodeParams& params,
                                      const EncodeOptions& options,
                                      uint64_t* bits);

// ---- Decoding. ----
//
// Decodes `size` bytes into exactly `count` values at `out`, stored as T:
// int32_t, or float or double converted as by static_cast (which is what
// tf.cast does), with no int32 copy to convert after. Returns DataLoss when
// the string is malformed: it runs out of bits, a run passes the end of the
// unit, a gamma prefix is longer than 30 zero bits, or a decoded integer
// overflows 32 bits. Never reads outside `data[0, size)` or writes outside
// `out[0, count)`; on error `out` holds unspecified values. The padding bits
// of the last byte are ignored; whole unused bytes after the last code are
// DataLoss (they mean a wrong `count` or parameters).
template <typename T>
LAPLACE_RICE_API Status DecodeTo(const uint8_t* data, size_t size,
                                 const CodeParams& params, T* out,
                                 size_t count);

// DecodeTo into int32 values.
LAPLACE_RICE_API Status Decode(const uint8_t* data, size_t size,
                               const CodeParams& params, int32_t* out,
                               size_t count);

// The same for a string held as chars (std::string, a file's contents, ...).
inline Status Decode(std::string_view code, const CodeParams& params,
                     int32_t* out, size_t count) {
  return DecodeTo(reinterpret_cast<const uint8_t*>(code.data()), code.size(),
                  params, out, count);
}

}  // namespace laplace_rice

#endif  // LAPLACE_RICE_CODEC_H_
