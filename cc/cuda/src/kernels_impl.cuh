// The launch side of the CUDA kernels: how a launch is laid out (the launch
// plan: long, short or tiny units, blocks, workspace) and the typed launchers
// that kernels.cu's plain entry points call. The kernels themselves are in
// range_kernels.cuh (quantize, long and short units) and tiny_units.cuh.
// kernels.cu includes this header rather than holding it so that
// cc/cuda/tests/emulation_test.cu can run the same plan, and through it the
// kernels' per-thread code, on the host.
#ifndef LAPLACE_RICE_CC_CUDA_SRC_KERNELS_IMPL_CUH_
#define LAPLACE_RICE_CC_CUDA_SRC_KERNELS_IMPL_CUH_

#include <cuda_runtime.h>

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdint>

#include "range_kernels.cuh"
#include "tiny_units.cuh"
#include "visit_range.cuh"

namespace laplace_rice {
namespace cuda {
namespace impl {

// Bytes of one unit a block of the long-unit kernels handles.
constexpr int64_t kChunkBytes = 32 * 1024;
// Units at least this long use the long-unit kernels.
constexpr int64_t kLongUnit = 2048;
// Upper bound on the blocks of grid-stride kernels (quantize, short units).
constexpr int64_t kMaxGridStrideBlocks = 1 << 20;

// The bound in use: kMaxGridStrideBlocks unless a test lowered it (see
// SetMaxGridStrideBlocksForTesting) so that the grid-stride loops run more
// than one iteration on test-sized inputs.
inline int64_t& MaxGridStrideBlocks() {
  static int64_t max_blocks = kMaxGridStrideBlocks;
  return max_blocks;
}

// ---- Launch helpers -----------------------------------------------------------

inline bool Aligned(const void* pointer) {
  return reinterpret_cast<uintptr_t>(pointer) % kVectorBytes == 0;
}

inline int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

template <typename T>
inline int64_t ChunkValues() {
  return kChunkBytes / static_cast<int64_t>(sizeof(T));
}

inline bool UseLongUnits(int64_t unit_size) { return unit_size >= kLongUnit; }

template <typename T>
inline int64_t ChunksPerUnit(int64_t unit_size) {
  return CeilDiv(unit_size, ChunkValues<T>());
}

// Lanes per unit for the short-unit kernel: a power of two, at most a warp.
inline int GroupSize(int64_t unit_size) {
  int group = 1;
  while (group < kWarp && group < unit_size) group *= 2;
  return group;
}

inline int GridStrideBlocks(int64_t work_items, int64_t items_per_block) {
  return static_cast<int>(
      std::max<int64_t>(1, std::min(CeilDiv(work_items, items_per_block),
                                    MaxGridStrideBlocks())));
}

template <typename T>
inline size_t WorkspaceBytes(int64_t num_units, int64_t unit_size) {
  if (!UseLongUnits(unit_size)) return 0;
  const int64_t chunks = ChunksPerUnit<T>(unit_size);
  return chunks > 1 ? static_cast<size_t>(num_units * chunks) * sizeof(double)
                    : 0;
}

inline bool ValidLayout(int64_t num_units, int64_t unit_size) {
  return num_units >= 0 && unit_size >= 0 &&
         (unit_size == 0 || num_units <= INT64_MAX / unit_size);
}

// How a per-unit launch is laid out; shared with emulation_test.cu.
template <typename T, Mode kMode>
struct Plan {
  UnitArgs<T> args;
  bool long_units = false;
  bool tiny_units = false;    // short units that divide a vector, aligned
  int64_t blocks = 0;         // long units: one per chunk; short, tiny: grid size
  int64_t finish_blocks = 0;  // long units of several chunks (not kGrad)
};

template <typename T, Mode kMode>
inline Plan<T, kMode> MakePlan(const T* x, const T* grad, int64_t num_units,
                               int64_t unit_size, T l1, T* out, T* penalty,
                               double* workspace) {
  Plan<T, kMode> plan;
  UnitArgs<T>& a = plan.args;
  a.x = x;
  a.grad = grad;
  a.out = out;
  a.penalty = penalty;
  a.partials = workspace;
  a.num_units = num_units;
  a.unit_size = unit_size;
  a.l1 = l1;
  const bool aligned =
      Aligned(x) && (ValueOp<T, kMode>::kWrites ? Aligned(out) : true);
  plan.long_units = UseLongUnits(unit_size);
  if (plan.long_units) {
    a.chunk = ChunkValues<T>();
    a.chunks_per_unit = ChunksPerUnit<T>(unit_size);
    a.vectorize = aligned;
    plan.blocks = num_units * a.chunks_per_unit;
    if (kMode != Mode::kGrad && a.chunks_per_unit > 1) {
      plan.finish_blocks = CeilDiv(num_units, kThreads / kWarp);
    }
  } else if (aligned && IsTinyUnit<T>(unit_size)) {
    plan.tiny_units = true;
    a.group = static_cast<int>(unit_size);
    a.vectorize = true;
    const int64_t units_per_vector =
        kVectorBytes / static_cast<int64_t>(sizeof(T)) / unit_size;
    plan.blocks = GridStrideBlocks(CeilDiv(num_units, units_per_vector),
                                   int64_t{kThreads} * kBatch);
  } else {
    a.group = GroupSize(unit_size);
    // Vectors pay off only when a warp shares one unit.
    a.vectorize = aligned && a.group == kWarp;
    plan.blocks = GridStrideBlocks(num_units, kThreads / a.group);
  }
  return plan;
}

// Penalty, fused forward (out = quantized) or gradient (out = dx).
template <typename T, Mode kMode>
cudaError_t LaunchPerUnit(const T* x, const T* grad, int64_t num_units,
                          int64_t unit_size, T l1, T* out, T* penalty,
                          double* workspace, cudaStream_t stream) {
  if (!ValidLayout(num_units, unit_size)) return cudaErrorInvalidValue;
  if (num_units == 0) return cudaSuccess;
  if (kMode == Mode::kGrad && unit_size == 0) return cudaSuccess;
  const Plan<T, kMode> plan = MakePlan<T, kMode>(x, grad, num_units, unit_size,
                                                 l1, out, penalty, workspace);
  if (plan.blocks > INT_MAX || plan.finish_blocks > INT_MAX) {
    return cudaErrorInvalidConfiguration;
  }
  if (plan.finish_blocks > 0 && workspace == nullptr) {
    return cudaErrorInvalidValue;
  }
  const int blocks = static_cast<int>(plan.blocks);
  if (plan.long_units) {
    LongUnitKernel<T, kMode><<<blocks, kThreads, 0, stream>>>(plan.args);
    if (plan.finish_blocks > 0) {
      FinishPenaltyKernel<T><<<static_cast<int>(plan.finish_blocks), kThreads,
                               0, stream>>>(plan.args);
    }
  } else if (plan.tiny_units) {
    WithTinySize<T>(unit_size, [&](auto size) {
      TinyUnitKernel<T, kMode, decltype(size)::value><<<blocks, kThreads, 0, stream>>>(
          plan.args);
    });
  } else {
    ShortUnitKernel<T, kMode><<<blocks, kThreads, 0, stream>>>(plan.args);
  }
  return cudaGetLastError();
}

template <typename T>
inline cudaError_t LaunchQuantize(const T* x, T* y, int64_t n, cudaStream_t stream) {
  if (n < 0) return cudaErrorInvalidValue;
  if (n == 0) return cudaSuccess;
  const int64_t per_vector = kVectorBytes / sizeof(T);
  const bool vectorize = Aligned(x) && Aligned(y);
  const int64_t items = vectorize ? CeilDiv(n, per_vector) : n;
  const int blocks = GridStrideBlocks(items, int64_t{kThreads} * kBatch);
  QuantizeKernel<T><<<blocks, kThreads, 0, stream>>>(x, y, n, vectorize);
  return cudaGetLastError();
}

}  // namespace impl
}  // namespace cuda
}  // namespace laplace_rice

#endif  // LAPLACE_RICE_CC_CUDA_SRC_KERNELS_IMPL_CUH_
