// The tiny-unit kernels: units whose size divides a 16-byte vector (1, 2, 4
// or 8 values), with x and out aligned. The short-unit kernel would give such
// a unit one lane per value, each loading one scalar: little memory
// parallelism. Here each thread takes whole vectors, several loads in flight,
// and sums each unit itself in the short-unit kernel's butterfly order, so
// the penalties are bit-identical to what that kernel gives. The per-thread
// code is __host__ __device__ (cc/cuda/tests/emulation_test.cu runs it on the
// host); the unit size is a template argument so that the per-unit arrays
// stay in registers, and WithTinySize turns the runtime size into one.
#ifndef LAPLACE_RICE_CC_CUDA_SRC_TINY_UNITS_CUH_
#define LAPLACE_RICE_CC_CUDA_SRC_TINY_UNITS_CUH_

#include <cuda_runtime.h>

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "laplace_rice/math.h"
#include "visit_range.cuh"

namespace laplace_rice {
namespace cuda {
namespace impl {

// Tiny units: the unit size divides a 16-byte vector, so whole units lie in
// each vector.
template <typename T>
__host__ __device__ inline bool IsTinyUnit(int64_t unit_size) {
  return unit_size > 0 && unit_size <= kVectorBytes / static_cast<int64_t>(sizeof(T)) &&
         (kVectorBytes / static_cast<int64_t>(sizeof(T))) % unit_size == 0;
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

}  // namespace impl
}  // namespace cuda
}  // namespace laplace_rice

#endif  // LAPLACE_RICE_CC_CUDA_SRC_TINY_UNITS_CUH_
