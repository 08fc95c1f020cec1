// A stretch [begin, end) of a unit of T values (int32_t, float or double)
// counted or written through the CPU's kernels (kernels.h), with the checks
// every entry point needs: the caller's parameters and size, the values
// themselves (NaN, infinities, out of int32 range), and an exact fill of the
// caller's buffer. `begin` is 0 or a split point (values.h). Shared by the
// public entry points (api.cc), the parallel parts (parallel.cc) and the
// encoding policy (encode_unit.cc).
#ifndef LAPLACE_RICE_CODEC_SRC_RANGES_H_
#define LAPLACE_RICE_CODEC_SRC_RANGES_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "bit_io.h"
#include "kernels.h"
#include "laplace_rice/codec.h"
#include "values.h"

namespace laplace_rice {
namespace internal {

// The codec's access to an EncodeBuffer's storage.
struct EncodeBufferAccess {
  static std::vector<uint8_t>& Bytes(EncodeBuffer* buffer) {
    return buffer->bytes_;
  }
  static void SetString(EncodeBuffer* buffer, uint64_t bits) {
    buffer->bits_ = bits;
    buffer->size_ = static_cast<size_t>(BytesForBits(bits));
  }
};

inline Status ValidateCall(const CodeParams& params, size_t count) {
  Status status = ValidateParams(params);
  if (!status.ok()) return status;
  return ValidateUnitSize(count);
}

// Strings up to this size are written into (and decoded from) a stack copy
// with 8 bytes of slack, so that their last bytes take the fast path too:
// the many short units of a batch would otherwise spend much of their time
// in the bounds-checked path.
inline constexpr size_t kShortString = 512;
inline constexpr size_t kSlack = 8;

// The memory a one-pass encode may take before it counts first instead: the
// input's own size, which a Laplace string (a few bits per value) never
// comes near; strings of more than 32 bits per float are hostile or wrong.
template <typename T>
size_t OnePassLimit(size_t begin, size_t end) {
  return (end - begin) * sizeof(T) + 64;
}

template <typename T>
Status CountRangeBits(const T* values, size_t begin, size_t end,
                      const CodeParams& params, uint64_t* bits) {
  const ValueSource<T> source{values};
  uint32_t suspect = 0;
  *bits = ForThisCpu<T>().count_range(source, begin, end, params, suspect);
  return source.Check(begin, end, suspect);
}

// Writes values[begin, end) into exactly `out_size` bytes at `out`.
template <typename T>
Status WriteRangeInto(const T* values, size_t begin, size_t end,
                      const CodeParams& params, uint8_t* out,
                      size_t out_size) {
  const ValueSource<T> source{values};
  const auto write_range = ForThisCpu<T>().write_range;
  uint32_t suspect = 0;
  bool filled_exactly;
  if (out_size <= kShortString) {
    uint8_t scratch[kShortString + kSlack];
    BitWriter writer(scratch, out_size, kSlack);
    write_range(source, begin, end, params, writer, suspect);
    filled_exactly = writer.Finish();
    if (filled_exactly && out_size > 0) std::memcpy(out, scratch, out_size);
  } else {
    BitWriter writer(out, out_size);
    write_range(source, begin, end, params, writer, suspect);
    filled_exactly = writer.Finish();
  }
  Status status = source.Check(begin, end, suspect);
  if (!status.ok()) return status;
  if (!filled_exactly) {
    return Status::InvalidArgument(
        "output buffer of " + std::to_string(out_size) +
        " bytes does not match the encoded size (use CountBits)");
  }
  return Status();
}

// Writes values[begin, end) in one pass into `*bytes`, growing it to at
// most `max_bytes`; sets the exact bits and whether the string fit.
template <typename T>
Status WriteRangeToVector(const T* values, size_t begin, size_t end,
                          const CodeParams& params, size_t max_bytes,
                          std::vector<uint8_t>* bytes, uint64_t* bits,
                          bool* fits) {
  const ValueSource<T> source{values};
  uint32_t suspect = 0;
  BitWriter writer(bytes, max_bytes);
  ForThisCpu<T>().write_range(source, begin, end, params, writer, suspect);
  *bits = writer.BitsWritten();
  *fits = writer.Finish();
  return source.Check(begin, end, suspect);
}

}  // namespace internal
}  // namespace laplace_rice

#endif  // LAPLACE_RICE_CODEC_SRC_RANGES_H_
