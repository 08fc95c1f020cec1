// The run-length Rice/Gamma bitstream (FORMAT.md): the one place that knows
// how a coding unit becomes bits and back.
#include "laplace_rice/codec.h"

#include <cstring>
#include <limits>
#include <string>

#include "bit_io.h"

namespace laplace_rice {
namespace {

using internal::BitReader;
using internal::BitWidth;
using internal::BitWriter;
using internal::kMaxWriteBits;

constexpr uint64_t kInt32Max = std::numeric_limits<int32_t>::max();
// Gamma codes carry values of at most 31 bits: a prefix of <= 30 zero bits.
constexpr int kMaxGammaPrefix = 30;

// ---------------------------------------------------------------------------
// Value sources: how the coder reads element i of a unit as an int32.

struct Int32Values {
  const int32_t* data;
  int32_t operator[](size_t i) const { return data[i]; }
  Status status() const { return Status(); }
};

// Floating-point values, rounded half to even on the fly (no int32 copy).
// Records the first value that has no int32 rounding.
template <typename Float>
struct RoundedValues {
  const Float* data;
  mutable size_t first_bad = std::numeric_limits<size_t>::max();

  int32_t operator[](size_t i) const {
    const double x = static_cast<double>(data[i]);
    // NaN fails both comparisons.
    if (!(x >= -2147483648.5 && x < 2147483647.5)) {
      if (i < first_bad) first_bad = i;
      return 0;
    }
    // Adding 1.5 * 2^52 rounds x to an integer (half to even, the default
    // rounding mode) held in the low mantissa bits, two's complement.
    const double shifted = x + 6755399441055744.0;
    uint64_t bits;
    std::memcpy(&bits, &shifted, sizeof bits);
    return static_cast<int32_t>(static_cast<uint32_t>(bits));
  }

  Status status() const {
    if (first_bad == std::numeric_limits<size_t>::max()) return Status();
    return Status::InvalidArgument(
        "cannot quantize value " + std::to_string(data[first_bad]) +
        " at index " + std::to_string(first_bad) +
        " of a coding unit: it is NaN, infinite or rounds outside int32");
  }
};

// Magnitude of a non-zero int32 as unsigned (2^31 for INT32_MIN).
inline uint32_t Magnitude(int32_t value) {
  return value > 0 ? static_cast<uint32_t>(value)
                   : 0u - static_cast<uint32_t>(value);
}

// ---------------------------------------------------------------------------
// Bit sinks: what the coder does with each code. Counting and writing share
// the unit walk below, so the two can never disagree.

inline uint64_t RiceBits(uint64_t value, int k) { return (value >> k) + 1 + k; }
inline uint64_t GammaBits(uint32_t value) { return 2 * BitWidth(value) - 1; }

class BitCounter {
 public:
  explicit BitCounter(const CodeParams& params) : params_(params) {}

  void RunLength(uint64_t run) {
    const int k = params_.run_length_code;
    bits_ += k >= 0 ? RiceBits(run, k)
                    : GammaBits(static_cast<uint32_t>(run + 1));
  }

  void NonZero(int32_t value) {
    const uint32_t magnitude = Magnitude(value);
    const int k = params_.magnitude_code;
    bits_ += 1 + (k >= 0 ? RiceBits(magnitude - 1, k)
                         : GammaBits(GammaMagnitude(magnitude)));
  }

  uint64_t bits() const { return bits_; }

  // INT32_MIN has no gamma code: it is written as -(2^31 - 1).
  static uint32_t GammaMagnitude(uint32_t magnitude) {
    return magnitude > kInt32Max ? static_cast<uint32_t>(kInt32Max)
                                 : magnitude;
  }

 private:
  const CodeParams params_;
  uint64_t bits_ = 0;
};

class CodeWriter {
 public:
  CodeWriter(const CodeParams& params, uint8_t* out, size_t size)
      : params_(params), writer_(out, size) {}

  void RunLength(uint64_t run) {
    const int k = params_.run_length_code;
    if (k >= 0) {
      WriteRice(run, k);
    } else {
      WriteGamma(static_cast<uint32_t>(run + 1));
    }
  }

  void NonZero(int32_t value) {
    writer_.Write(value > 0 ? 1 : 0, 1);
    const uint32_t magnitude = Magnitude(value);
    const int k = params_.magnitude_code;
    if (k >= 0) {
      WriteRice(magnitude - 1, k);
    } else {
      WriteGamma(BitCounter::GammaMagnitude(magnitude));
    }
  }

  bool Finish() { return writer_.Finish(); }

 private:
  // `value >> k` zero bits, a 1 bit, the low k bits of value.
  void WriteRice(uint64_t value, int k) {
    const uint64_t prefix = value >> k;
    const uint64_t tail = ((value & ((uint64_t{1} << k) - 1)) << 1) | 1;
    if (prefix + 1 + k <= kMaxWriteBits) {
      writer_.Write(tail << prefix, static_cast<int>(prefix + 1 + k));
    } else {
      writer_.WriteZeros(prefix);
      writer_.Write(tail, k + 1);
    }
  }

  // width - 1 zero bits, a 1 bit, the low width - 1 bits of value.
  void WriteGamma(uint32_t value) {
    const int width = BitWidth(value);
    const uint64_t leading_one = uint64_t{1} << (width - 1);
    const uint64_t low_bits = value ^ leading_one;
    if (2 * width - 1 <= kMaxWriteBits) {
      writer_.Write(leading_one | (low_bits << width), 2 * width - 1);
    } else {
      writer_.Write(leading_one, width);
      writer_.Write(low_bits, width - 1);
    }
  }

  const CodeParams params_;
  BitWriter writer_;
};

// The unit walk of FORMAT.md: runs of zeros, then one non-zero or a run of
// non-zeros, until the end of the unit.
template <class Values, class Sink>
void CodeUnit(const Values& values, size_t count, bool run_length_non_zeros,
              Sink& sink) {
  size_t pos = 0;
  uint64_t offset = 0;  // only the first run of zeros can be empty
  while (pos < count) {
    const size_t zeros_start = pos;
    while (pos < count && values[pos] == 0) ++pos;
    sink.RunLength(pos - zeros_start - offset);
    if (pos == count) break;
    if (!run_length_non_zeros) {
      sink.NonZero(values[pos++]);
      continue;
    }
    const size_t non_zeros_start = pos;
    while (pos < count && values[pos] != 0) ++pos;
    sink.RunLength(pos - non_zeros_start - 1);
    for (size_t i = non_zeros_start; i < pos; ++i) sink.NonZero(values[i]);
    offset = 1;
  }
}

Status ValidateCall(const CodeParams& params, size_t count) {
  Status status = ValidateParams(params);
  if (!status.ok()) return status;
  return ValidateUnitSize(count);
}

template <class Values>
Status CountBitsOf(const Values& values, size_t count,
                   const CodeParams& params, uint64_t* bits) {
  Status status = ValidateCall(params, count);
  if (!status.ok()) return status;
  BitCounter counter(params);
  CodeUnit(values, count, params.use_run_length_for_non_zeros, counter);
  status = values.status();
  if (!status.ok()) return status;
  *bits = counter.bits();
  return Status();
}

template <class Values>
Status EncodeIntoOf(const Values& values, size_t count,
                    const CodeParams& params, uint8_t* out, size_t out_size) {
  Status status = ValidateCall(params, count);
  if (!status.ok()) return status;
  CodeWriter writer(params, out, out_size);
  CodeUnit(values, count, params.use_run_length_for_non_zeros, writer);
  const bool filled_exactly = writer.Finish();
  status = values.status();
  if (!status.ok()) return status;
  if (!filled_exactly) {
    return Status::InvalidArgument(
        "output buffer of " + std::to_string(out_size) +
        " bytes does not match the encoded size (use CountBits)");
  }
  return Status();
}

template <class Values>
Status EncodeOf(const Values& values, size_t count, const CodeParams& params,
                std::string* out) {
  uint64_t bits = 0;
  Status status = CountBitsOf(values, count, params, &bits);
  if (!status.ok()) return status;
  out->resize(BytesForBits(bits));
  return EncodeIntoOf(values, count, params,
                      reinterpret_cast<uint8_t*>(out->data()), out->size());
}

// ---------------------------------------------------------------------------
// Decoding.

class UnitDecoder {
 public:
  UnitDecoder(const uint8_t* data, size_t size, const CodeParams& params)
      : reader_(data, size), params_(params) {}

  Status Decode(int32_t* out, size_t count) {
    size_t pos = 0;
    uint64_t offset = 0;
    while (pos < count) {
      uint64_t zeros;
      if (!ReadRunLength(count - pos - offset, &zeros)) {
        return Error("run of zeros", pos);
      }
      zeros += offset;
      std::memset(out + pos, 0, zeros * sizeof(int32_t));
      pos += zeros;
      if (pos == count) break;
      uint64_t non_zeros = 1;
      if (params_.use_run_length_for_non_zeros) {
        if (!ReadRunLength(count - pos - 1, &non_zeros)) {
          return Error("run of non-zeros", pos);
        }
        ++non_zeros;
        offset = 1;
      }
      for (const size_t end = pos + non_zeros; pos < end; ++pos) {
        if (!ReadNonZero(&out[pos])) return Error("non-zero value", pos);
      }
      if (reader_.Overrun()) return Error("code", pos);
    }
    if (reader_.Overrun()) return Error("code", pos);
    // Only the zero padding of the last byte may follow the last code:
    // whole bytes left over mean a wrong unit size or a foreign string.
    if (reader_.Remaining() >= 8) {
      return Status::DataLoss(
          std::to_string(reader_.Remaining() / 8) +
          " unused bytes after the last of " + std::to_string(count) +
          " values (wrong code shape or parameters?)");
    }
    return Status();
  }

 private:
  // Reads Rice(value, k) with value <= limit.
  bool ReadRice(int k, uint64_t limit, uint64_t* value) {
    const uint64_t prefix = reader_.ReadUnary(limit >> k);
    if (prefix > (limit >> k)) return false;
    *value = (prefix << k) | reader_.Read(k);
    return *value <= limit;
  }

  // Reads Gamma(value): a value of at most 31 bits.
  bool ReadGamma(uint64_t* value) {
    const uint64_t prefix = reader_.ReadUnary(kMaxGammaPrefix);
    if (prefix > kMaxGammaPrefix) return false;
    const int width = static_cast<int>(prefix);
    *value = (uint64_t{1} << width) | reader_.Read(width);
    return true;
  }

  bool ReadRunLength(uint64_t limit, uint64_t* run) {
    const int k = params_.run_length_code;
    if (k >= 0) return ReadRice(k, limit, run);
    if (!ReadGamma(run)) return false;
    *run -= 1;
    return *run <= limit;
  }

  bool ReadNonZero(int32_t* value) {
    const bool positive = reader_.Read(1) != 0;
    uint64_t magnitude;
    const int k = params_.magnitude_code;
    if (k >= 0) {
      // magnitude - 1 <= 2^31 - 1 (2^31 is INT32_MIN's magnitude).
      if (!ReadRice(k, kInt32Max, &magnitude)) return false;
      magnitude += 1;
    } else if (!ReadGamma(&magnitude)) {
      return false;
    }
    if (positive) {
      if (magnitude > kInt32Max) return false;
      *value = static_cast<int32_t>(magnitude);
    } else {
      *value = static_cast<int32_t>(-static_cast<int64_t>(magnitude));
    }
    return true;
  }

  Status Error(const char* what, size_t pos) const {
    const char* why = reader_.Overrun()
                          ? "the string ends early (truncated?)"
                          : "the code is malformed or out of range";
    return Status::DataLoss(std::string("cannot decode ") + what +
                            " at element " + std::to_string(pos) + ": " +
                            why);
  }

  BitReader reader_;
  const CodeParams params_;
};

}  // namespace

// ---------------------------------------------------------------------------
// Public API.

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

Status CountBits(const int32_t* values, size_t count, const CodeParams& params,
                 uint64_t* bits) {
  return CountBitsOf(Int32Values{values}, count, params, bits);
}
Status CountBits(const float* values, size_t count, const CodeParams& params,
                 uint64_t* bits) {
  return CountBitsOf(RoundedValues<float>{values}, count, params, bits);
}
Status CountBits(const double* values, size_t count, const CodeParams& params,
                 uint64_t* bits) {
  return CountBitsOf(RoundedValues<double>{values}, count, params, bits);
}

Status EncodeInto(const int32_t* values, size_t count,
                  const CodeParams& params, uint8_t* out, size_t out_size) {
  return EncodeIntoOf(Int32Values{values}, count, params, out, out_size);
}
Status EncodeInto(const float* values, size_t count, const CodeParams& params,
                  uint8_t* out, size_t out_size) {
  return EncodeIntoOf(RoundedValues<float>{values}, count, params, out,
                      out_size);
}
Status EncodeInto(const double* values, size_t count, const CodeParams& params,
                  uint8_t* out, size_t out_size) {
  return EncodeIntoOf(RoundedValues<double>{values}, count, params, out,
                      out_size);
}

Status Encode(const int32_t* values, size_t count, const CodeParams& params,
              std::string* out) {
  return EncodeOf(Int32Values{values}, count, params, out);
}
Status Encode(const float* values, size_t count, const CodeParams& params,
              std::string* out) {
  return EncodeOf(RoundedValues<float>{values}, count, params, out);
}
Status Encode(const double* values, size_t count, const CodeParams& params,
              std::string* out) {
  return EncodeOf(RoundedValues<double>{values}, count, params, out);
}

Status Decode(const uint8_t* data, size_t size, const CodeParams& params,
              int32_t* out, size_t count) {
  Status status = ValidateCall(params, count);
  if (!status.ok()) return status;
  return UnitDecoder(data, size, params).Decode(out, count);
}

}  // namespace laplace_rice
