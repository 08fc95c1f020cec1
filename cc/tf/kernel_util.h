// Helpers shared by the CPU kernels: attributes, unit layout, threading and
// error reporting. No coding logic lives here.
#ifndef LAPLACE_RICE_CC_TF_KERNEL_UTIL_H_
#define LAPLACE_RICE_CC_TF_KERNEL_UTIL_H_

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <limits>
#include <mutex>
#include <string>

#include "laplace_rice/codec.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/tensor_shape.h"

namespace laplace_rice {

inline absl::Status ToTfStatus(const Status& status) {
  switch (status.code()) {
    case ErrorCode::kOk:
      return absl::OkStatus();
    case ErrorCode::kInvalidArgument:
      return absl::InvalidArgumentError(status.message());
    case ErrorCode::kDataLoss:
      return absl::DataLossError(status.message());
  }
  return absl::InternalError(status.message());
}

// The most bytes of output one kernel call may produce: the machine's
// memory, or its cgroup's limit if lower, or LAPLACE_RICE_MAX_OUTPUT_BYTES
// when set (read once). A hostile or mistaken request beyond it fails with
// InvalidArgument instead of getting the process killed for memory; note
// that a few bytes of string can stand for gigabytes of zeros.
inline uint64_t ReadMemoryLimit() {
  if (const char* env = std::getenv("LAPLACE_RICE_MAX_OUTPUT_BYTES")) {
    char* end = nullptr;
    const unsigned long long value = std::strtoull(env, &end, 10);
    if (end != env && *end == '\0') return value;
  }
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGESIZE);
  uint64_t limit = std::numeric_limits<uint64_t>::max();
  if (pages > 0 && page_size > 0) {
    limit = static_cast<uint64_t>(pages) * static_cast<uint64_t>(page_size);
  }
  for (const char* path : {"/sys/fs/cgroup/memory.max",
                           "/sys/fs/cgroup/memory/memory.limit_in_bytes"}) {
    std::ifstream file(path);
    uint64_t cgroup_limit = 0;
    if (file >> cgroup_limit && cgroup_limit > 0 && cgroup_limit < limit) {
      limit = cgroup_limit;  // "max" (no limit) does not parse
    }
  }
  return limit;
}

inline uint64_t MaxOutputBytes() {
  static const uint64_t limit = ReadMemoryLimit();
  return limit;
}

// Where MaxOutputBytes() comes from, for the errors of the codec's
// OutputBudget: one budget of MaxOutputBytes() per kernel call,
//   OutputBudget budget(MaxOutputBytes(), kOutputLimitSource);
// from which every allocation whose size depends on the data, such as an
// encoded string, takes its bytes first (TensorFlow's strings crash when
// they cannot allocate).
inline constexpr char kOutputLimitSource[] =
    "the machine's memory, or LAPLACE_RICE_MAX_OUTPUT_BYTES";

// InvalidArgument for an output of `bytes` bytes beyond MaxOutputBytes().
inline Status OutputTooLarge(const std::string& what, uint64_t bytes) {
  return OutputBudget(MaxOutputBytes(), kOutputLimitSource).TooLarge(what, bytes);
}

// Reads and checks the three code attributes.
inline absl::Status ReadCodeParams(tensorflow::OpKernelConstruction* ctx,
                                   CodeParams* params) {
  TF_RETURN_IF_ERROR(ctx->GetAttr("run_length_code", &params->run_length_code));
  TF_RETURN_IF_ERROR(ctx->GetAttr("magnitude_code", &params->magnitude_code));
  TF_RETURN_IF_ERROR(ctx->GetAttr("use_run_length_for_non_zeros",
                                  &params->use_run_length_for_non_zeros));
  return ToTfStatus(ValidateParams(*params));
}

// A tensor seen as `num_units` coding units of `unit_size` values each.
struct UnitLayout {
  tensorflow::TensorShape batch_shape;
  int64_t num_units = 0;
  int64_t unit_size = 0;
};

inline absl::Status GetUnitLayout(const tensorflow::TensorShape& shape,
                                  int coding_rank, UnitLayout* layout) {
  if (shape.dims() < coding_rank) {
    return absl::InvalidArgumentError(
        "input must have at least coding_rank = " +
        std::to_string(coding_rank) + " dimensions, got shape " +
        shape.DebugString());
  }
  const int batch_dims = shape.dims() - coding_rank;
  layout->batch_shape = tensorflow::TensorShape();
  layout->unit_size = 1;
  for (int i = 0; i < shape.dims(); ++i) {
    if (i < batch_dims) {
      TF_RETURN_IF_ERROR(layout->batch_shape.AddDimWithStatus(shape.dim_size(i)));
    } else {
      layout->unit_size *= shape.dim_size(i);
    }
  }
  layout->num_units = layout->batch_shape.num_elements();
  return absl::OkStatus();
}

// Runs fn(begin, end) over [0, total) on TensorFlow's intra-op thread pool;
// `cost_per_item` is a rough cycle count that sets the shard size.
inline void ParallelFor(tensorflow::OpKernelContext* ctx, int64_t total,
                        int64_t cost_per_item,
                        const std::function<void(int64_t, int64_t)>& fn) {
  if (total <= 0) return;
  auto* pool = ctx->device()->tensorflow_cpu_worker_threads()->workers;
  // The (total, cost_per_unit, fn) overload is what
  // SchedulingParams::Adaptive(cost) forwards to, and unlike
  // SchedulingParams (absent in TensorFlow 2.16) it exists in every
  // supported TensorFlow.
  pool->ParallelFor(total, cost_per_item, fn);
}

// Keeps the error of the lowest-numbered failing unit, so that the error a
// user sees does not depend on thread scheduling.
class FirstError {
 public:
  void Record(int64_t unit, const Status& status) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (unit < unit_) {
      unit_ = unit;
      status_ = status;
    }
  }

  // The recorded error (naming the unit), or OK.
  absl::Status ToTfStatus() const {
    if (status_.ok()) return absl::OkStatus();
    const Status named =
        status_.code() == ErrorCode::kDataLoss
            ? Status::DataLoss("coding unit " + std::to_string(unit_) + ": " +
                               status_.message())
            : Status::InvalidArgument("coding unit " + std::to_string(unit_) +
                                      ": " + status_.message());
    return laplace_rice::ToTfStatus(named);
  }

 private:
  std::mutex mutex_;
  int64_t unit_ = std::numeric_limits<int64_t>::max();
  Status status_;
};

}  // namespace laplace_rice

#endif  // LAPLACE_RICE_CC_TF_KERNEL_UTIL_H_
