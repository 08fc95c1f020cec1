// The model's elementwise math, in one place: quantize (round half to even),
// the penalty l1 * sum|x| and its gradient l1 * sign(x) * grad. Header-only
// and TensorFlow-free, so that the TensorFlow CPU kernels (cc/tf), the CUDA
// kernels (cc/cuda, whose element functions are these, compiled as
// __host__ __device__), the CUDA emulation test and the GPU harness
// (bench/gpu) all compute with the same code. The plain-TensorFlow path for
// XLA (python/laplace_rice/ops.py) spells the same steps in TensorFlow ops;
// tests/test_xla.py checks that it gives these results.
//
// Precision, as the reference computes it: 16-bit and 32-bit values are
// computed in float, doubles in double (`Wide<T>`); sums of |x| accumulate in
// double; the sum is rounded to T before it is multiplied by l1, and l1 * grad
// is rounded to T before it is multiplied by sign(x).
//
// T is float, double, or a 16-bit float type. Conversions go through
// `Traits<T>`, which by default uses static_cast: right for float, double,
// Eigen::half and Eigen::bfloat16 (their conversion from double goes through
// float, as FromDouble must). cc/cuda specializes it for __half and
// __nv_bfloat16 with the round-to-nearest intrinsics.
#ifndef LAPLACE_RICE_CC_MATH_INCLUDE_LAPLACE_RICE_MATH_H_
#define LAPLACE_RICE_CC_MATH_INCLUDE_LAPLACE_RICE_MATH_H_

#include <cmath>
#include <cstdint>
#include <type_traits>

// Element functions run on the host and, compiled by nvcc, on the device.
#ifdef __CUDACC__
#define LAPLACE_RICE_HOST_DEVICE __host__ __device__
#else
#define LAPLACE_RICE_HOST_DEVICE
#endif

namespace laplace_rice {
namespace math {

// The type the math of T runs in: double for double, float otherwise.
template <typename T>
using Wide = std::conditional_t<std::is_same<T, double>::value, double, float>;

// Conversions between T and its Wide type (and from a double sum).
template <typename T>
struct Traits {
  LAPLACE_RICE_HOST_DEVICE static Wide<T> ToWide(T v) {
    return static_cast<Wide<T>>(v);
  }
  LAPLACE_RICE_HOST_DEVICE static T FromWide(Wide<T> v) {
    return static_cast<T>(v);
  }
  // 16-bit types must round through float here (double -> float -> T), as
  // Eigen::half(double) does; a specialization has to keep that.
  LAPLACE_RICE_HOST_DEVICE static T FromDouble(double v) {
    return static_cast<T>(v);
  }
};

// Round half to even (tf.round). On the host nearbyint, which with SSE4.1
// is one roundss; on the device rint. Both round in the current rounding
// mode, which is to-nearest-even by default: the same values.
template <typename Float>
LAPLACE_RICE_HOST_DEVICE inline Float RoundHalfEven(Float v) {
#ifdef __CUDA_ARCH__
  if constexpr (std::is_same<Float, float>::value) {
    return rintf(v);
  } else {
    return rint(v);
  }
#else
  return std::nearbyint(v);
#endif
}

template <typename T>
LAPLACE_RICE_HOST_DEVICE inline T Quantize(T x) {
  return Traits<T>::FromWide(RoundHalfEven(Traits<T>::ToWide(x)));
}

// |x| as one term of a double-precision sum.
template <typename T>
LAPLACE_RICE_HOST_DEVICE inline double AbsValue(T x) {
  const double value = static_cast<double>(Traits<T>::ToWide(x));
#ifdef __CUDA_ARCH__
  return fabs(value);
#else
  return std::fabs(value);
#endif
}

// l1 * sum|x| of one unit: the sum rounded to T, then the product in Wide,
// rounded to T.
template <typename T>
LAPLACE_RICE_HOST_DEVICE inline T Penalty(double abs_sum, T l1) {
  const Wide<T> sum = Traits<T>::ToWide(Traits<T>::FromDouble(abs_sum));
  return Traits<T>::FromWide(Traits<T>::ToWide(l1) * sum);
}

// The factor of one unit's gradient: l1 * grad rounded to T, widened.
template <typename T>
LAPLACE_RICE_HOST_DEVICE inline Wide<T> GradScale(T grad, T l1) {
  return Traits<T>::ToWide(
      Traits<T>::FromWide(Traits<T>::ToWide(l1) * Traits<T>::ToWide(grad)));
}

// d penalty / dx * grad = sign(x) * GradScale(grad, l1); sign(NaN) and
// sign(-0) are 0 (the comparisons are false).
template <typename T>
LAPLACE_RICE_HOST_DEVICE inline T PenaltyGrad(T x, Wide<T> scale) {
  const Wide<T> v = Traits<T>::ToWide(x);
  const Wide<T> sign = v > 0 ? Wide<T>(1) : v < 0 ? Wide<T>(-1) : Wide<T>(0);
  return Traits<T>::FromWide(sign * scale);
}

// ---- Sequential loops over coding units of `unit_size` values ------------
// (Host only: the CPU kernels run them per shard; the CUDA tests take their
// expected results from them.)

template <typename T>
inline double AbsSum(const T* x, int64_t count) {
  double sum = 0;
  for (int64_t i = 0; i < count; ++i) sum += AbsValue(x[i]);
  return sum;
}

template <typename T>
void QuantizeRange(const T* x, T* y, int64_t begin, int64_t end) {
  for (int64_t i = begin; i < end; ++i) y[i] = Quantize(x[i]);
}

// penalty[unit] for units [begin, end).
template <typename T>
void PenaltyUnits(const T* x, int64_t unit_size, T l1, int64_t begin,
                  int64_t end, T* penalty) {
  for (int64_t unit = begin; unit < end; ++unit) {
    penalty[unit] = Penalty(AbsSum(x + unit * unit_size, unit_size), l1);
  }
}

// Quantized values and penalties of units [begin, end), in one pass.
template <typename T>
void QuantizePenaltyUnits(const T* x, int64_t unit_size, T l1, int64_t begin,
                          int64_t end, T* quantized, T* penalty) {
  for (int64_t unit = begin; unit < end; ++unit) {
    const int64_t first = unit * unit_size;
    QuantizeRange(x, quantized, first, first + unit_size);
    penalty[unit] = Penalty(AbsSum(x + first, unit_size), l1);
  }
}

// dx of units [begin, end); grad holds one value per unit.
template <typename T>
void PenaltyGradUnits(const T* x, const T* grad, int64_t unit_size, T l1,
                      int64_t begin, int64_t end, T* dx) {
  for (int64_t unit = begin; unit < end; ++unit) {
    const Wide<T> scale = GradScale(grad[unit], l1);
    for (int64_t i = unit * unit_size; i < (unit + 1) * unit_size; ++i) {
      dx[i] = PenaltyGrad(x[i], scale);
    }
  }
}

}  // namespace math
}  // namespace laplace_rice

#endif  // LAPLACE_RICE_CC_MATH_INCLUDE_LAPLACE_RICE_MATH_H_
