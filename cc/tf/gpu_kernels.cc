// GPU kernels for quantize, penalty, the fused forward and the penalty
// gradient: input checks as the CPU kernels' (math_checks.h), math in cc/cuda
// (launched on TensorFlow's stream). Built only when CMake found a CUDA toolkit. The coding ops
// (encode/decode/bits) have CPU kernels only: strings live in host memory, so
// TensorFlow places them on the CPU by itself.
//
// l1 is read on the host (HostMemory), so the launchers get it by value.
#include <cuda_runtime_api.h>

#include <cstdint>
#include <string>

#include "kernel_util.h"
#include "laplace_rice/cuda_kernels.h"
#include "math_checks.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/register_types.h"
#include "tensorflow/core/framework/tensor.h"
#include "xla/stream_executor/stream.h"

namespace laplace_rice {
namespace {

using tensorflow::DEVICE_GPU;
using tensorflow::OpKernel;
using tensorflow::OpKernelContext;
using tensorflow::Tensor;

template <typename T>
struct DTypeOf;
template <>
struct DTypeOf<Eigen::half> {
  static constexpr cuda::DType value = cuda::DType::kHalf;
};
template <>
struct DTypeOf<Eigen::bfloat16> {
  static constexpr cuda::DType value = cuda::DType::kBFloat16;
};
template <>
struct DTypeOf<float> {
  static constexpr cuda::DType value = cuda::DType::kFloat;
};
template <>
struct DTypeOf<double> {
  static constexpr cuda::DType value = cuda::DType::kDouble;
};

absl::Status GetStream(OpKernelContext* ctx, cudaStream_t* stream) {
  auto* device_context = ctx->op_device_context();
  if (device_context == nullptr || device_context->stream() == nullptr) {
    return absl::InternalError("laplace_rice: no GPU stream for this kernel");
  }
  *stream = reinterpret_cast<cudaStream_t>(
      device_context->stream()->platform_specific_handle().stream);
  // A null handle is CUDA's legacy default stream: launching there would run
  // unordered with TensorFlow's stream (its inputs may not be ready, its
  // outputs read too early), so refuse instead of computing garbage.
  if (*stream == nullptr) {
    return absl::InternalError(
        "laplace_rice: TensorFlow's GPU stream has no CUDA handle (null); "
        "refusing to launch on the legacy default stream");
  }
  return absl::OkStatus();
}

absl::Status LaunchStatus(cudaError_t error, const char* what) {
  if (error == cudaSuccess) return absl::OkStatus();
  return absl::InternalError(std::string("laplace_rice: ") + what +
                             " kernel launch failed: " +
                             cudaGetErrorString(error));
}

template <typename T>
double ScalarL1(const Tensor& l1) {
  return static_cast<double>(static_cast<float>(l1.scalar<T>()()));
}
template <>
double ScalarL1<double>(const Tensor& l1) {
  return l1.scalar<double>()();
}

template <typename T>
class GpuQuantizeOp : public OpKernel {
 public:
  using OpKernel::OpKernel;

  void Compute(OpKernelContext* ctx) override {
    const Tensor& x = ctx->input(0);
    Tensor* y = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, x.shape(), &y));
    if (x.NumElements() == 0) return;
    cudaStream_t stream;
    OP_REQUIRES_OK(ctx, GetStream(ctx, &stream));
    OP_REQUIRES_OK(ctx, LaunchStatus(cuda::Quantize(DTypeOf<T>::value,
                                                    x.flat<T>().data(),
                                                    y->flat<T>().data(),
                                                    x.NumElements(), stream),
                                     "quantize"));
  }
};

// The per-unit kernels: the shared input checks, then the stream.
class GpuPerUnitKernel : public PerUnitMathKernel {
 public:
  using PerUnitMathKernel::PerUnitMathKernel;

 protected:
  absl::Status Prepare(OpKernelContext* ctx, bool has_grad, UnitLayout* layout,
                       cudaStream_t* stream) const {
    TF_RETURN_IF_ERROR(CheckInputs(ctx, has_grad, layout));
    return GetStream(ctx, stream);
  }

  // Scratch memory for the penalty's per-chunk sums, if the layout needs it.
  static absl::Status Workspace(OpKernelContext* ctx, cuda::DType dtype,
                                const UnitLayout& layout, Tensor* scratch,
                                void** workspace) {
    const size_t bytes = cuda::PenaltyWorkspaceBytes(dtype, layout.num_units,
                                                     layout.unit_size);
    *workspace = nullptr;
    if (bytes == 0) return absl::OkStatus();
    TF_RETURN_IF_ERROR(ctx->allocate_temp(
        tensorflow::DT_INT8,
        tensorflow::TensorShape({static_cast<int64_t>(bytes)}), scratch));
    *workspace = scratch->flat<int8_t>().data();
    return absl::OkStatus();
  }

  int coding_rank_ = 0;
};

template <typename T>
class GpuPenaltyOp : public GpuPerUnitKernel {
 public:
  using GpuPerUnitKernel::GpuPerUnitKernel;

  void Compute(OpKernelContext* ctx) override {
    UnitLayout layout;
    cudaStream_t stream;
    OP_REQUIRES_OK(ctx, Prepare(ctx, /*has_grad=*/false, &layout, &stream));
    Tensor* penalty = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, layout.batch_shape, &penalty));
    if (layout.num_units == 0) return;
    Tensor scratch;
    void* workspace;
    OP_REQUIRES_OK(ctx, Workspace(ctx, DTypeOf<T>::value, layout, &scratch,
                                  &workspace));
    OP_REQUIRES_OK(
        ctx, LaunchStatus(cuda::Penalty(DTypeOf<T>::value,
                                        ctx->input(0).flat<T>().data(),
                                        layout.num_units, layout.unit_size,
                                        ScalarL1<T>(ctx->input(1)),
                                        penalty->flat<T>().data(), workspace,
                                        stream),
                          "penalty"));
  }
};

template <typename T>
class GpuQuantizePenaltyOp : public GpuPerUnitKernel {
 public:
  using GpuPerUnitKernel::GpuPerUnitKernel;

  void Compute(OpKernelContext* ctx) override {
    UnitLayout layout;
    cudaStream_t stream;
    OP_REQUIRES_OK(ctx, Prepare(ctx, /*has_grad=*/false, &layout, &stream));
    const Tensor& x = ctx->input(0);
    Tensor* quantized = nullptr;
    Tensor* penalty = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, x.shape(), &quantized));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(1, layout.batch_shape, &penalty));
    if (layout.num_units == 0) return;
    Tensor scratch;
    void* workspace;
    OP_REQUIRES_OK(ctx, Workspace(ctx, DTypeOf<T>::value, layout, &scratch,
                                  &workspace));
    OP_REQUIRES_OK(
        ctx, LaunchStatus(cuda::QuantizePenalty(
                              DTypeOf<T>::value, x.flat<T>().data(),
                              layout.num_units, layout.unit_size,
                              ScalarL1<T>(ctx->input(1)),
                              quantized->flat<T>().data(),
                              penalty->flat<T>().data(), workspace, stream),
                          "quantize_penalty"));
  }
};

template <typename T>
class GpuPenaltyGradOp : public GpuPerUnitKernel {
 public:
  using GpuPerUnitKernel::GpuPerUnitKernel;

  void Compute(OpKernelContext* ctx) override {
    UnitLayout layout;
    cudaStream_t stream;
    OP_REQUIRES_OK(ctx, Prepare(ctx, /*has_grad=*/true, &layout, &stream));
    const Tensor& x = ctx->input(0);
    const Tensor& grad = ctx->input(1);
    Tensor* dx = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, x.shape(), &dx));
    if (x.NumElements() == 0) return;
    OP_REQUIRES_OK(
        ctx, LaunchStatus(cuda::PenaltyGrad(DTypeOf<T>::value,
                                            x.flat<T>().data(),
                                            grad.flat<T>().data(),
                                            layout.num_units, layout.unit_size,
                                            ScalarL1<T>(ctx->input(2)),
                                            dx->flat<T>().data(), stream),
                          "penalty_grad"));
  }
};

#define REGISTER_GPU_MATH_KERNELS(T)                                          \
  REGISTER_KERNEL_BUILDER(                                                    \
      Name("LaplaceRiceQuantize").Device(DEVICE_GPU).TypeConstraint<T>("T"),  \
      GpuQuantizeOp<T>);                                                      \
  REGISTER_KERNEL_BUILDER(Name("LaplaceRicePenalty")                          \
                              .Device(DEVICE_GPU)                             \
                              .TypeConstraint<T>("T")                         \
                              .HostMemory("l1"),                              \
                          GpuPenaltyOp<T>);                                   \
  REGISTER_KERNEL_BUILDER(Name("LaplaceRiceQuantizePenalty")                  \
                              .Device(DEVICE_GPU)                             \
                              .TypeConstraint<T>("T")                         \
                              .HostMemory("l1"),                              \
                          GpuQuantizePenaltyOp<T>);                           \
  REGISTER_KERNEL_BUILDER(Name("LaplaceRicePenaltyGrad")                      \
                              .Device(DEVICE_GPU)                             \
                              .TypeConstraint<T>("T")                         \
                              .HostMemory("l1"),                              \
                          GpuPenaltyGradOp<T>);
REGISTER_GPU_MATH_KERNELS(Eigen::half)
REGISTER_GPU_MATH_KERNELS(Eigen::bfloat16)
REGISTER_GPU_MATH_KERNELS(float)
REGISTER_GPU_MATH_KERNELS(double)
#undef REGISTER_GPU_MATH_KERNELS

}  // namespace
}  // namespace laplace_rice
