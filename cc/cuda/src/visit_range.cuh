// What every CUDA kernel here is made of, per thread: the block shape, what a
// kernel does with one value (ValueOp, on cc/math's element functions), the
// visit of a range of values by cooperating threads in 16-byte vectors
// (VisitRange), and the arguments of the per-unit kernels. All of it is
// __host__ __device__, so that cc/cuda/tests/emulation_test.cu runs the same
// lines on the host; the cross-thread sums, which are device-only, are not
// here (range_kernels.cuh, tiny_units.cuh).
#ifndef LAPLACE_RICE_CC_CUDA_SRC_VISIT_RANGE_CUH_
#define LAPLACE_RICE_CC_CUDA_SRC_VISIT_RANGE_CUH_

#include <cuda_runtime.h>

#include <cstdint>
#include <cstring>

// ValueOp applies cc/math to every device type, 16-bit ones included: the
// Traits specializations must be seen before any use, or __half would
// silently fall back to the default conversions.
#include "half_traits.cuh"
#include "laplace_rice/math.h"

// Loop pragmas for the device pass only (the host pass runs the emulation).
#ifdef __CUDA_ARCH__
#define LAPLACE_RICE_PRAGMA(x) _Pragma(#x)
#else
#define LAPLACE_RICE_PRAGMA(x)
#endif

namespace laplace_rice {
namespace cuda {
namespace impl {

using math::Wide;

constexpr int kThreads = 256;
constexpr int kWarp = 32;
constexpr int kVectorBytes = 16;
// 16-byte vectors each thread loads before it uses any (memory parallelism).
constexpr int kBatch = 4;

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

// ---- The arguments of a per-unit kernel ------------------------------------

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

}  // namespace impl
}  // namespace cuda
}  // namespace laplace_rice

#endif  // LAPLACE_RICE_CC_CUDA_SRC_VISIT_RANGE_CUH_
