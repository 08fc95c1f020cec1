// XLA lowerings of quantize, penalty, the fused forward and the penalty
// gradient, so that models using them compile under
// tf.function(jit_compile=True) (CPU and GPU XLA backends alike).
//
// The HLO follows cc/math (<laplace_rice/math.h>) step by step, so compiled and
// uncompiled results agree: 16-bit and 32-bit values are computed in float,
// sums accumulate in double, the sum is rounded to T (through float, as
// Eigen::half(double) does) before it is multiplied by l1, and l1 * grad is
// rounded to T before it is multiplied by sign(x). Only the order of the
// double-precision sum may differ.
//
// One translation unit on purpose: XLA's builder headers are slow to compile.
#include <cstdint>
#include <string>
#include <vector>

#include "tensorflow/compiler/tf2xla/xla_op_kernel.h"
#include "tensorflow/compiler/tf2xla/xla_op_registry.h"
#include "xla/hlo/builder/lib/constants.h"
#include "xla/hlo/builder/xla_builder.h"
#include "xla/xla_data.pb.h"

namespace laplace_rice {
namespace {

using tensorflow::XlaOpKernel;
using tensorflow::XlaOpKernelContext;

// The type the math runs in: double for double, else float.
xla::PrimitiveType WideType(xla::PrimitiveType type) {
  return type == xla::F64 ? xla::F64 : xla::F32;
}

// A double rounded to `type` the way static_cast<T>(double) does on the CPU.
xla::XlaOp FromDouble(xla::XlaOp value, xla::PrimitiveType type) {
  if (type == xla::F64) return value;
  const xla::XlaOp as_float = xla::ConvertElementType(value, xla::F32);
  return type == xla::F32 ? as_float : xla::ConvertElementType(as_float, type);
}

xla::XlaOp ToWide(xla::XlaOp value, xla::PrimitiveType type) {
  return xla::ConvertElementType(value, WideType(type));
}

// l1 * sum(|x|) over the innermost coding_rank dimensions.
xla::XlaOp PenaltyHlo(XlaOpKernelContext* ctx, xla::XlaOp x, xla::XlaOp l1,
                      int rank, int coding_rank) {
  const xla::PrimitiveType type = ctx->input_xla_type(0);
  xla::XlaBuilder* builder = ctx->builder();
  std::vector<int64_t> unit_dims;
  for (int d = rank - coding_rank; d < rank; ++d) unit_dims.push_back(d);
  xla::XlaOp sum = xla::Abs(xla::ConvertElementType(x, xla::F64));
  if (!unit_dims.empty()) {
    sum = xla::Reduce(sum, xla::Zero(builder, xla::F64),
                      *ctx->GetOrCreateAdd(tensorflow::DT_DOUBLE), unit_dims);
  }
  const xla::XlaOp rounded_sum = ToWide(FromDouble(sum, type), type);
  return xla::ConvertElementType(xla::Mul(ToWide(l1, type), rounded_sum),
                                 type);
}

class QuantizeXlaOp : public XlaOpKernel {
 public:
  using XlaOpKernel::XlaOpKernel;

  void Compile(XlaOpKernelContext* ctx) override {
    ctx->SetOutput(0, xla::RoundNearestEven(ctx->Input(0)));
  }
};

// Attribute and shape checks shared by the per-unit lowerings.
class PerUnitXlaOp : public XlaOpKernel {
 public:
  explicit PerUnitXlaOp(tensorflow::OpKernelConstruction* ctx)
      : XlaOpKernel(ctx) {
    OP_REQUIRES_OK(ctx, ctx->GetAttr("coding_rank", &coding_rank_));
  }

 protected:
  absl::Status CheckShapes(XlaOpKernelContext* ctx, int l1_input) const {
    const tensorflow::TensorShape shape = ctx->InputShape(0);
    if (shape.dims() < coding_rank_) {
      return absl::InvalidArgumentError(
          "input must have at least coding_rank = " +
          std::to_string(coding_rank_) + " dimensions, got shape " +
          shape.DebugString());
    }
    if (ctx->InputShape(l1_input).dims() != 0) {
      return absl::InvalidArgumentError(
          "l1 must be a scalar, got shape " +
          ctx->InputShape(l1_input).DebugString());
    }
    return absl::OkStatus();
  }

  int coding_rank_ = 0;
};

class PenaltyXlaOp : public PerUnitXlaOp {
 public:
  using PerUnitXlaOp::PerUnitXlaOp;

  void Compile(XlaOpKernelContext* ctx) override {
    OP_REQUIRES_OK(ctx, CheckShapes(ctx, 1));
    ctx->SetOutput(0, PenaltyHlo(ctx, ctx->Input(0), ctx->Input(1),
                                 ctx->InputShape(0).dims(), coding_rank_));
  }
};

class QuantizePenaltyXlaOp : public PerUnitXlaOp {
 public:
  using PerUnitXlaOp::PerUnitXlaOp;

  void Compile(XlaOpKernelContext* ctx) override {
    OP_REQUIRES_OK(ctx, CheckShapes(ctx, 1));
    const xla::XlaOp x = ctx->Input(0);
    ctx->SetOutput(0, xla::RoundNearestEven(x));
    ctx->SetOutput(1, PenaltyHlo(ctx, x, ctx->Input(1),
                                 ctx->InputShape(0).dims(), coding_rank_));
  }
};

// dx = sign(x) * (l1 * grad rounded to T), grad broadcast over each unit.
class PenaltyGradXlaOp : public PerUnitXlaOp {
 public:
  using PerUnitXlaOp::PerUnitXlaOp;

  void Compile(XlaOpKernelContext* ctx) override {
    OP_REQUIRES_OK(ctx, CheckShapes(ctx, 2));
    const tensorflow::TensorShape shape = ctx->InputShape(0);
    const int batch_rank = shape.dims() - coding_rank_;
    tensorflow::TensorShape batch_shape;
    for (int d = 0; d < batch_rank; ++d) batch_shape.AddDim(shape.dim_size(d));
    OP_REQUIRES(ctx, ctx->InputShape(1) == batch_shape,
                absl::InvalidArgumentError(
                    "grad must have the penalty's shape " +
                    batch_shape.DebugString() + ", got " +
                    ctx->InputShape(1).DebugString()));
    const xla::PrimitiveType type = ctx->input_xla_type(0);
    const xla::PrimitiveType wide = WideType(type);
    const xla::XlaOp x = ToWide(ctx->Input(0), type);
    const xla::XlaOp scale = ToWide(
        xla::ConvertElementType(
            xla::Mul(ToWide(ctx->Input(2), type), ToWide(ctx->Input(1), type)),
            type),
        type);
    std::vector<int64_t> batch_dims;
    for (int d = 0; d < batch_rank; ++d) batch_dims.push_back(d);
    const xla::XlaOp unit_scale =
        xla::BroadcastInDim(scale, shape.dim_sizes(), batch_dims);
    // sign(x) with NaN and -0 giving 0, as the CPU kernel's comparisons do.
    xla::XlaBuilder* builder = ctx->builder();
    const xla::XlaOp zero = xla::Zero(builder, wide);
    const xla::XlaOp sign =
        xla::Sub(xla::ConvertElementType(xla::Gt(x, zero), wide),
                 xla::ConvertElementType(xla::Lt(x, zero), wide));
    ctx->SetOutput(0, xla::ConvertElementType(xla::Mul(sign, unit_scale), type));
  }
};

REGISTER_XLA_OP(Name("LaplaceRiceQuantize"), QuantizeXlaOp);
REGISTER_XLA_OP(Name("LaplaceRicePenalty"), PenaltyXlaOp);
REGISTER_XLA_OP(Name("LaplaceRiceQuantizePenalty"), QuantizePenaltyXlaOp);
REGISTER_XLA_OP(Name("LaplaceRicePenaltyGrad"), PenaltyGradXlaOp);

}  // namespace
}  // namespace laplace_rice
