// Internals of kernels.cu, in a header so that cc/cuda/tests can run the
// per-thread code on the host (see emulation_test.cu): every kernel is a thin
// __global__ shell over __host__ __device__ functions that do the indexing;
// the math of each value is cc/math's (<laplace_rice/math.h>), the same
// functions the CPU kernels run. Only the cross-thread sums (shuffles, shared
// memory) are device-only.
#ifndef LAPLACE_RICE_CC_CUDA_SRC_KERNELS_IMPL_CUH_
#define LAPLACE_RICE_CC_CUDA_SRC_KERNELS_IMPL_CUH_

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "laplace_rice/cuda_kernels.h"
#include "laplace_rice/math.h"

// Loop pragmas for the device pass only (the host pass runs the emulation).
#ifdef __CUDA_ARCH__
#define LAPLACE_RICE_PRAGMA(x) _Pragma(#x)
#else
#define LAPLACE_RICE_PRAGMA(x)
#endif

namespace laplace_rice {

// ---- Element math: cc/math, with the CUDA 16-bit types --------------------
// The round-to-nearest intrinsics, on the host and the device alike; from a
// double through float (double -> float -> T), as Eigen::half(double) does.
namespace math {

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

namespace cuda {
namespace impl {

using math::Wide;

constexpr int kThreads = 256;
constexpr int kWarp = 32;
constexpr int kVectorBytes = 16;
// 16-byte vectors each thread loads before it uses any (memory parallelism).
constexpr int kBatch = 4;
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

// ---- What a kernel does with each value ------------------------------------

enum class Mode { kQuantize, kPenalty, kFused, kGrad };

template <typename T, Mode kMode>
struct ValueOp {
  static constexpr bool kWrites = kMode != Mode::kPenalty;
  static constexpr bool kSums = kMode == Mode::kPenalty || kMode == Mode::kFused;
  Wide<T> grad_scale = 0;  // kGrad only

  __host__ __device__ ValueOp() {}
  __host__ __device__ explicit ValueOp(Wide<T> scale) : grad_scale(scale) {}

  __host__ __device__ T Apply(T x, double& sum) const {
    if (kSums) sum += math::AbsValue(x);
    if (kMode == Mode::kGrad) return math::PenaltyGrad(x, grad_scale);
    return math::Quantize(x);  // unused (and removed) for kPenalty
  }
};

// A load through the read-only data path (inputs never alias outputs).
template <typename U>
__host__ __device__ inline U LoadInput(const U* pointer) {
#ifdef __CUDA_ARCH__
  return __ldg(pointer);
#else
  return *pointer;
#endif
}

__host__ __device__ inline int64_t Min64(int64_t a, int64_t b) {
  return a < b ? a : b;
}
__host__ __device__ inline int64_t Max64(int64_t a, int64_t b) {
  return a > b ? a : b;
}

// Visits x[begin, end) with `count` cooperating threads (this one is `rank`),
// writing out[i] = op(x[i]) when the op writes, and returns this thread's
// part of sum |x|. With `vectorize`, x and out are 16-byte aligned at index 0,
// and the aligned middle of the range moves as 16-byte vectors.
template <typename T, Mode kMode>
__host__ __device__ double VisitRange(const T* __restrict__ x,
                                      T* __restrict__ out, int64_t begin,
                                      int64_t end, int64_t rank, int64_t count,
                                      bool vectorize,
                                      const ValueOp<T, kMode>& op) {
  using Op = ValueOp<T, kMode>;
  constexpr int64_t kPer = kVectorBytes / sizeof(T);
  double sum = 0;
  int64_t body_begin = begin;
  int64_t body_end = begin;
  if (vectorize) {
    body_begin = Min64(end, (begin + kPer - 1) / kPer * kPer);
    body_end = Max64(body_begin, end / kPer * kPer);
  }
  // Scalar head and tail (everything when not vectorized).
  for (int64_t i = begin + rank; i < body_begin; i += count) {
    const T y = op.Apply(LoadInput(x + i), sum);
    if constexpr (Op::kWrites) out[i] = y;
  }
LAPLACE_RICE_PRAGMA(unroll 4)
  for (int64_t i = body_end + rank; i < end; i += count) {
    const T y = op.Apply(LoadInput(x + i), sum);
    if constexpr (Op::kWrites) out[i] = y;
  }
  const int64_t num_vectors = (body_end - body_begin) / kPer;
  const uint4* xv = reinterpret_cast<const uint4*>(x + body_begin);
  uint4* ov = reinterpret_cast<uint4*>(out + body_begin);
  for (int64_t first = rank; first < num_vectors; first += kBatch * count) {
    uint4 loaded[kBatch];
LAPLACE_RICE_PRAGMA(unroll)
    for (int b = 0; b < kBatch; ++b) {
      const int64_t j = first + b * count;
      if (j < num_vectors) loaded[b] = LoadInput(xv + j);
    }
LAPLACE_RICE_PRAGMA(unroll)
    for (int b = 0; b < kBatch; ++b) {
      const int64_t j = first + b * count;
      if (j < num_vectors) {
        T values[kPer];
        memcpy(static_cast<void*>(values), &loaded[b], kVectorBytes);
LAPLACE_RICE_PRAGMA(unroll)
        for (int k = 0; k < kPer; ++k) values[k] = op.Apply(values[k], sum);
        if constexpr (Op::kWrites) {
          uint4 stored;
          memcpy(&stored, values, kVectorBytes);
          ov[j] = stored;
        }
      }
    }
  }
  return sum;
}

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
struct UnitArgs {
  const T* x;
  const T* grad;    // kGrad: one value per unit
  T* out;           // quantized (kFused) or dx (kGrad)
  T* penalty;       // kPenalty, kFused
  double* partials; // long units of several chunks: one sum per chunk
  int64_t num_units;
  int64_t unit_size;
  T l1;
  bool vectorize;   // x and out are 16-byte aligned
  // Long units only.
  int64_t chunk = 0;
  int64_t chunks_per_unit = 1;
  // Short units only.
  int group = 1;
};

// Tiny units: the unit size divides a 16-byte vector, so whole units lie in
// each vector.
template <typename T>
__host__ __device__ inline bool IsTinyUnit(int64_t unit_size) {
  return unit_size > 0 && unit_size <= kVectorBytes / static_cast<int64_t>(sizeof(T)) &&
         (kVectorBytes / static_cast<int64_t>(sizeof(T))) % unit_size == 0;
}

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

// Tiny units. The short-unit kernel gives such a unit `unit_size` lanes (a
// power of two here), one value each, and sums them with GroupSum's butterfly;
// this is the same sum in one thread, in the same order, so the penalties are
// bit-identical: in step `offset`, lane i adds lane (i ^ offset); lane 0 ends
// with the sum.
// kCount is a compile-time constant so that every index is one too and the
// arrays stay in registers.
template <int kCount>
__host__ __device__ inline double ButterflySum(double (&lanes)[kCount]) {
LAPLACE_RICE_PRAGMA(unroll)
  for (int offset = kCount / 2; offset > 0; offset /= 2) {
    double next[kCount];
LAPLACE_RICE_PRAGMA(unroll)
    for (int i = 0; i < kCount; ++i) next[i] = lanes[i] + lanes[i ^ offset];
LAPLACE_RICE_PRAGMA(unroll)
    for (int i = 0; i < kCount; ++i) lanes[i] = next[i];
  }
  return lanes[0];
}

// One tiny unit of kSize (== unit_size) values: values[0, kSize) in,
// op(values) out; its penalty.
template <typename T, Mode kMode, int kSize>
__host__ __device__ inline void TinyUnit(const UnitArgs<T>& a, int64_t unit, T grad,
                                         T* values) {
  const ValueOp<T, kMode> op(kMode == Mode::kGrad ? math::GradScale(grad, a.l1)
                                                  : Wide<T>(0));
  double lanes[kSize];
LAPLACE_RICE_PRAGMA(unroll)
  for (int i = 0; i < kSize; ++i) {
    double sum = 0;  // a lane's sum in the short-unit kernel: 0 + |x|
    values[i] = op.Apply(values[i], sum);
    lanes[i] = sum;
  }
  if (ValueOp<T, kMode>::kSums) a.penalty[unit] = math::Penalty(ButterflySum(lanes), a.l1);
}

// Tiny units, x (and out) 16-byte aligned: thread `rank` of `count` takes
// whole vectors, kBatch at a time with every load issued before any use (the
// memory parallelism that one scalar per thread lacks), then the units after
// the last whole vector one at a time.
template <typename T, Mode kMode, int kSize>
__host__ __device__ inline void TinyUnitThread(const UnitArgs<T>& a, int64_t rank,
                                               int64_t count) {
  constexpr int kPer = kVectorBytes / sizeof(T);
  static_assert(kSize <= kPer && kPer % kSize == 0, "a tiny unit divides a vector");
  constexpr int units_per_vector = kPer / kSize;
  const int64_t num_vectors = a.num_units / units_per_vector;
  const uint4* xv = reinterpret_cast<const uint4*>(a.x);
  uint4* ov = reinterpret_cast<uint4*>(a.out);
  for (int64_t first = rank; first < num_vectors; first += kBatch * count) {
    uint4 loaded[kBatch];
    T grads[kBatch][units_per_vector];
LAPLACE_RICE_PRAGMA(unroll)
    for (int b = 0; b < kBatch; ++b) {
      const int64_t j = first + b * count;
      if (j < num_vectors) {
        loaded[b] = LoadInput(xv + j);
        if (kMode == Mode::kGrad) {
LAPLACE_RICE_PRAGMA(unroll)
          for (int u = 0; u < units_per_vector; ++u) {
            grads[b][u] = LoadInput(a.grad + j * units_per_vector + u);
          }
        }
      }
    }
LAPLACE_RICE_PRAGMA(unroll)
    for (int b = 0; b < kBatch; ++b) {
      const int64_t j = first + b * count;
      if (j < num_vectors) {
        T values[kPer];
        memcpy(static_cast<void*>(values), &loaded[b], kVectorBytes);
LAPLACE_RICE_PRAGMA(unroll)
        for (int u = 0; u < units_per_vector; ++u) {
          TinyUnit<T, kMode, kSize>(a, j * units_per_vector + u,
                                    kMode == Mode::kGrad ? grads[b][u] : T(),
                                    values + u * kSize);
        }
        if constexpr (ValueOp<T, kMode>::kWrites) {
          uint4 stored;
          memcpy(&stored, values, kVectorBytes);
          ov[j] = stored;
        }
      }
    }
  }
  for (int64_t unit = num_vectors * units_per_vector + rank; unit < a.num_units;
       unit += count) {
    T values[kSize];
LAPLACE_RICE_PRAGMA(unroll)
    for (int i = 0; i < kSize; ++i) values[i] = LoadInput(a.x + unit * kSize + i);
    TinyUnit<T, kMode, kSize>(a, unit, kMode == Mode::kGrad ? LoadInput(a.grad + unit) : T(),
                              values);
    if constexpr (ValueOp<T, kMode>::kWrites) {
LAPLACE_RICE_PRAGMA(unroll)
      for (int i = 0; i < kSize; ++i) a.out[unit * kSize + i] = values[i];
    }
  }
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

template <typename T, Mode kMode, int kSize>
__global__ void __launch_bounds__(kThreads) TinyUnitKernel(UnitArgs<T> a) {
  TinyUnitThread<T, kMode, kSize>(a, static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x,
                                  static_cast<int64_t>(gridDim.x) * kThreads);
}

// Calls fn(std::integral_constant<int, unit_size>) for a tiny unit size of T
// (sizes that T's vector cannot hold are never called, so not instantiated).
template <typename T, typename Fn>
inline void WithTinySize(int64_t unit_size, Fn&& fn) {
  constexpr int kPer = kVectorBytes / sizeof(T);
  switch (unit_size) {
    case 1: fn(std::integral_constant<int, 1>()); break;
    case 2: fn(std::integral_constant<int, (2 <= kPer ? 2 : 1)>()); break;
    case 4: fn(std::integral_constant<int, (4 <= kPer ? 4 : 1)>()); break;
    case 8: fn(std::integral_constant<int, (8 <= kPer ? 8 : 1)>()); break;
  }
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
