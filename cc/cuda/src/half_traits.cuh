// cc/math's element math for CUDA's 16-bit types: specializations of
// math::Traits for __half and __nv_bfloat16. cc/math stays free of CUDA
// headers (docs/architecture.md), so the conversions live here, on the
// round-to-nearest intrinsics, which run on the host and the device alike
// (the emulation test relies on the host side).
#ifndef LAPLACE_RICE_CC_CUDA_SRC_HALF_TRAITS_CUH_
#define LAPLACE_RICE_CC_CUDA_SRC_HALF_TRAITS_CUH_

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "laplace_rice/math.h"

namespace laplace_rice {
namespace math {

// From a double through float (double -> float -> T), as Eigen::half(double)
// does, so that the GPU rounds l1 as the CPU kernels do.
template <>
struct Traits<__half> {
  __host__ __device__ static float ToWide(__half v) { return __half2float(v); }
  __host__ __device__ static __half FromWide(float v) {
    return __float2half_rn(v);
  }
  __host__ __device__ static __half FromDouble(double v) {
    return __float2half_rn(static_cast<float>(v));
  }
};

template <>
struct Traits<__nv_bfloat16> {
  __host__ __device__ static float ToWide(__nv_bfloat16 v) {
    return __bfloat162float(v);
  }
  __host__ __device__ static __nv_bfloat16 FromWide(float v) {
    return __float2bfloat16_rn(v);
  }
  __host__ __device__ static __nv_bfloat16 FromDouble(double v) {
    return __float2bfloat16_rn(static_cast<float>(v));
  }
};

}  // namespace math
}  // namespace laplace_rice

#endif  // LAPLACE_RICE_CC_CUDA_SRC_HALF_TRAITS_CUH_
