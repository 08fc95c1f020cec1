// CUDA kernels for the model's elementwise math: quantize, penalty, the fused
// forward (quantize + penalty in one pass) and the penalty gradient.
//
// Plain launchers: device pointers, sizes and a stream; no TensorFlow. The
// TensorFlow GPU kernels (cc/tf/gpu_kernels.cc) pass TensorFlow's stream and
// the standalone harness (bench/gpu) passes its own. The element math is
// <laplace_rice/math.h> (cc/math), which the CPU kernels run too: quantize and
// the gradient equal theirs exactly; the penalty up to the order of its
// double-precision sum.
//
// A tensor is seen as `num_units` coding units of `unit_size` contiguous
// values (row-major, the innermost coding_rank dimensions). 16-bit values are
// computed in float, float in float, double in double; sums accumulate in
// double for every type.
#ifndef LAPLACE_RICE_CC_CUDA_CUDA_KERNELS_H_
#define LAPLACE_RICE_CC_CUDA_CUDA_KERNELS_H_

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace laplace_rice {
namespace cuda {

// Element types; kHalf and kBFloat16 are IEEE binary16 and bfloat16 bits
// (Eigen::half / __half, Eigen::bfloat16 / __nv_bfloat16).
enum class DType { kHalf, kBFloat16, kFloat, kDouble };

size_t DTypeSize(DType dtype);

// `l1` below is the value of the model's l1 in the element type, widened to
// double (exact for every supported type).

// y[i] = round-half-to-even(x[i]) for n values. x and y must not overlap.
cudaError_t Quantize(DType dtype, const void* x, void* y, int64_t n,
                     cudaStream_t stream);

// Bytes of device scratch memory that Penalty and QuantizePenalty need for
// this layout (0 when none; then `workspace` may be null).
size_t PenaltyWorkspaceBytes(DType dtype, int64_t num_units,
                             int64_t unit_size);

// penalty[u] = l1 * sum(|x[u, :]|), u < num_units.
cudaError_t Penalty(DType dtype, const void* x, int64_t num_units,
                    int64_t unit_size, double l1, void* penalty,
                    void* workspace, cudaStream_t stream);

// Quantize and Penalty in one pass over x. x must not overlap the outputs.
cudaError_t QuantizePenalty(DType dtype, const void* x, int64_t num_units,
                            int64_t unit_size, double l1, void* quantized,
                            void* penalty, void* workspace,
                            cudaStream_t stream);

// dx[u, i] = l1 * sign(x[u, i]) * grad[u], with l1 * grad[u] rounded to the
// element type first (as the CPU kernel does).
cudaError_t PenaltyGrad(DType dtype, const void* x, const void* grad,
                        int64_t num_units, int64_t unit_size, double l1,
                        void* dx, cudaStream_t stream);

// Tests only: caps the grid of the grid-stride kernels (quantize and short
// units) at `max_blocks` (<= 0: the default, 2^20), so that small inputs run
// their loops' later iterations too. Not thread-safe: set it before
// launching, never while another thread launches.
void SetMaxGridStrideBlocksForTesting(int64_t max_blocks);

}  // namespace cuda
}  // namespace laplace_rice

#endif  // LAPLACE_RICE_CC_CUDA_CUDA_KERNELS_H_
