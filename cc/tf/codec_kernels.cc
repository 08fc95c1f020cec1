// CPU kernels that encode, count and decode coding units. Each call handles
// the whole batch, one unit per task on TensorFlow's intra-op thread pool,
// or, for a few large units, each unit's parts on the pool. All coding, and
// how a unit is encoded (EncodeUnit: one pass or count first, parts, the
// output budget), is cc/codec's; these kernels allocate, thread and convert
// errors.
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "kernel_util.h"
#include "laplace_rice/codec.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/tensor.h"
#include "tensorflow/core/framework/tensor_shape.h"

namespace laplace_rice {
namespace {

using tensorflow::DEVICE_CPU;
using tensorflow::OpKernel;
using tensorflow::OpKernelConstruction;
using tensorflow::OpKernelContext;
using tensorflow::Tensor;
using tensorflow::TensorShape;
using tensorflow::tstring;

// Rough cycle costs per value, for shard sizing.
constexpr int64_t kCodeCyclesPerValue = 8;
constexpr int64_t kCyclesPerUnit = 200;

// The codec's options for a unit cut into parts on TensorFlow's intra-op
// pool, one shard a part.
EncodeOptions PartsOnPool(OpKernelContext* ctx) {
  EncodeOptions options;
  options.max_parts = static_cast<size_t>(
      ctx->device()->tensorflow_cpu_worker_threads()->num_threads);
  options.run = [ctx](size_t n, const std::function<void(size_t)>& task) {
    ParallelFor(ctx, static_cast<int64_t>(n), int64_t{1} << 30,
                [&](int64_t begin, int64_t end) {
                  for (int64_t i = begin; i < end; ++i) task(static_cast<size_t>(i));
                });
  };
  return options;
}

// Whether the pool goes to the parts of each unit in turn rather than to
// the units: fewer units than threads, and units the codec would cut.
bool SpreadUnitsOverParts(OpKernelContext* ctx, const UnitLayout& layout) {
  const int threads = ctx->device()->tensorflow_cpu_worker_threads()->num_threads;
  return layout.num_units < threads &&
         PartsForUnit(static_cast<uint64_t>(layout.unit_size),
                      static_cast<size_t>(threads)) > 1;
}

// Shared by the encoder and the bit counter: attributes and unit layout.
class UnitKernel : public OpKernel {
 public:
  explicit UnitKernel(OpKernelConstruction* ctx) : OpKernel(ctx) {
    OP_REQUIRES_OK(ctx, ctx->GetAttr("coding_rank", &coding_rank_));
    OP_REQUIRES_OK(ctx, ReadCodeParams(ctx, &params_));
  }

 protected:
  absl::Status Layout(const Tensor& data, UnitLayout* layout) const {
    TF_RETURN_IF_ERROR(GetUnitLayout(data.shape(), coding_rank_, layout));
    return ToTfStatus(ValidateUnitSize(static_cast<uint64_t>(layout->unit_size)));
  }

  int64_t UnitCost(const UnitLayout& layout) const {
    return layout.unit_size * kCodeCyclesPerValue + kCyclesPerUnit;
  }

  int coding_rank_ = 0;
  CodeParams params_;
};

template <typename T>
class EncodeOp : public UnitKernel {
 public:
  using UnitKernel::UnitKernel;

  void Compute(OpKernelContext* ctx) override {
    const Tensor& data = ctx->input(0);
    UnitLayout layout;
    OP_REQUIRES_OK(ctx, Layout(data, &layout));
    Tensor* strings_tensor = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, layout.batch_shape,
                                             &strings_tensor));
    auto strings = strings_tensor->flat<tstring>();
    const T* values = data.flat<T>().data();
    const size_t unit_size = static_cast<size_t>(layout.unit_size);

    FirstError error;
    OutputBudget budget(MaxOutputBytes(), kOutputLimitSource);
    const auto encode = [&](int64_t unit, EncodeOptions options) {
      tstring* out = &strings(unit);
      options.budget = &budget;
      const Status status = EncodeUnit(
          values + unit * layout.unit_size, unit_size, params_, options,
          [out](size_t size) {
            out->resize_uninitialized(size);
            return reinterpret_cast<uint8_t*>(out->mdata());
          });
      if (!status.ok()) error.Record(unit, status);
    };
    if (SpreadUnitsOverParts(ctx, layout)) {
      for (int64_t unit = 0; unit < layout.num_units; ++unit) {
        encode(unit, PartsOnPool(ctx));
      }
    } else {
      ParallelFor(ctx, layout.num_units, UnitCost(layout),
                  [&](int64_t begin, int64_t end) {
                    EncodeBuffer scratch;  // reused by the shard's units
                    EncodeOptions options;
                    options.scratch = &scratch;
                    for (int64_t unit = begin; unit < end; ++unit) {
                      encode(unit, options);
                    }
                  });
    }
    OP_REQUIRES_OK(ctx, error.ToTfStatus());
  }
};

template <typename T>
class BitsOp : public UnitKernel {
 public:
  using UnitKernel::UnitKernel;

  void Compute(OpKernelContext* ctx) override {
    const Tensor& data = ctx->input(0);
    UnitLayout layout;
    OP_REQUIRES_OK(ctx, Layout(data, &layout));
    Tensor* bits_tensor = nullptr;
    OP_REQUIRES_OK(ctx,
                   ctx->allocate_output(0, layout.batch_shape, &bits_tensor));
    auto bits_out = bits_tensor->flat<int64_t>();
    const T* values = data.flat<T>().data();
    const size_t unit_size = static_cast<size_t>(layout.unit_size);

    FirstError error;
    if (SpreadUnitsOverParts(ctx, layout)) {
      for (int64_t unit = 0; unit < layout.num_units; ++unit) {
        uint64_t bits = 0;
        const Status status =
            CountUnitBits(values + unit * layout.unit_size, unit_size,
                          params_, PartsOnPool(ctx), &bits);
        if (!status.ok()) error.Record(unit, status);
        bits_out(unit) = static_cast<int64_t>(8 * BytesForBits(bits));
      }
      OP_REQUIRES_OK(ctx, error.ToTfStatus());
      return;
    }
    ParallelFor(ctx, layout.num_units, UnitCost(layout),
                [&](int64_t begin, int64_t end) {
                  for (int64_t unit = begin; unit < end; ++unit) {
                    uint64_t bits = 0;
                    const Status status =
                        CountBits(values + unit * layout.unit_size, unit_size,
                                  params_, &bits);
                    if (!status.ok()) error.Record(unit, status);
                    // What compress() returns: whole bytes.
                    bits_out(unit) = static_cast<int64_t>(8 * BytesForBits(bits));
                  }
                });
    OP_REQUIRES_OK(ctx, error.ToTfStatus());
  }
};

// Out (out_type): int32, or float/double decoded straight into, which spares
// decompress() a cast over the whole tensor.
template <typename Tshape, typename Out>
class DecodeOp : public OpKernel {
 public:
  explicit DecodeOp(OpKernelConstruction* ctx) : OpKernel(ctx) {
    OP_REQUIRES_OK(ctx, ReadCodeParams(ctx, &params_));
  }

  void Compute(OpKernelContext* ctx) override {
    const Tensor& strings_tensor = ctx->input(0);
    TensorShape code_shape;
    OP_REQUIRES_OK(ctx, ReadCodeShape(ctx->input(1), &code_shape));
    const int64_t unit_size = code_shape.num_elements();
    OP_REQUIRES_OK(ctx, ToTfStatus(ValidateUnitSize(
                            static_cast<uint64_t>(unit_size))));

    auto strings = strings_tensor.flat<tstring>();
    const int64_t num_units = strings.size();
    // Refuse before allocating the output: units too large for their
    // strings (a hostile code_shape), and outputs beyond memory.
    for (int64_t unit = 0; unit < num_units; ++unit) {
      const uint64_t size = strings(unit).size();
      OP_REQUIRES(ctx,
                  static_cast<uint64_t>(unit_size) <=
                      MaxValuesInBytes(size, params_),
                  absl::DataLossError(
                      "coding unit " + std::to_string(unit) + ": a string of " +
                      std::to_string(size) + " bytes cannot hold " +
                      std::to_string(unit_size) +
                      " values with these parameters (wrong code_shape?)"));
    }
    TensorShape out_shape = strings_tensor.shape();
    OP_REQUIRES_OK(ctx, out_shape.AppendShapeWithStatus(code_shape));
    const uint64_t out_elements = static_cast<uint64_t>(out_shape.num_elements());
    OP_REQUIRES(ctx, out_elements <= MaxOutputBytes() / sizeof(Out),
                ToTfStatus(OutputTooLarge(
                    "the decoded tensor of shape " + out_shape.DebugString(),
                    std::min(out_elements, ~uint64_t{0} / 8) * sizeof(Out))));
    Tensor* data_tensor = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, out_shape, &data_tensor));
    Out* data = data_tensor->flat<Out>().data();

    FirstError error;
    ParallelFor(ctx, num_units, unit_size * kCodeCyclesPerValue + kCyclesPerUnit,
                [&](int64_t begin, int64_t end) {
                  for (int64_t unit = begin; unit < end; ++unit) {
                    const tstring& code = strings(unit);
                    const Status status = DecodeTo(
                        reinterpret_cast<const uint8_t*>(code.data()),
                        code.size(), params_, data + unit * unit_size,
                        static_cast<size_t>(unit_size));
                    if (!status.ok()) error.Record(unit, status);
                  }
                });
    OP_REQUIRES_OK(ctx, error.ToTfStatus());
  }

 private:
  static absl::Status ReadCodeShape(const Tensor& tensor, TensorShape* shape) {
    if (tensor.dims() != 1) {
      return absl::InvalidArgumentError(
          "code_shape must be a vector, got shape " +
          tensor.shape().DebugString());
    }
    auto dims = tensor.vec<Tshape>();
    for (int64_t i = 0; i < dims.size(); ++i) {
      if (dims(i) < 0) {
        return absl::InvalidArgumentError(
            "code_shape[" + std::to_string(i) + "] = " +
            std::to_string(dims(i)) + " must not be negative");
      }
      TF_RETURN_IF_ERROR(shape->AddDimWithStatus(dims(i)));
    }
    return absl::OkStatus();
  }

  CodeParams params_;
};

#define REGISTER_UNIT_KERNELS(T)                                              \
  REGISTER_KERNEL_BUILDER(                                                    \
      Name("LaplaceRiceEncode").Device(DEVICE_CPU).TypeConstraint<T>("T"),    \
      EncodeOp<T>);                                                           \
  REGISTER_KERNEL_BUILDER(                                                    \
      Name("LaplaceRiceBits").Device(DEVICE_CPU).TypeConstraint<T>("T"),      \
      BitsOp<T>);
REGISTER_UNIT_KERNELS(int32_t)
REGISTER_UNIT_KERNELS(float)
REGISTER_UNIT_KERNELS(double)
#undef REGISTER_UNIT_KERNELS

#define REGISTER_DECODE_KERNEL(Tshape, Out)                      \
  REGISTER_KERNEL_BUILDER(Name("LaplaceRiceDecode")              \
                              .Device(DEVICE_CPU)                \
                              .HostMemory("code_shape")          \
                              .TypeConstraint<Tshape>("Tshape")  \
                              .TypeConstraint<Out>("out_type"),  \
                          DecodeOp<Tshape, Out>);
REGISTER_DECODE_KERNEL(int32_t, int32_t)
REGISTER_DECODE_KERNEL(int64_t, int32_t)
REGISTER_DECODE_KERNEL(int32_t, float)
REGISTER_DECODE_KERNEL(int64_t, float)
REGISTER_DECODE_KERNEL(int32_t, double)
REGISTER_DECODE_KERNEL(int64_t, double)
#undef REGISTER_DECODE_KERNEL

}  // namespace
}  // namespace laplace_rice
