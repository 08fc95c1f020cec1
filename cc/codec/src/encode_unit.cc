// The encoding policy (codec.h, EncodeUnit): how one unit is encoded when
// the caller only wants its string. The TensorFlow op and the Python module
// call this instead of choosing among the entry points themselves.
//
//   many values, threads to spare  ->  parts on the runner (EncodeParallel)
//   otherwise                      ->  one pass into scratch memory (the
//                                      caller's or the pool's), copied into
//                                      the caller's allocation
//   a string that outgrows its input -> counted first, written once
//
// One pass beats counting first (the count costs about as much as the
// write), and the copy of a few bits per value is cheap. Every string's size
// is taken from the budget before anything of that size is allocated.
#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "laplace_rice/codec.h"
#include "ranges.h"
#include "scratch_pool.h"

namespace laplace_rice {

using internal::EncodeBufferAccess;

size_t PartsForUnit(uint64_t count, size_t max_parts) {
  const uint64_t parts = std::min<uint64_t>(max_parts, count / kMinValuesPerPart);
  return static_cast<size_t>(std::max<uint64_t>(parts, 1));
}

OutputBudget::OutputBudget(uint64_t limit, std::string limit_source)
    : limit_(limit), limit_source_(std::move(limit_source)) {}

Status OutputBudget::Take(uint64_t bytes, const std::string& what) {
  const uint64_t total = total_.fetch_add(bytes) + bytes;
  if (total > limit_ || total < bytes) return TooLarge(what, total);
  return Status();
}

Status OutputBudget::TooLarge(const std::string& what, uint64_t bytes) const {
  return Status::InvalidArgument(
      what + " would take " + std::to_string(bytes) +
      " bytes, more than the limit of " + std::to_string(limit_) + " (" +
      limit_source_ + ")");
}

namespace {

// `allocate`, after taking the size from `budget` (if any). A refusal
// returns null and leaves its reason in `*refusal`.
Allocator BudgetedAllocator(const Allocator& allocate, OutputBudget* budget,
                            Status* refusal) {
  return [&allocate, budget, refusal](size_t size) -> uint8_t* {
    if (budget != nullptr) {
      *refusal = budget->Take(size, "the encoded strings");
      if (!refusal->ok()) return nullptr;
    }
    return allocate(size);
  };
}

Status CannotAllocate() {
  return Status::InvalidArgument("cannot allocate the output string");
}

}  // namespace

template <typename T>
Status EncodeUnit(const T* values, size_t count, const CodeParams& params,
                  const EncodeOptions& options, const Allocator& allocate) {
  Status refusal;
  const Allocator budgeted =
      BudgetedAllocator(allocate, options.budget, &refusal);
  const size_t parts = options.run ? PartsForUnit(count, options.max_parts) : 1;
  if (parts > 1) {
    const Status status =
        EncodeParallel(values, count, params, parts, options.run, budgeted);
    return refusal.ok() ? status : refusal;
  }

  Status status = internal::ValidateCall(params, count);
  if (!status.ok()) return status;
  // The pool's memory only without the caller's (a batch's many small
  // units pass theirs).
  std::optional<internal::ScratchBytes> pooled;
  std::vector<uint8_t>& bytes =
      options.scratch != nullptr ? EncodeBufferAccess::Bytes(options.scratch)
                                 : *pooled.emplace().get();
  uint64_t bits = 0;
  bool fits = false;
  status = internal::WriteRangeToVector(values, 0, count, params,
                                        internal::OnePassLimit<T>(0, count),
                                        &bytes, &bits, &fits);
  if (options.scratch != nullptr) {
    EncodeBufferAccess::SetString(options.scratch, 0);  // no string kept in it
  }
  if (!status.ok()) return status;
  if (fits) {
    const size_t size = static_cast<size_t>(BytesForBits(bits));
    uint8_t* out = budgeted(size);
    if (!refusal.ok()) return refusal;
    if (out == nullptr && size > 0) return CannotAllocate();
    if (size > 0) std::memcpy(out, bytes.data(), size);
    return Status();
  }
  // Too long for one pass: size the string (no memory taken) and refuse it
  // before allocating, or write it once.
  status = internal::CountRangeBits(values, 0, count, params, &bits);
  if (!status.ok()) return status;
  const size_t size = static_cast<size_t>(BytesForBits(bits));
  uint8_t* out = budgeted(size);
  if (!refusal.ok()) return refusal;
  if (out == nullptr && size > 0) return CannotAllocate();
  return internal::WriteRangeInto(values, 0, count, params, out, size);
}

template <typename T>
Status CountUnitBits(const T* values, size_t count, const CodeParams& params,
                     const EncodeOptions& options, uint64_t* bits) {
  const size_t parts = options.run ? PartsForUnit(count, options.max_parts) : 1;
  if (parts > 1) {
    return CountBitsParallel(values, count, params, parts, options.run, bits);
  }
  return CountBits(values, count, params, bits);
}

#define LAPLACE_RICE_INSTANTIATE(T)                                           \
  template LAPLACE_RICE_API Status EncodeUnit<T>(                             \
      const T*, size_t, const CodeParams&, const EncodeOptions&,              \
      const Allocator&);                                                      \
  template LAPLACE_RICE_API Status CountUnitBits<T>(                          \
      const T*, size_t, const CodeParams&, const EncodeOptions&, uint64_t*);
LAPLACE_RICE_INSTANTIATE(int32_t)
LAPLACE_RICE_INSTANTIATE(float)
LAPLACE_RICE_INSTANTIATE(double)
#undef LAPLACE_RICE_INSTANTIATE

}  // namespace laplace_rice
