// Kernels and launchers declared in laplace_rice/cuda_kernels.h.
//
// Memory-bound, so the layout of the work decides the speed:
// - Quantize is elementwise: a grid-stride loop over 16-byte vectors.
// - Per-unit work (penalty, fused forward, gradient) picks one of three shapes:
//   * long units (>= kLongUnit values): each block takes a contiguous chunk
//     of one unit, reads it as 16-byte vectors with several loads in flight,
//     and reduces it; a unit of several chunks leaves one double per chunk in
//     the workspace and a second, tiny kernel sums those in a fixed order.
//   * short units: a group of `group` lanes (a power of two up to a warp)
//     takes one unit and reduces it with shuffles; several units per warp
//     when units are shorter than a warp.
//   * tiny units (the unit divides a 16-byte vector, pointers aligned): each
//     thread takes whole vectors, several loads in flight, and sums each unit
//     in the short-unit kernel's butterfly order (the same bits).
// Every reduction has a fixed order, so results are deterministic.
// The kernels: range_kernels.cuh (quantize, long and short units) and
// tiny_units.cuh; the launch plan and typed launchers: kernels_impl.cuh.
#include <algorithm>

// __half, __nv_bfloat16 and their Traits, which Dispatch and l1's conversion
// name directly.
#include "half_traits.cuh"
#include "kernels_impl.cuh"
#include "laplace_rice/cuda_kernels.h"

namespace laplace_rice {
namespace cuda {
namespace {

using impl::LaunchPerUnit;
using impl::LaunchQuantize;
using impl::Mode;
using impl::ValidLayout;
using impl::WorkspaceBytes;
using math::Traits;

// Calls fn(T{}) with the device type of `dtype`.
template <typename Fn>
cudaError_t Dispatch(DType dtype, Fn&& fn) {
  switch (dtype) {
    case DType::kHalf:
      return fn(__half());
    case DType::kBFloat16:
      return fn(__nv_bfloat16());
    case DType::kFloat:
      return fn(float());
    case DType::kDouble:
      return fn(double());
  }
  return cudaErrorInvalidValue;
}

}  // namespace

size_t DTypeSize(DType dtype) {
  switch (dtype) {
    case DType::kHalf:
    case DType::kBFloat16:
      return 2;
    case DType::kFloat:
      return 4;
    case DType::kDouble:
      return 8;
  }
  return 0;
}

cudaError_t Quantize(DType dtype, const void* x, void* y, int64_t n,
                     cudaStream_t stream) {
  return Dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    return LaunchQuantize(static_cast<const T*>(x), static_cast<T*>(y), n,
                          stream);
  });
}

void SetMaxGridStrideBlocksForTesting(int64_t max_blocks) {
  impl::MaxGridStrideBlocks() =
      max_blocks > 0 ? std::min(max_blocks, impl::kMaxGridStrideBlocks)
                     : impl::kMaxGridStrideBlocks;
}

size_t PenaltyWorkspaceBytes(DType dtype, int64_t num_units,
                             int64_t unit_size) {
  if (!ValidLayout(num_units, unit_size)) return 0;
  switch (dtype) {
    case DType::kHalf:
    case DType::kBFloat16:
      return WorkspaceBytes<__half>(num_units, unit_size);
    case DType::kFloat:
      return WorkspaceBytes<float>(num_units, unit_size);
    case DType::kDouble:
      return WorkspaceBytes<double>(num_units, unit_size);
  }
  return 0;
}

cudaError_t Penalty(DType dtype, const void* x, int64_t num_units,
                    int64_t unit_size, double l1, void* penalty,
                    void* workspace, cudaStream_t stream) {
  return Dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    return LaunchPerUnit<T, Mode::kPenalty>(
        static_cast<const T*>(x), nullptr, num_units, unit_size,
        Traits<T>::FromDouble(l1), nullptr, static_cast<T*>(penalty),
        static_cast<double*>(workspace), stream);
  });
}

cudaError_t QuantizePenalty(DType dtype, const void* x, int64_t num_units,
                            int64_t unit_size, double l1, void* quantized,
                            void* penalty, void* workspace,
                            cudaStream_t stream) {
  return Dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    return LaunchPerUnit<T, Mode::kFused>(
        static_cast<const T*>(x), nullptr, num_units, unit_size,
        Traits<T>::FromDouble(l1), static_cast<T*>(quantized),
        static_cast<T*>(penalty), static_cast<double*>(workspace), stream);
  });
}

cudaError_t PenaltyGrad(DType dtype, const void* x, const void* grad,
                        int64_t num_units, int64_t unit_size, double l1,
                        void* dx, cudaStream_t stream) {
  return Dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    return LaunchPerUnit<T, Mode::kGrad>(
        static_cast<const T*>(x), static_cast<const T*>(grad), num_units,
        unit_size, Traits<T>::FromDouble(l1), static_cast<T*>(dx), nullptr,
        nullptr, stream);
  });
}

}  // namespace cuda
}  // namespace laplace_rice
