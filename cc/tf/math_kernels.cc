// CPU kernels for quantize, penalty, the fused forward and the penalty
// gradient, sharded over TensorFlow's intra-op thread pool. The math is in
// laplace_math.h.
#include <cstdint>

#include "kernel_util.h"
#include "laplace_math.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/register_types.h"
#include "tensorflow/core/framework/tensor.h"

namespace laplace_rice {
namespace {

using tensorflow::DEVICE_CPU;
using tensorflow::OpKernel;
using tensorflow::OpKernelConstruction;
using tensorflow::OpKernelContext;
using tensorflow::Tensor;

constexpr int64_t kCyclesPerValue = 4;

absl::Status ReadScalarL1(const Tensor& tensor) {
  if (tensor.dims() != 0) {
    return absl::InvalidArgumentError("l1 must be a scalar, got shape " +
                                      tensor.shape().DebugString());
  }
  return absl::OkStatus();
}

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

// Attributes and input checks shared by the per-unit kernels.
class PerUnitKernel : public OpKernel {
 public:
  explicit PerUnitKernel(OpKernelConstruction* ctx) : OpKernel(ctx) {
    OP_REQUIRES_OK(ctx, ctx->GetAttr("coding_rank", &coding_rank_));
  }

 protected:
  absl::Status Layout(OpKernelContext* ctx, int l1_input,
                      UnitLayout* layout) const {
    TF_RETURN_IF_ERROR(ReadScalarL1(ctx->input(l1_input)));
    return GetUnitLayout(ctx->input(0).shape(), coding_rank_, layout);
  }

  static int64_t UnitCost(const UnitLayout& layout) {
    return layout.unit_size * kCyclesPerValue + 10;
  }

  int coding_rank_ = 0;
};

template <typename T>
class PenaltyOp : public PerUnitKernel {
 public:
  using PerUnitKernel::PerUnitKernel;

  void Compute(OpKernelContext* ctx) override {
    UnitLayout layout;
    OP_REQUIRES_OK(ctx, Layout(ctx, 1, &layout));
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
class QuantizePenaltyOp : public PerUnitKernel {
 public:
  using PerUnitKernel::PerUnitKernel;

  void Compute(OpKernelContext* ctx) override {
    UnitLayout layout;
    OP_REQUIRES_OK(ctx, Layout(ctx, 1, &layout));
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
class PenaltyGradOp : public PerUnitKernel {
 public:
  using PerUnitKernel::PerUnitKernel;

  void Compute(OpKernelContext* ctx) override {
    UnitLayout layout;
    OP_REQUIRES_OK(ctx, Layout(ctx, 2, &layout));
    const Tensor& x = ctx->input(0);
    const Tensor& grad = ctx->input(1);
    OP_REQUIRES(ctx, grad.shape() == layout.batch_shape,
                absl::InvalidArgumentError(
                    "grad must have the penalty's shape " +
                    layout.batch_shape.DebugString() + ", got " +
                    grad.shape().DebugString()));
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
