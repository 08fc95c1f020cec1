// Kernels and launchers declared in laplace_rice/cuda_kernels.h.
//
// Memory-bound, so the layout of the work decides the speed:
// - Quantize is elementwise: a grid-stride loop over 16-byte vectors.
// - Per-unit work (penalty, fused forward, gradient) picks one of two shapes:
//   * long units (>= kRowMinUnit values): each block takes a contiguous chunk
//     of one unit, reads it as 16-byte vectors with several loads in flight,
//     and reduces it; a unit of several chunks leaves one double per chunk in
//     the workspace and a second, tiny kernel sums those in a fixed order.
//   * short units: a group of `group` lanes (a power of two up to a warp)
//     takes one unit and reduces it with shuffles; several units per warp
//     when units are shorter than a warp.
// Every reduction has a fixed order, so results are deterministic.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstring>

#include "laplace_rice/cuda_kernels.h"

namespace laplace_rice {
namespace cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kWarp = 32;
constexpr int kVectorBytes = 16;
// 16-byte vectors each thread loads before it uses any (memory parallelism).
constexpr int kBatch = 4;
// Bytes of one unit a block of the long-unit kernels handles.
constexpr int64_t kChunkBytes = 32 * 1024;
// Units at least this long use the long-unit kernels.
constexpr int64_t kRowMinUnit = 2048;
// Upper bound on the blocks of grid-stride kernels.
constexpr int64_t kMaxGridStrideBlocks = 1 << 20;

// ---- Element math, mirroring cc/tf/laplace_math.h -------------------------

template <typename T>
struct Num;  // Wide type and exact conversions of each element type.

template <>
struct Num<float> {
  using Wide = float;
  __host__ __device__ static float ToWide(float v) { return v; }
  __host__ __device__ static float FromWide(float v) { return v; }
  __host__ __device__ static float FromDouble(double v) {
    return static_cast<float>(v);
  }
};

template <>
struct Num<double> {
  using Wide = double;
  __host__ __device__ static double ToWide(double v) { return v; }
  __host__ __device__ static double FromWide(double v) { return v; }
  __host__ __device__ static double FromDouble(double v) { return v; }
};

// 16-bit types: double -> float -> T, as Eigen::half(double) does.
template <>
struct Num<__half> {
  using Wide = float;
  __host__ __device__ static float ToWide(__half v) { return __half2float(v); }
  __host__ __device__ static __half FromWide(float v) {
    return __float2half_rn(v);
  }
  __host__ __device__ static __half FromDouble(double v) {
    return __float2half_rn(static_cast<float>(v));
  }
};

template <>
struct Num<__nv_bfloat16> {
  using Wide = float;
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

template <typename T>
using Wide = typename Num<T>::Wide;

__device__ inline float RoundHalfEven(float v) { return rintf(v); }
__device__ inline double RoundHalfEven(double v) { return rint(v); }

template <typename T>
__device__ inline T QuantizeValue(T x) {
  return Num<T>::FromWide(RoundHalfEven(Num<T>::ToWide(x)));
}

template <typename T>
__device__ inline double AbsValue(T x) {
  return fabs(static_cast<double>(Num<T>::ToWide(x)));
}

// l1 * sum: the sum rounded to T, then the product in Wide, rounded to T.
template <typename T>
__device__ inline T PenaltyValue(double abs_sum, T l1) {
  const Wide<T> sum = Num<T>::ToWide(Num<T>::FromDouble(abs_sum));
  return Num<T>::FromWide(Num<T>::ToWide(l1) * sum);
}

// l1 * grad rounded to T, widened: the factor of a unit's gradient.
template <typename T>
__device__ inline Wide<T> GradScale(T grad, T l1) {
  return Num<T>::ToWide(
      Num<T>::FromWide(Num<T>::ToWide(l1) * Num<T>::ToWide(grad)));
}

template <typename T>
__device__ inline T GradValue(T x, Wide<T> scale) {
  const Wide<T> v = Num<T>::ToWide(x);
  const Wide<T> sign = v > 0 ? Wide<T>(1) : v < 0 ? Wide<T>(-1) : Wide<T>(0);
  return Num<T>::FromWide(sign * scale);
}

// ---- What a kernel does with each value ------------------------------------

enum class Mode { kQuantize, kPenalty, kFused, kGrad };

template <typename T, Mode kMode>
struct ValueOp {
  static constexpr bool kWrites = kMode != Mode::kPenalty;
  static constexpr bool kSums = kMode == Mode::kPenalty || kMode == Mode::kFused;
  Wide<T> grad_scale = 0;  // kGrad only

  __device__ T Apply(T x, double& sum) const {
    if (kSums) sum += AbsValue(x);
    if (kMode == Mode::kGrad) return GradValue(x, grad_scale);
    return QuantizeValue(x);  // unused (and removed) for kPenalty
  }
};

// Visits x[begin, end) with `count` cooperating threads (this one is `rank`),
// writing out[i] = op(x[i]) when the op writes, and returns this thread's
// part of sum |x|. With `vectorize`, x and out are 16-byte aligned at index 0,
// and the aligned middle of the range moves as 16-byte vectors.
template <typename T, Mode kMode>
__device__ double VisitRange(const T* __restrict__ x, T* __restrict__ out,
                             int64_t begin, int64_t end, int64_t rank,
                             int64_t count, bool vectorize,
                             const ValueOp<T, kMode>& op) {
  using Op = ValueOp<T, kMode>;
  constexpr int64_t kPer = kVectorBytes / sizeof(T);
  double sum = 0;
  int64_t body_begin = begin;
  int64_t body_end = begin;
  if (vectorize) {
    body_begin = min(end, (begin + kPer - 1) / kPer * kPer);
    body_end = max(body_begin, end / kPer * kPer);
  }
  // Scalar head and tail (everything when not vectorized).
  for (int64_t i = begin + rank; i < body_begin; i += count) {
    const T y = op.Apply(x[i], sum);
    if constexpr (Op::kWrites) out[i] = y;
  }
#pragma unroll 4
  for (int64_t i = body_end + rank; i < end; i += count) {
    const T y = op.Apply(x[i], sum);
    if constexpr (Op::kWrites) out[i] = y;
  }
  const int64_t num_vectors = (body_end - body_begin) / kPer;
  const uint4* xv = reinterpret_cast<const uint4*>(x + body_begin);
  uint4* ov = reinterpret_cast<uint4*>(out + body_begin);
  for (int64_t first = rank; first < num_vectors; first += kBatch * count) {
    uint4 loaded[kBatch];
#pragma unroll
    for (int b = 0; b < kBatch; ++b) {
      const int64_t j = first + b * count;
      if (j < num_vectors) loaded[b] = xv[j];
    }
#pragma unroll
    for (int b = 0; b < kBatch; ++b) {
      const int64_t j = first + b * count;
      if (j < num_vectors) {
        T values[kPer];
        memcpy(values, &loaded[b], kVectorBytes);
#pragma unroll
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

// ---- Kernels ----------------------------------------------------------------

template <typename T>
__global__ void __launch_bounds__(kThreads)
    QuantizeKernel(const T* x, T* y, int64_t n, bool vectorize) {
  const ValueOp<T, Mode::kQuantize> op;
  const int64_t rank = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  const int64_t count = static_cast<int64_t>(gridDim.x) * kThreads;
  VisitRange<T, Mode::kQuantize>(x, y, 0, n, rank, count, vectorize, op);
}

// Long units: block b takes chunk (b % chunks_per_unit) of unit
// (b / chunks_per_unit). The penalty goes to `penalty` when a unit is one
// chunk, else the chunk's sum goes to partials[b].
template <typename T, Mode kMode>
__global__ void __launch_bounds__(kThreads)
    LongUnitKernel(const T* __restrict__ x, const T* __restrict__ grad,
                   T* __restrict__ out, T* __restrict__ penalty,
                   double* __restrict__ partials, int64_t unit_size,
                   int64_t chunk, int64_t chunks_per_unit, T l1,
                   bool vectorize) {
  const int64_t block = blockIdx.x;
  const int64_t unit = block / chunks_per_unit;
  const int64_t piece = block - unit * chunks_per_unit;
  const int64_t unit_begin = unit * unit_size;
  const int64_t begin = unit_begin + piece * chunk;
  const int64_t end = unit_begin + min(unit_size, (piece + 1) * chunk);
  ValueOp<T, kMode> op;
  if (kMode == Mode::kGrad) op.grad_scale = GradScale(grad[unit], l1);
  double sum = VisitRange<T, kMode>(x, out, begin, end, threadIdx.x, kThreads,
                                    vectorize, op);
  if (kMode == Mode::kGrad) return;
  sum = BlockSum(sum);
  if (threadIdx.x != 0) return;
  if (chunks_per_unit == 1) {
    penalty[unit] = PenaltyValue(sum, l1);
  } else {
    partials[block] = sum;
  }
}

// One warp per unit sums the unit's chunk partials in a fixed order.
template <typename T>
__global__ void __launch_bounds__(kThreads)
    FinishPenaltyKernel(const double* __restrict__ partials,
                        int64_t chunks_per_unit, int64_t num_units, T l1,
                        T* __restrict__ penalty) {
  const int64_t unit =
      static_cast<int64_t>(blockIdx.x) * (kThreads / kWarp) + threadIdx.x / kWarp;
  const int lane = threadIdx.x % kWarp;
  if (unit >= num_units) return;  // the whole warp leaves together
  double sum = 0;
  const double* unit_partials = partials + unit * chunks_per_unit;
  for (int64_t i = lane; i < chunks_per_unit; i += kWarp) sum += unit_partials[i];
  sum = GroupSum(sum, kWarp);
  if (lane == 0) penalty[unit] = PenaltyValue(sum, l1);
}

// Short units: each group of `group` lanes takes one unit at a time.
template <typename T, Mode kMode>
__global__ void __launch_bounds__(kThreads)
    ShortUnitKernel(const T* __restrict__ x, const T* __restrict__ grad,
                    T* __restrict__ out, T* __restrict__ penalty,
                    int64_t num_units, int64_t unit_size, int group, T l1,
                    bool vectorize) {
  const int groups_per_block = kThreads / group;
  const int lane = threadIdx.x % group;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * groups_per_block;
  // `first` is the same for the whole block, so every lane of a warp runs
  // the same iterations and may shuffle.
  for (int64_t first = static_cast<int64_t>(blockIdx.x) * groups_per_block;
       first < num_units; first += stride) {
    const int64_t unit = first + threadIdx.x / group;
    const bool active = unit < num_units;
    double sum = 0;
    if (active) {
      ValueOp<T, kMode> op;
      if (kMode == Mode::kGrad) op.grad_scale = GradScale(grad[unit], l1);
      const int64_t begin = unit * unit_size;
      sum = VisitRange<T, kMode>(x, out, begin, begin + unit_size, lane, group,
                                 vectorize, op);
    }
    if (kMode == Mode::kGrad) continue;
    sum = GroupSum(sum, group);
    if (active && lane == 0) penalty[unit] = PenaltyValue(sum, l1);
  }
}

// ---- Launch helpers -----------------------------------------------------------

bool Aligned(const void* pointer) {
  return reinterpret_cast<uintptr_t>(pointer) % kVectorBytes == 0;
}

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

template <typename T>
int64_t ChunkValues() {
  return kChunkBytes / static_cast<int64_t>(sizeof(T));
}

bool UseLongUnits(int64_t unit_size) { return unit_size >= kRowMinUnit; }

template <typename T>
int64_t ChunksPerUnit(int64_t unit_size) {
  return CeilDiv(unit_size, ChunkValues<T>());
}

// Lanes per unit for the short-unit kernel: a power of two, at most a warp.
int GroupSize(int64_t unit_size) {
  int group = 1;
  while (group < kWarp && group < unit_size) group *= 2;
  return group;
}

int GridStrideBlocks(int64_t work_items, int64_t items_per_block) {
  return static_cast<int>(
      std::max<int64_t>(1, std::min(CeilDiv(work_items, items_per_block),
                                    kMaxGridStrideBlocks)));
}

template <typename T>
size_t WorkspaceBytes(int64_t num_units, int64_t unit_size) {
  if (!UseLongUnits(unit_size)) return 0;
  const int64_t chunks = ChunksPerUnit<T>(unit_size);
  return chunks > 1 ? static_cast<size_t>(num_units * chunks) * sizeof(double)
                    : 0;
}

bool ValidLayout(int64_t num_units, int64_t unit_size) {
  return num_units >= 0 && unit_size >= 0 &&
         (unit_size == 0 || num_units <= INT64_MAX / unit_size);
}

// Penalty, fused forward (out = quantized) or gradient (out = dx).
template <typename T, Mode kMode>
cudaError_t LaunchPerUnit(const T* x, const T* grad, int64_t num_units,
                          int64_t unit_size, T l1, T* out, T* penalty,
                          double* workspace, cudaStream_t stream) {
  if (!ValidLayout(num_units, unit_size)) return cudaErrorInvalidValue;
  if (num_units == 0) return cudaSuccess;
  if (kMode == Mode::kGrad && unit_size == 0) return cudaSuccess;
  const bool aligned =
      Aligned(x) && (ValueOp<T, kMode>::kWrites ? Aligned(out) : true);
  if (UseLongUnits(unit_size)) {
    const int64_t chunk = ChunkValues<T>();
    const int64_t chunks = ChunksPerUnit<T>(unit_size);
    if (num_units > INT_MAX / chunks) return cudaErrorInvalidConfiguration;
    if (kMode != Mode::kGrad && chunks > 1 && workspace == nullptr) {
      return cudaErrorInvalidValue;
    }
    const int blocks = static_cast<int>(num_units * chunks);
    LongUnitKernel<T, kMode><<<blocks, kThreads, 0, stream>>>(
        x, grad, out, penalty, workspace, unit_size, chunk, chunks, l1,
        aligned);
    if (kMode != Mode::kGrad && chunks > 1) {
      const int warps_per_block = kThreads / kWarp;
      const int64_t finish_blocks = CeilDiv(num_units, warps_per_block);
      if (finish_blocks > INT_MAX) return cudaErrorInvalidConfiguration;
      FinishPenaltyKernel<T><<<static_cast<int>(finish_blocks), kThreads, 0,
                               stream>>>(workspace, chunks, num_units, l1,
                                         penalty);
    }
  } else {
    const int group = GroupSize(unit_size);
    const int blocks = GridStrideBlocks(num_units, kThreads / group);
    // Vectors pay off only when a warp shares one unit.
    ShortUnitKernel<T, kMode><<<blocks, kThreads, 0, stream>>>(
        x, grad, out, penalty, num_units, unit_size, group, l1,
        aligned && group == kWarp);
  }
  return cudaGetLastError();
}

template <typename T>
cudaError_t LaunchQuantize(const T* x, T* y, int64_t n, cudaStream_t stream) {
  if (n < 0) return cudaErrorInvalidValue;
  if (n == 0) return cudaSuccess;
  const int64_t per_vector = kVectorBytes / sizeof(T);
  const bool vectorize = Aligned(x) && Aligned(y);
  const int64_t items = vectorize ? CeilDiv(n, per_vector) : n;
  const int blocks = GridStrideBlocks(items, int64_t{kThreads} * kBatch);
  QuantizeKernel<T><<<blocks, kThreads, 0, stream>>>(x, y, n, vectorize);
  return cudaGetLastError();
}

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
        Num<T>::FromDouble(l1), nullptr, static_cast<T*>(penalty),
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
        Num<T>::FromDouble(l1), static_cast<T*>(quantized),
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
        unit_size, Num<T>::FromDouble(l1), static_cast<T*>(dx), nullptr,
        nullptr, stream);
  });
}

}  // namespace cuda
}  // namespace laplace_rice
