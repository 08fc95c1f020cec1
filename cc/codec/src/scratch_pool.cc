// The process's pool of one-pass scratch buffers (scratch_pool.h).
#include "scratch_pool.h"

#include <mutex>
#include <utility>

namespace laplace_rice {
namespace internal {
namespace {

// Never waits for its lock: a caller that finds it taken uses memory of its
// own instead. So no caller ever blocks on another, and a child process
// forked while a thread of its parent held the lock cannot hang on it.
class Pool {
 public:
  // Room for every buffer kept: Give() allocates nothing (it runs in a
  // destructor).
  Pool() { buffers_.reserve(kPooledBuffers); }

  std::vector<uint8_t> Take() {
    std::unique_lock<std::mutex> lock(mutex_, std::try_to_lock);
    if (!lock.owns_lock() || buffers_.empty()) return {};
    std::vector<uint8_t> bytes = std::move(buffers_.back());
    buffers_.pop_back();
    held_ -= bytes.capacity();
    return bytes;
  }

  // Keeps `bytes` while the pool stays within its bounds; frees it (after
  // the lock is released) otherwise.
  void Give(std::vector<uint8_t>&& bytes) {
    const size_t size = bytes.capacity();
    if (size == 0 || size > kPooledBytes / 2) return;
    std::unique_lock<std::mutex> lock(mutex_, std::try_to_lock);
    if (!lock.owns_lock()) return;
    if (buffers_.size() >= kPooledBuffers || held_ + size > kPooledBytes) return;
    held_ += size;
    buffers_.push_back(std::move(bytes));
  }

 private:
  std::mutex mutex_;
  std::vector<std::vector<uint8_t>> buffers_;
  size_t held_ = 0;  // the capacities of buffers_
};

// Never destroyed: threads may still return buffers while the process
// exits, and the memory stays reachable (no leak report).
Pool& ThePool() {
  static Pool* const pool = new Pool;
  return *pool;
}

}  // namespace

ScratchBytes::ScratchBytes() : bytes_(ThePool().Take()) {}

ScratchBytes::~ScratchBytes() { ThePool().Give(std::move(bytes_)); }

}  // namespace internal
}  // namespace laplace_rice
