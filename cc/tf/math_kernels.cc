// CPU kernels for quantize, penalty, the fused forward and the penalty
// gradient, sharded over TensorFlow's intra-op thread pool. The math is in
// cc/math (<laplace_rice/math.h>), the input checks in math_checks.h.
#include <cstdint>

#include "kernel_util.h"
#include "laplace_rice/math.h"
#include "math_checks.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/register_types.h"
#include "tensorflow/core/framework/tensor.h"

namespace laplace_rice {
namespace {

using tensorflow::DEVICE_CPU;
using tensorflow::OpKernel;
using tensorflow::OpKernelContext;
using tensorflow::Tensor;

constexpr int64_t kCyclesPerValue = 4;

template <typename T>
class QuantizeOp : public OpKernel {
 public:
  using OpKernel::OpKernel;

  void Compute(OpKernelContext* ctx) override {
    const Tensor& x = ctx->input(0);
    Tensor* y = nullptr;
    OP_REQUIRES_OK(ctx, ctx->forward_input_or_allocate_output({0}, 0,
                                                              x.shape(), &y));
    const T* in = x.flat<T>().data();
    T* out = y->flat<T>().data();
    ParallelFor(ctx, x.NumElements(), kCyclesPerValue,
                [&](int64_t begin, int64_t end) {
                  math::QuantizeRange(in, out, begin, end);
                });
  }
};

// The shard cost of one coding unit, for ParallelFor.
int64_t UnitCost(const UnitLayout& layout) {
  return layout.unit_size * kCyclesPerValue + 10;
}

template <typename T>
class PenaltyOp : public PerUnitMathKernel {
 public:
  using PerUnitMathKernel::PerUnitMathKernel;

  void Compute(OpKernelContext* ctx) override {
    UnitLayout layout;
    OP_REQUIRES_OK(ctx, CheckInputs(ctx, /*has_grad=*/false, &layout));
    Tensor* penalty = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, layout.batch_shape, &penalty));
    const T* x = ctx->input(0).flat<T>().data();
    const T l1 = ctx->input(1).scalar<T>()();
    T* out = penalty->flat<T>().data();
    ParallelFor(ctx, layout.num_units, UnitCost(layout),
                [&](int64_t begin, int64_t end) {
                  math::PenaltyUnits(x, layout.unit_size, l1, begin, end, out);
                });
  }
};

template <typename T>
class QuantizePenaltyOp : public PerUnitMathKernel {
 public:
  using PerUnitMathKernel::PerUnitMathKernel;

  void Compute(OpKernelContext* ctx) override {
    UnitLayout layout;
    OP_REQUIRES_OK(ctx, CheckInputs(ctx, /*has_grad=*/false, &layout));
    const Tensor& x = ctx->input(0);
    Tensor* quantized = nullptr;
    Tensor* penalty = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, x.shape(), &quantized));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(1, layout.batch_shape, &penalty));
    const T* in = x.flat<T>().data();
    const T l1 = ctx->input(1).scalar<T>()();
    T* q = quantized->flat<T>().data();
    T* p = penalty->flat<T>().data();
    ParallelFor(ctx, layout.num_units, UnitCost(layout),
                [&](int64_t begin, int64_t end) {
                  math::QuantizePenaltyUnits(in, layout.unit_size, l1, begin,
                                             end, q, p);
                });
  }
};

template <typename T>
class PenaltyGradOp : public PerUnitMathKernel {
 public:
  using PerUnitMathKernel::PerUnitMathKernel;

  void Compute(OpKernelContext* ctx) override {
    UnitLayout layout;
    OP_REQUIRES_OK(ctx, CheckInputs(ctx, /*has_grad=*/true, &layout));
    const Tensor& x = ctx->input(0);
    const Tensor& grad = ctx->input(1);
    Tensor* dx = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, x.shape(), &dx));
    const T* in = x.flat<T>().data();
    const T* g = grad.flat<T>().data();
    const T l1 = ctx->input(2).scalar<T>()();
    T* out = dx->flat<T>().data();
    ParallelFor(ctx, layout.num_units, UnitCost(layout),
                [&](int64_t begin, int64_t end) {
                  math::PenaltyGradUnits(in, g, layout.unit_size, l1, begin,
                                         end, out);
                });
  }
};

#define REGISTER_MATH_KERNELS(T)                                               \
  REGISTER_KERNEL_BUILDER(                                                     \
      Name("LaplaceRiceQuantize").Device(DEVICE_CPU).TypeConstraint<T>("T"),   \
      QuantizeOp<T>);                                                          \
  REGISTER_KERNEL_BUILDER(                                                     \
      Name("LaplaceRicePenalty").Device(DEVICE_CPU).TypeConstraint<T>("T"),    \
      PenaltyOp<T>);                                                           \
  REGISTER_KERNEL_BUILDER(Name("LaplaceRiceQuantizePenalty")                   \
                              .Device(DEVICE_CPU)                              \
                              .TypeConstraint<T>("T"),                         \
                          QuantizePenaltyOp<T>);                               \
  REGISTER_KERNEL_BUILDER(Name("LaplaceRicePenaltyGrad")                       \
                              .Device(DEVICE_CPU)                              \
                              .TypeConstraint<T>("T"),                         \
                          PenaltyGradOp<T>);
REGISTER_MATH_KERNELS(Eigen::half)
REGISTER_MATH_KERNELS(Eigen::bfloat16)
REGISTER_MATH_KERNELS(float)
REGISTER_MATH_KERNELS(double)
#undef REGISTER_MATH_KERNELS

}  // namespace
}  // namespace laplace_rice
