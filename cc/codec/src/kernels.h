// The three kernels, the only code that touches every value: counting
// (count.h), writing (encode.h) and decoding (decode.h) a stretch of a unit.
// dispatch.cc compiles each once per CPU target and picks the fastest copy
// the CPU runs; callers reach them only through ForThisCpu().
#ifndef LAPLACE_RICE_CODEC_SRC_KERNELS_H_
#define LAPLACE_RICE_CODEC_SRC_KERNELS_H_

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "bit_io.h"
#include "laplace_rice/codec.h"
#include "values.h"

namespace laplace_rice {
namespace internal {

// The kernels for values of type T (int32_t, float or double), as compiled
// for one CPU target. `begin` is 0 or a split point; `suspect` as for
// Values::Get (the caller runs Values::Check).
template <typename T>
struct Kernels {
  using Values = ValueSource<T>;
  // Floats are decoded as int32 and converted in place (api.cc).
  using Out = std::conditional_t<std::is_same_v<T, float>, int32_t, T>;
  uint64_t (*count_range)(const Values& values, size_t begin, size_t end,
                          const CodeParams& params, uint32_t& suspect);
  void (*write_range)(const Values& values, size_t begin, size_t end,
                      const CodeParams& params, BitWriter& writer,
                      uint32_t& suspect);
  // Decodes `size` bytes (followed by `slack` readable zero bytes) into
  // exactly `count` values.
  Status (*decode_unit)(const uint8_t* data, size_t size, size_t slack,
                        const CodeParams& params, Out* out, size_t count);
};

// The copies for this CPU, chosen once per process (dispatch.cc).
template <typename T>
const Kernels<T>& ForThisCpu();

}  // namespace internal
}  // namespace laplace_rice

#endif  // LAPLACE_RICE_CODEC_SRC_KERNELS_H_
