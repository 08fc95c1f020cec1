// The codec's 1.0 ABI as a program compiled against the 1.0 header calls it:
// one plain overload per value type instead of codec.h's templates. The
// library defines these in cc/codec/src/abi_v1.cc and declares them nowhere
// else (new code calls the templates), so the fuzzers declare them here, with
// the signatures abi_v1.cc defines, to check that the old symbols still do
// what the templates do.
//
// Only fuzz_common.h includes this: with both declared, an unqualified call
// such as CountBits(ptr, ...) resolves to the overload, not the template, so
// the fuzzers name every entry point explicitly (fuzz_common.h, EntryPoints).
#ifndef LAPLACE_RICE_TESTS_FUZZ_ABI_V1_H_
#define LAPLACE_RICE_TESTS_FUZZ_ABI_V1_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "laplace_rice/codec.h"

namespace laplace_rice {

#define LAPLACE_RICE_FUZZ_V1_DECLARATIONS(T)                                       \
  LAPLACE_RICE_API Status CountBits(const T* values, size_t count,                \
                                    const CodeParams& params, uint64_t* bits);     \
  LAPLACE_RICE_API Status EncodeInto(const T* values, size_t count,               \
                                     const CodeParams& params, uint8_t* out,       \
                                     size_t out_size);                             \
  LAPLACE_RICE_API Status Encode(const T* values, size_t count,                   \
                                 const CodeParams& params, std::string* out);      \
  LAPLACE_RICE_API Status EncodeToBuffer(const T* values, size_t count,           \
                                         const CodeParams& params,                 \
                                         size_t max_bytes, EncodeBuffer* buffer,   \
                                         bool* fits);                              \
  LAPLACE_RICE_API Status CountBitsParallel(                                       \
      const T* values, size_t count, const CodeParams& params, size_t max_parts,  \
      const ParallelRunner& run, uint64_t* bits);                                  \
  LAPLACE_RICE_API Status EncodeParallel(                                          \
      const T* values, size_t count, const CodeParams& params, size_t max_parts,  \
      const ParallelRunner& run, const Allocator& allocate);

LAPLACE_RICE_FUZZ_V1_DECLARATIONS(int32_t)
LAPLACE_RICE_FUZZ_V1_DECLARATIONS(float)
LAPLACE_RICE_FUZZ_V1_DECLARATIONS(double)
#undef LAPLACE_RICE_FUZZ_V1_DECLARATIONS

// 1.0's float and double decoders; its int32 decoder is Decode(), which
// codec.h still declares.
LAPLACE_RICE_API Status DecodeTo(const uint8_t* data, size_t size,
                                 const CodeParams& params, float* out,
                                 size_t count);
LAPLACE_RICE_API Status DecodeTo(const uint8_t* data, size_t size,
                                 const CodeParams& params, double* out,
                                 size_t count);

}  // namespace laplace_rice

#endif  // LAPLACE_RICE_TESTS_FUZZ_ABI_V1_H_
