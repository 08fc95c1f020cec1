// The cache of the lookup tables that the encoder (encode.h) and the decoder
// (decode_tables.h) build per code: built once on first use, shared by all
// threads, kept for the life of the process.
#ifndef LAPLACE_RICE_CODEC_SRC_TABLES_H_
#define LAPLACE_RICE_CODEC_SRC_TABLES_H_

#include <algorithm>
#include <atomic>
#include <memory>

#include "laplace_rice/codec.h"

namespace laplace_rice {
namespace internal {

// Returns *slot's table, or publishes one built by fill(). (A thread that
// loses the race to publish drops its own, identical, copy.)
template <class Table, class Fill>
const Table* CachedTable(std::atomic<const Table*>& slot, Fill&& fill) {
  const Table* table = slot.load(std::memory_order_acquire);
  if (table != nullptr) return table;
  auto built = std::make_unique<Table>();
  fill(built.get());
  const Table* expected = nullptr;
  if (slot.compare_exchange_strong(expected, built.get(),
                                   std::memory_order_acq_rel)) {
    return built.release();
  }
  return expected;
}

// A code parameter as an index: 0 for gamma (any negative), k + 1 for Rice k.
inline int CodeIndex(int code) { return std::max(code, -1) + 1; }
inline constexpr int kCodeIndices = kMaxRiceParameter + 2;

}  // namespace internal
}  // namespace laplace_rice

#endif  // LAPLACE_RICE_CODEC_SRC_TABLES_H_
