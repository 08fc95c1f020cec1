// When the decoder tries a fast path that may miss (decode_pairs.h).
#ifndef LAPLACE_RICE_CODEC_SRC_BACKOFF_H_
#define LAPLACE_RICE_CODEC_SRC_BACKOFF_H_

#include <algorithm>

namespace laplace_rice {
namespace internal {

// When to try a fast path that may miss. After a miss it is tried again
// after 1, 3, 7 ... up to `longest_wait` pairs, which keeps its cost small
// where misses come one after another (wide distributions); a hit resets
// that wait, and one that took too few values to be worth it only halves
// it (resetting it let short table runs cost a mispredicted branch a pair
// at scale 8: 189 -> 231 M/s, docs/benchmark.md).
class Backoff {
 public:
  Backoff(bool enabled, int longest_wait)
      : wait_(enabled ? 0 : -1), longest_wait_(longest_wait) {}
  bool Due() const { return wait_ == 0; }
  void Hit(bool worth) { backoff_ = worth ? 0 : backoff_ / 2; }
  void Miss() {
    backoff_ = std::min(2 * backoff_ + 1, longest_wait_);
    wait_ = backoff_;
  }
  void Tick() {  // one pair decoded another way
    if (wait_ > 0) --wait_;
  }

 private:
  int wait_;  // pairs until Due(); -1: never
  const int longest_wait_;
  int backoff_ = 0;
};

}  // namespace internal
}  // namespace laplace_rice

#endif  // LAPLACE_RICE_CODEC_SRC_BACKOFF_H_
