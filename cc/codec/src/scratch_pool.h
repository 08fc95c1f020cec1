// Memory for the codec's one-pass writes (EncodeUnit's single pass without
// a caller's EncodeBuffer, EncodeParallel's parts), kept between calls.
// Fresh memory costs a page fault per 4 KiB page on its first touch, and
// glibc maps large blocks fresh (unless frees before raised its threshold):
// in a C++ program on the machine of docs/benchmark.md the faults of a
// 2 MiB string's scratch cost 2 ms, a third of its write. A caller's
// threads come and go (Python's) or are not ours (TensorFlow's), so the
// pool is one for the process, not one per thread.
#ifndef LAPLACE_RICE_CODEC_SRC_SCRATCH_POOL_H_
#define LAPLACE_RICE_CODEC_SRC_SCRATCH_POOL_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace laplace_rice {
namespace internal {

// What the pool keeps at most: a busy server's memory stays bounded, and a
// buffer for a string larger than half of it is freed after its call.
inline constexpr size_t kPooledBuffers = 16;
inline constexpr size_t kPooledBytes = size_t{64} << 20;

// A byte buffer taken from the pool (the one returned last, or an empty one
// when it holds none) and returned to it at the end of its scope. Its size
// is the memory it holds, as for a BitWriter that grows a vector.
class ScratchBytes {
 public:
  ScratchBytes();
  ~ScratchBytes();
  ScratchBytes(ScratchBytes&& other) noexcept = default;
  ScratchBytes(const ScratchBytes&) = delete;
  ScratchBytes& operator=(const ScratchBytes&) = delete;
  ScratchBytes& operator=(ScratchBytes&&) = delete;

  std::vector<uint8_t>* get() { return &bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

}  // namespace internal
}  // namespace laplace_rice

#endif  // LAPLACE_RICE_CODEC_SRC_SCRATCH_POOL_H_
