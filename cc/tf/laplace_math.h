// The elementwise math of the model (quantize, penalty, penalty gradient) as
// plain templates: no TensorFlow headers, so the CPU kernels and the CUDA
// test harness share one definition of the expected results.
//
// T is float, double, or a 16-bit float type convertible to and from float
// (Eigen::half, Eigen::bfloat16). 16-bit and 32-bit values are computed in
// float; sums accumulate in double.
#ifndef LAPLACE_RICE_CC_TF_LAPLACE_MATH_H_
#define LAPLACE_RICE_CC_TF_LAPLACE_MATH_H_

#include <cmath>
#include <cstdint>
#include <type_traits>

namespace laplace_rice {
namespace math {

template <typename T>
using Wide = std::conditional_t<std::is_same<T, double>::value, double, float>;

// Rounds half to even (tf.round): nearbyint in the default rounding mode.
template <typename T>
inline T Quantize(T x) {
  return static_cast<T>(std::nearbyint(static_cast<Wide<T>>(x)));
}

template <typename T>
inline double AbsSum(const T* x, int64_t count) {
  double sum = 0;
  for (int64_t i = 0; i < count; ++i) {
    sum += std::fabs(static_cast<double>(static_cast<Wide<T>>(x[i])));
  }
  return sum;
}

// l1 * sum|x|, rounded like the reference: the sum to T, then the product.
template <typename T>
inline T Penalty(double abs_sum, T l1) {
  const Wide<T> sum = static_cast<Wide<T>>(static_cast<T>(abs_sum));
  return static_cast<T>(static_cast<Wide<T>>(l1) * sum);
}

// d penalty / dx * grad = l1 * sign(x) * grad, with l1 * grad rounded to T
// first as the reference's chain rule does.
template <typename T>
inline T PenaltyGrad(T x, T grad, T l1) {
  const Wide<T> scaled =
      static_cast<Wide<T>>(static_cast<T>(static_cast<Wide<T>>(l1) *
                                          static_cast<Wide<T>>(grad)));
  const Wide<T> value = static_cast<Wide<T>>(x);
  const Wide<T> sign = value > 0 ? Wide<T>(1) : value < 0 ? Wide<T>(-1) : Wide<T>(0);
  return static_cast<T>(sign * scaled);
}

// The kernels over coding units [begin, end) of `unit_size` values.

template <typename T>
void QuantizeRange(const T* x, T* y, int64_t begin, int64_t end) {
  for (int64_t i = begin; i < end; ++i) y[i] = Quantize(x[i]);
}

template <typename T>
void PenaltyUnits(const T* x, int64_t unit_size, T l1, int64_t begin,
                  int64_t end, T* penalty) {
  for (int64_t unit = begin; unit < end; ++unit) {
    penalty[unit] = Penalty(AbsSum(x + unit * unit_size, unit_size), l1);
  }
}

template <typename T>
void QuantizePenaltyUnits(const T* x, int64_t unit_size, T l1, int64_t begin,
                          int64_t end, T* quantized, T* penalty) {
  for (int64_t unit = begin; unit < end; ++unit) {
    const int64_t first = unit * unit_size;
    QuantizeRange(x, quantized, first, first + unit_size);
    penalty[unit] = Penalty(AbsSum(x + first, unit_size), l1);
  }
}

template <typename T>
void PenaltyGradUnits(const T* x, const T* grad, int64_t unit_size, T l1,
                      int64_t begin, int64_t end, T* dx) {
  for (int64_t unit = begin; unit < end; ++unit) {
    for (int64_t i = unit * unit_size; i < (unit + 1) * unit_size; ++i) {
      dx[i] = PenaltyGrad(x[i], grad[unit], l1);
    }
  }
}

}  // namespace math
}  // namespace laplace_rice

#endif  // LAPLACE_RICE_CC_TF_LAPLACE_MATH_H_
