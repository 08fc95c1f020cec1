// The kernels whose threads each visit a range with VisitRange: quantize (the
// whole tensor as one range, grid-stride), long units (a block per chunk of a
// unit, summed over the block; a unit of several chunks is finished by a
// second kernel over the chunk partials) and short units (a group of lanes per
// unit, summed with shuffles). Each kernel is a thin __global__ shell over a
// __host__ __device__ function that does the indexing, which
// cc/cuda/tests/emulation_test.cu runs on the host; the cross-thread sums
// (GroupSum, BlockSum) are device-only, checked by bench/gpu on a GPU.
// Tiny units have kernels of their own (tiny_units.cuh).
#ifndef LAPLACE_RICE_CC_CUDA_SRC_RANGE_KERNELS_CUH_
#define LAPLACE_RICE_CC_CUDA_SRC_RANGE_KERNELS_CUH_

#include <cuda_runtime.h>

#include <cstdint>

#include "laplace_rice/math.h"
#include "visit_range.cuh"

namespace laplace_rice {
namespace cuda {
namespace impl {

// ---- Cross-thread sums (device-only) ----------------------------------------

// Sum over lanes of width-aligned groups; exact in lane 0 of each group (the
// butterfly order is fixed, so the result is deterministic).
__device__ inline double GroupSum(double value, int width) {
  for (int offset = width / 2; offset > 0; offset /= 2) {
    value += __shfl_xor_sync(0xffffffffu, value, offset, width);
  }
  return value;
}

// Sum over the block; valid in thread 0. All threads must call it.
__device__ inline double BlockSum(double value) {
  __shared__ double warp_sums[kThreads / kWarp];
  const int lane = threadIdx.x % kWarp;
  const int warp = threadIdx.x / kWarp;
  value = GroupSum(value, kWarp);
  if (lane == 0) warp_sums[warp] = value;
  __syncthreads();
  if (warp == 0) {
    value = lane < kThreads / kWarp ? warp_sums[lane] : 0.0;
    value = GroupSum(value, kWarp);
  }
  return value;
}

// ---- Per-thread work (host-callable, see emulation_test.cu) -----------------

template <typename T>
__host__ __device__ inline void QuantizeThread(const T* x, T* y, int64_t n,
                                               bool vectorize, int64_t rank,
                                               int64_t count) {
  const ValueOp<T, Mode::kQuantize> op;
  VisitRange<T, Mode::kQuantize>(x, y, 0, n, rank, count, vectorize, op);
}

// Long units: block b takes chunk (b % chunks_per_unit) of unit
// (b / chunks_per_unit). Returns this thread's part of the chunk's sum.
template <typename T, Mode kMode>
__host__ __device__ inline double LongUnitThread(const UnitArgs<T>& a,
                                                 int64_t block, int thread) {
  const int64_t unit = block / a.chunks_per_unit;
  const int64_t piece = block - unit * a.chunks_per_unit;
  const int64_t unit_begin = unit * a.unit_size;
  const int64_t begin = unit_begin + piece * a.chunk;
  const int64_t end = unit_begin + Min64(a.unit_size, (piece + 1) * a.chunk);
  const ValueOp<T, kMode> op(kMode == Mode::kGrad
                                 ? math::GradScale(LoadInput(a.grad + unit), a.l1)
                                 : Wide<T>(0));
  return VisitRange<T, kMode>(a.x, a.out, begin, end, thread, kThreads,
                              a.vectorize, op);
}

// The chunk's sum: the penalty when a unit is one chunk, else a partial.
template <typename T>
__host__ __device__ inline void LongUnitFinish(const UnitArgs<T>& a,
                                               int64_t block, double sum) {
  if (a.chunks_per_unit == 1) {
    a.penalty[block] = math::Penalty(sum, a.l1);
  } else {
    a.partials[block] = sum;
  }
}

// Lane `lane` of 32's part of the sum of a unit's chunk partials.
__host__ __device__ inline double PartialsLane(const double* partials,
                                               int64_t chunks_per_unit,
                                               int64_t unit, int lane) {
  double sum = 0;
  const double* unit_partials = partials + unit * chunks_per_unit;
  for (int64_t i = lane; i < chunks_per_unit; i += kWarp) {
    sum += unit_partials[i];
  }
  return sum;
}

// Short units: lane `lane` of the group on `unit`; returns its part of the sum.
template <typename T, Mode kMode>
__host__ __device__ inline double ShortUnitThread(const UnitArgs<T>& a,
                                                  int64_t unit, int lane) {
  const ValueOp<T, kMode> op(kMode == Mode::kGrad
                                 ? math::GradScale(LoadInput(a.grad + unit), a.l1)
                                 : Wide<T>(0));
  const int64_t begin = unit * a.unit_size;
  return VisitRange<T, kMode>(a.x, a.out, begin, begin + a.unit_size, lane,
                              a.group, a.vectorize, op);
}

// ---- Kernels: the per-thread work plus the cross-thread sums --------------

template <typename T>
__global__ void __launch_bounds__(kThreads)
    QuantizeKernel(const T* __restrict__ x, T* __restrict__ y, int64_t n,
                   bool vectorize) {
  QuantizeThread(x, y, n, vectorize,
                 static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x,
                 static_cast<int64_t>(gridDim.x) * kThreads);
}

template <typename T, Mode kMode>
__global__ void __launch_bounds__(kThreads) LongUnitKernel(UnitArgs<T> a) {
  const int64_t block = blockIdx.x;
  double sum = LongUnitThread<T, kMode>(a, block, threadIdx.x);
  if (kMode == Mode::kGrad) return;
  sum = BlockSum(sum);
  if (threadIdx.x == 0) LongUnitFinish(a, block, sum);
}

// One warp per unit sums the unit's chunk partials in a fixed order.
template <typename T>
__global__ void __launch_bounds__(kThreads) FinishPenaltyKernel(UnitArgs<T> a) {
  const int64_t unit =
      static_cast<int64_t>(blockIdx.x) * (kThreads / kWarp) + threadIdx.x / kWarp;
  const int lane = threadIdx.x % kWarp;
  if (unit >= a.num_units) return;  // the whole warp leaves together
  double sum = PartialsLane(a.partials, a.chunks_per_unit, unit, lane);
  sum = GroupSum(sum, kWarp);
  if (lane == 0) a.penalty[unit] = math::Penalty(sum, a.l1);
}

// Short units: each group of `group` lanes takes one unit at a time.
template <typename T, Mode kMode>
__global__ void __launch_bounds__(kThreads) ShortUnitKernel(UnitArgs<T> a) {
  const int groups_per_block = kThreads / a.group;
  const int lane = threadIdx.x % a.group;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * groups_per_block;
  // `first` is the same for the whole block, so every lane of a warp runs
  // the same iterations and may shuffle.
  for (int64_t first = static_cast<int64_t>(blockIdx.x) * groups_per_block;
       first < a.num_units; first += stride) {
    const int64_t unit = first + threadIdx.x / a.group;
    const bool active = unit < a.num_units;
    double sum = active ? ShortUnitThread<T, kMode>(a, unit, lane) : 0.0;
    if (kMode == Mode::kGrad) continue;
    sum = GroupSum(sum, a.group);
    if (active && lane == 0) a.penalty[unit] = math::Penalty(sum, a.l1);
  }
}

}  // namespace impl
}  // namespace cuda
}  // namespace laplace_rice

#endif  // LAPLACE_RICE_CC_CUDA_SRC_RANGE_KERNELS_CUH_
