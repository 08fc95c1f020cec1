// 16-bit floats on the host with Eigen::half's / Eigen::bfloat16's
// conversions (a double goes through float), so that cc/tf/laplace_math.h
// computes on them exactly what the TensorFlow CPU kernels compute. Same
// bits as __half / __nv_bfloat16, so buffers pass between them unchanged.
#ifndef LAPLACE_RICE_CC_CUDA_TESTS_HOST16_H_
#define LAPLACE_RICE_CC_CUDA_TESTS_HOST16_H_

#include <cuda_bf16.h>
#include <cuda_fp16.h>

namespace laplace_rice {
namespace testing {

template <typename D>
struct Host16 {
  D value;
  Host16() = default;
  explicit Host16(float f) : value(FromFloat(f)) {}
  explicit Host16(double d) : Host16(static_cast<float>(d)) {}
  explicit operator float() const { return ToFloat(value); }

  static D FromFloat(float f);
  static float ToFloat(D d);
};
template <>
inline __half Host16<__half>::FromFloat(float f) { return __float2half_rn(f); }
template <>
inline float Host16<__half>::ToFloat(__half d) { return __half2float(d); }
template <>
inline __nv_bfloat16 Host16<__nv_bfloat16>::FromFloat(float f) {
  return __float2bfloat16_rn(f);
}
template <>
inline float Host16<__nv_bfloat16>::ToFloat(__nv_bfloat16 d) {
  return __bfloat162float(d);
}
using Half = Host16<__half>;
using BFloat16 = Host16<__nv_bfloat16>;
static_assert(sizeof(Half) == 2 && sizeof(BFloat16) == 2, "16-bit layout");

// The device type with the same bits as a host test type.
template <typename T>
struct DeviceType {
  using type = T;
};
template <typename D>
struct DeviceType<Host16<D>> {
  using type = D;
};

}  // namespace testing
}  // namespace laplace_rice

#endif  // LAPLACE_RICE_CC_CUDA_TESTS_HOST16_H_
