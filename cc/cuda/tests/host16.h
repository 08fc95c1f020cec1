// 16-bit floats on the host with Eigen::half's / Eigen::bfloat16's
// conversions (a double goes through float), so that <laplace_rice/math.h>
// (cc/math) computes on them exactly what the TensorFlow CPU kernels
// compute. Same bits as __half / __nv_bfloat16, so buffers pass between them
// unchanged.
#ifndef LAPLACE_RICE_CC_CUDA_TESTS_HOST16_H_
#define LAPLACE_RICE_CC_CUDA_TESTS_HOST16_H_

#include <cuda_bf16.h>
#include <cuda_fp16.h>

namespace laplace_rice {
namespace testing {

//
// Used on the host only; the conversions are __host__ __device__ because
// <laplace_rice/math.h>'s element functions, which call them, are.
template <typename D>
struct Host16 {
  D value;
  Host16() = default;
  __host__ __device__ explicit Host16(float f) : value(FromFloat(f)) {}
  __host__ __device__ explicit Host16(double d)
      : Host16(static_cast<float>(d)) {}
  __host__ __device__ explicit operator float() const {
    return ToFloat(value);
  }

  __host__ __device__ static D FromFloat(float f);
  __host__ __device__ static float ToFloat(D d);
};
template <>
__host__ __device__ inline __half Host16<__half>::FromFloat(float f) {
  return __float2half_rn(f);
}
template <>
__host__ __device__ inline float Host16<__half>::ToFloat(__half d) {
  return __half2float(d);
}
template <>
__host__ __device__ inline __nv_bfloat16 Host16<__nv_bfloat16>::FromFloat(
    float f) {
  return __float2bfloat16_rn(f);
}
template <>
__host__ __device__ inline float Host16<__nv_bfloat16>::ToFloat(
    __nv_bfloat16 d) {
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
