// One large unit in parts on several threads. The string of a unit is the
// concatenation of the strings of its parts when every part but the first
// starts at a split point (values.h): after a non-zero (and, with runs of
// non-zeros, before a zero). So parts can be counted and written
// independently: EncodeParallel writes each part in one pass into memory of
// its own and joins them bit by bit; where a part outgrows its input it
// counts the parts first and moves the cuts forward to where the bits before
// them fill whole bytes, so that each part writes its own bytes of the string.
#include <algorithm>
#include <functional>
#include <utility>
#include <vector>

#include "bit_io.h"
#include "kernels.h"
#include "laplace_rice/codec.h"
#include "ranges.h"
#include "scratch_pool.h"
#include "values.h"

namespace laplace_rice {
namespace internal {
namespace {

struct Part {
  size_t begin = 0;
  size_t end = 0;
  uint64_t bits = 0;
};

Status RunParts(std::vector<Part>& parts, const ParallelRunner& run,
                const std::function<Status(size_t)>& task) {
  std::vector<Status> statuses(parts.size());
  run(parts.size(), [&](size_t i) { statuses[i] = task(i); });
  for (const Status& status : statuses) {
    if (!status.ok()) return status;
  }
  return Status();
}

// Cuts [0, count) into at most `max_parts` parts at split points.
template <typename T>
void CutParts(const T* values, size_t count, const CodeParams& params,
              size_t max_parts, std::vector<Part>* parts) {
  const bool nz_runs = params.use_run_length_for_non_zeros;
  uint32_t suspect = 0;  // rechecked when the parts are coded
  parts->clear();
  size_t begin = 0;
  max_parts = std::max<size_t>(max_parts, 1);
  for (size_t i = 1; i <= max_parts && begin < count; ++i) {
    const size_t target = count / max_parts * i;
    size_t end = count;
    if (i < max_parts) {
      if (target <= begin) continue;
      end = NextSplitPoint(ValueSource<T>{values}, target, count, nz_runs, suspect);
    }
    if (end <= begin) continue;
    parts->push_back(Part{begin, end, 0});
    begin = end;
  }
  if (parts->empty()) parts->push_back(Part{0, count, 0});
}

// Cuts [0, count) into at most `max_parts` parts and counts each.
template <typename T>
Status CountParts(const T* values, size_t count, const CodeParams& params,
                  size_t max_parts, const ParallelRunner& run,
                  std::vector<Part>* parts) {
  Status status = ValidateCall(params, count);
  if (!status.ok()) return status;
  CutParts(values, count, params, max_parts, parts);
  return RunParts(*parts, run, [&](size_t i) {
    Part& part = (*parts)[i];
    return CountRangeBits(values, part.begin, part.end, params, &part.bits);
  });
}

// Moves each cut forward to where the bits before it fill whole bytes (or
// drops it); keeps every part's bit count exact.
template <typename T>
void AlignParts(const T* values, const CodeParams& params,
                std::vector<Part>* parts) {
  const bool nz_runs = params.use_run_length_for_non_zeros;
  std::vector<Part> aligned;
  uint64_t offset = 0;  // bits before the current part
  uint32_t suspect = 0;
  for (const Part& next : *parts) {
    if (aligned.empty()) {
      aligned.push_back(next);
      offset = 0;
      continue;
    }
    Part& last = aligned.back();
    // Grow `last` into `next` one split point at a time.
    size_t cut = next.begin;
    uint64_t moved = 0;  // bits of [next.begin, cut)
    while ((offset + last.bits + moved) % 8 != 0 && cut < next.end) {
      const size_t after =
          NextSplitPoint(ValueSource<T>{values}, cut + 1, next.end, nz_runs, suspect);
      if (after >= next.end) {
        cut = next.end;
        break;
      }
      moved += ForThisCpu<T>().count_range(ValueSource<T>{values}, cut, after,
                                           params, suspect);
      cut = after;
    }
    if (cut >= next.end) {
      last.end = next.end;  // no aligned cut: merge
      last.bits += next.bits;
      continue;
    }
    last.end = cut;
    last.bits += moved;
    offset += last.bits;
    aligned.push_back(Part{cut, next.end, next.bits - moved});
  }
  *parts = std::move(aligned);
}

// Counts the parts first, then writes each into its bytes of the string:
// for strings too large to hold twice.
template <typename T>
Status EncodeCountedParts(const T* values, size_t count,
                          const CodeParams& params, size_t max_parts,
                          const ParallelRunner& run,
                          const Allocator& allocate) {
  std::vector<Part> parts;
  Status status = CountParts(values, count, params, max_parts, run, &parts);
  if (!status.ok()) return status;
  AlignParts(values, params, &parts);
  std::vector<uint64_t> offsets(parts.size() + 1, 0);
  for (size_t i = 0; i < parts.size(); ++i) {
    offsets[i + 1] = offsets[i] + parts[i].bits;
  }
  const size_t size = BytesForBits(offsets.back());
  uint8_t* out = allocate(size);
  if (out == nullptr && size > 0) {
    return Status::InvalidArgument("cannot allocate the output string");
  }
  return RunParts(parts, run, [&](size_t i) {
    const size_t first = offsets[i] / 8;
    const size_t last = BytesForBits(offsets[i + 1]);
    return WriteRangeInto(values, parts[i].begin, parts[i].end, params,
                      out + first, last - first);
  });
}


}  // namespace
}  // namespace internal

using internal::CountParts;
using internal::CutParts;
using internal::EncodeCountedParts;
using internal::OnePassLimit;
using internal::Part;
using internal::RunParts;
using internal::ValidateCall;
using internal::WriteRangeToVector;

template <typename T>
Status CountBitsParallel(const T* values, size_t count,
                         const CodeParams& params, size_t max_parts,
                         const ParallelRunner& run, uint64_t* bits) {
  std::vector<Part> parts;
  Status status = CountParts(values, count, params, max_parts, run, &parts);
  if (!status.ok()) return status;
  *bits = 0;
  for (const Part& part : parts) *bits += part.bits;
  return Status();
}

// Writes each part in one pass into a buffer of its own, then joins them
// bit by bit into the string: no count, and the parts need not end on
// byte boundaries.
template <typename T>
Status EncodeParallel(const T* values, size_t count, const CodeParams& params,
                      size_t max_parts, const ParallelRunner& run,
                      const Allocator& allocate) {
  Status status = ValidateCall(params, count);
  if (!status.ok()) return status;
  std::vector<Part> parts;
  CutParts(values, count, params, max_parts, &parts);
  std::vector<internal::ScratchBytes> buffers(parts.size());
  std::vector<char> fits(parts.size(), 0);
  status = RunParts(parts, run, [&](size_t i) {
    Part& part = parts[i];
    bool part_fits = false;
    const Status part_status = WriteRangeToVector(
        values, part.begin, part.end, params,
        OnePassLimit<T>(part.begin, part.end), buffers[i].get(), &part.bits,
        &part_fits);
    fits[i] = part_fits;
    return part_status;
  });
  if (!status.ok()) return status;
  if (std::find(fits.begin(), fits.end(), 0) != fits.end()) {
    buffers.clear();
    return EncodeCountedParts(values, count, params, max_parts, run, allocate);
  }
  uint64_t total_bits = 0;
  for (const Part& part : parts) total_bits += part.bits;
  const size_t size = static_cast<size_t>(BytesForBits(total_bits));
  uint8_t* out = allocate(size);
  if (out == nullptr && size > 0) {
    return Status::InvalidArgument("cannot allocate the output string");
  }
  uint64_t offset = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    internal::CopyBits(buffers[i].get()->data(), parts[i].bits, out, offset);
    offset += parts[i].bits;
  }
  return Status();
}

#define LAPLACE_RICE_INSTANTIATE(T)                                           \
  template LAPLACE_RICE_API Status CountBitsParallel<T>(                      \
      const T*, size_t, const CodeParams&, size_t, const ParallelRunner&,     \
      uint64_t*);                                                             \
  template LAPLACE_RICE_API Status EncodeParallel<T>(                         \
      const T*, size_t, const CodeParams&, size_t, const ParallelRunner&,     \
      const Allocator&);
LAPLACE_RICE_INSTANTIATE(int32_t)
LAPLACE_RICE_INSTANTIATE(float)
LAPLACE_RICE_INSTANTIATE(double)
#undef LAPLACE_RICE_INSTANTIATE

}  // namespace laplace_rice
