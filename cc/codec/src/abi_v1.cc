// The shared library's 1.0 ABI. Version 1.0 declared each entry point as
// three overloads (int32_t, float, double); the header now declares one
// template per family, whose instantiations have other symbol names. These
// plain functions keep the 1.0 names exported, so that a program linked
// against liblaplace_rice_codec.so.1.0 still loads and runs against a newer
// .so.1. They are declared here only: new code calls the templates.
#include <cstddef>
#include <cstdint>
#include <string>

#include "laplace_rice/codec.h"

namespace laplace_rice {

// One macro per value type, so that the three copies cannot drift apart.
#define LAPLACE_RICE_V1_ENTRY_POINTS(T)                                        \
  LAPLACE_RICE_API Status CountBits(const T* values, size_t count,            \
                                    const CodeParams& params, uint64_t* bits); \
  Status CountBits(const T* values, size_t count, const CodeParams& params,   \
                   uint64_t* bits) {                                           \
    return CountBits<T>(values, count, params, bits);                          \
  }                                                                            \
  LAPLACE_RICE_API Status EncodeInto(const T* values, size_t count,           \
                                     const CodeParams& params, uint8_t* out,   \
                                     size_t out_size);                         \
  Status EncodeInto(const T* values, size_t count, const CodeParams& params,  \
                    uint8_t* out, size_t out_size) {                           \
    return EncodeInto<T>(values, count, params, out, out_size);                \
  }                                                                            \
  LAPLACE_RICE_API Status Encode(const T* values, size_t count,               \
                                 const CodeParams& params, std::string* out);  \
  Status Encode(const T* values, size_t count, const CodeParams& params,      \
                std::string* out) {                                            \
    return Encode<T>(values, count, params, out);                              \
  }                                                                            \
  LAPLACE_RICE_API Status EncodeToBuffer(                                      \
      const T* values, size_t count, const CodeParams& params,                 \
      size_t max_bytes, EncodeBuffer* buffer, bool* fits);                     \
  Status EncodeToBuffer(const T* values, size_t count,                         \
                        const CodeParams& params, size_t max_bytes,            \
                        EncodeBuffer* buffer, bool* fits) {                    \
    return EncodeToBuffer<T>(values, count, params, max_bytes, buffer, fits);  \
  }                                                                            \
  LAPLACE_RICE_API Status CountBitsParallel(                                   \
      const T* values, size_t count, const CodeParams& params,                 \
      size_t max_parts, const ParallelRunner& run, uint64_t* bits);            \
  Status CountBitsParallel(const T* values, size_t count,                      \
                           const CodeParams& params, size_t max_parts,         \
                           const ParallelRunner& run, uint64_t* bits) {        \
    return CountBitsParallel<T>(values, count, params, max_parts, run, bits);  \
  }                                                                            \
  LAPLACE_RICE_API Status EncodeParallel(                                      \
      const T* values, size_t count, const CodeParams& params,                 \
      size_t max_parts, const ParallelRunner& run, const Allocator& allocate); \
  Status EncodeParallel(const T* values, size_t count,                         \
                        const CodeParams& params, size_t max_parts,            \
                        const ParallelRunner& run, const Allocator& allocate) { \
    return EncodeParallel<T>(values, count, params, max_parts, run, allocate); \
  }

LAPLACE_RICE_V1_ENTRY_POINTS(int32_t)
LAPLACE_RICE_V1_ENTRY_POINTS(float)
LAPLACE_RICE_V1_ENTRY_POINTS(double)
#undef LAPLACE_RICE_V1_ENTRY_POINTS

// 1.0's float and double decoders (Decode, the int32 one, is still declared
// by the header and defined in api.cc).
LAPLACE_RICE_API Status DecodeTo(const uint8_t* data, size_t size,
                                 const CodeParams& params, float* out,
                                 size_t count);
Status DecodeTo(const uint8_t* data, size_t size, const CodeParams& params,
                float* out, size_t count) {
  return DecodeTo<float>(data, size, params, out, count);
}
LAPLACE_RICE_API Status DecodeTo(const uint8_t* data, size_t size,
                                 const CodeParams& params, double* out,
                                 size_t count);
Status DecodeTo(const uint8_t* data, size_t size, const CodeParams& params,
                double* out, size_t count) {
  return DecodeTo<double>(data, size, params, out, count);
}

}  // namespace laplace_rice
