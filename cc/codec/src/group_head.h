// The head of a group in FORMAT.md's sequence with runs of non-zeros: its
// two run lengths (zeros, then non-zeros), one after the other at the
// group's start. The decoder reads them from one lookup where both codes
// lie in the next kGroupHeadBits bits: decoded, the second code's count of
// zeros waits on the first code's length, on the chain from one group to
// the next.
#ifndef LAPLACE_RICE_CODEC_SRC_GROUP_HEAD_H_
#define LAPLACE_RICE_CODEC_SRC_GROUP_HEAD_H_

#include <atomic>
#include <cstdint>

#include "bit_io.h"
#include "decode_tables.h"
#include "laplace_rice/codec.h"
#include "tables.h"

namespace laplace_rice {
namespace internal {

// 12 bits (a 16 KiB table): with 10, the runs of 32 non-zeros and more of
// wide data missed the table (docs/benchmark.md).
inline constexpr int kGroupHeadBits = 12;
inline constexpr uint64_t kGroupHeadMask = (uint64_t{1} << kGroupHeadBits) - 1;

struct GroupHeadTable {
  // Bits used | zeros << 8 | non-zeros << 16 (the non-zeros' run code, one
  // less than the run's length); 0 where the two codes do not both fit.
  uint32_t heads[1 << kGroupHeadBits];
};

// The two run codes at the start of `word`, decoded one after the other;
// false where they take more than `room` bits.
template <class Runs>
LAPLACE_RICE_INLINE bool DecodeTwoRuns(const Runs& runs, uint64_t word, int room,
                                       uint64_t* zeros, uint64_t* non_zeros,
                                       int* bits) {
  int zeros_used, non_zeros_used;
  if (!runs.DecodeFast(word, zeros, &zeros_used) ||
      !runs.DecodeFast(word >> zeros_used, non_zeros, &non_zeros_used) ||
      zeros_used + non_zeros_used > room) {
    return false;
  }
  *bits = zeros_used + non_zeros_used;
  return true;
}

template <class Runs>
void FillGroupHeadTable(const Runs& runs, GroupHeadTable* table) {
  for (uint32_t pattern = 0; pattern < (1u << kGroupHeadBits); ++pattern) {
    uint64_t zeros, non_zeros;
    int bits;
    table->heads[pattern] =
        DecodeTwoRuns(runs, pattern, kGroupHeadBits, &zeros, &non_zeros, &bits)
            ? static_cast<uint32_t>(bits | zeros << 8 | non_zeros << 16)
            : 0;
  }
}

// The table for the parameters, or null without runs of non-zeros or
// where the shortest two run codes leave no room.
template <class Runs>
const GroupHeadTable* GroupHeadTableFor(const CodeParams& params, const Runs& runs) {
  if (!params.use_run_length_for_non_zeros) return nullptr;
  if (2 * ShortestCode(params.run_length_code) > kGroupHeadBits) return nullptr;
  static std::atomic<const GroupHeadTable*> tables[kCodeIndices];
  return CachedTable(tables[CodeIndex(params.run_length_code)],
                     [&](GroupHeadTable* table) { FillGroupHeadTable(runs, table); });
}

// A group's two run lengths and their bits: looked up from the low bits of
// `pattern` where `table` (may be null) has them, else decoded from `word`
// (whose low bits `pattern`'s are). False where they do not lie wholly in
// the word.
template <class Runs>
LAPLACE_RICE_INLINE bool DecodeGroupHead(const GroupHeadTable* table, const Runs& runs,
                                         uint64_t pattern, uint64_t word,
                                         uint64_t* zeros, uint64_t* non_zeros,
                                         int* bits) {
  if (table != nullptr) {
    const uint32_t head = table->heads[pattern & kGroupHeadMask];
    if (LAPLACE_RICE_LIKELY(head != 0)) {
      *bits = static_cast<int>(head & 0xff);
      *zeros = (head >> 8) & 0xff;
      *non_zeros = head >> 16;
      return true;
    }
  }
  return DecodeTwoRuns(runs, word, kPeekBits, zeros, non_zeros, bits);
}

}  // namespace internal
}  // namespace laplace_rice

#endif  // LAPLACE_RICE_CODEC_SRC_GROUP_HEAD_H_
