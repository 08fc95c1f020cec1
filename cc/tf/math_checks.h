// Attributes and input checks of the per-unit math ops (penalty, the fused
// forward, the penalty gradient), shared by their CPU kernels
// (math_kernels.cc) and GPU kernels (gpu_kernels.cc) so that both accept and
// reject the same inputs with the same messages.
#ifndef LAPLACE_RICE_CC_TF_MATH_CHECKS_H_
#define LAPLACE_RICE_CC_TF_MATH_CHECKS_H_

#include "kernel_util.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/tensor.h"
#include "tensorflow/core/framework/tensor_shape.h"

namespace laplace_rice {

// Base of the per-unit kernels: reads `coding_rank`, checks the inputs.
class PerUnitMathKernel : public tensorflow::OpKernel {
 public:
  explicit PerUnitMathKernel(tensorflow::OpKernelConstruction* ctx)
      : OpKernel(ctx) {
    OP_REQUIRES_OK(ctx, ctx->GetAttr("coding_rank", &coding_rank_));
  }

 protected:
  // The inputs are x, then grad (PenaltyGrad only), then l1. Checks that l1
  // is a scalar, that x has at least coding_rank dimensions, and that grad
  // has the penalty's shape (x's batch dimensions); sets `layout`.
  absl::Status CheckInputs(tensorflow::OpKernelContext* ctx, bool has_grad,
                           UnitLayout* layout) const {
    const tensorflow::Tensor& l1 = ctx->input(has_grad ? 2 : 1);
    if (l1.dims() != 0) {
      return absl::InvalidArgumentError("l1 must be a scalar, got shape " +
                                        l1.shape().DebugString());
    }
    TF_RETURN_IF_ERROR(
        GetUnitLayout(ctx->input(0).shape(), coding_rank_, layout));
    if (has_grad && ctx->input(1).shape() != layout->batch_shape) {
      return absl::InvalidArgumentError(
          "grad must have the penalty's shape " +
          layout->batch_shape.DebugString() + ", got " +
          ctx->input(1).shape().DebugString());
    }
    return absl::OkStatus();
  }

  int coding_rank_ = 0;
};

}  // namespace laplace_rice

#endif  // LAPLACE_RICE_CC_TF_MATH_CHECKS_H_
