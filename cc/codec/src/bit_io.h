// Bit containers for the little-endian, LSB-first bitstream of FORMAT.md.
// Internal to the codec library.
//
// Both keep a 64-bit accumulator and touch memory eight bytes at a time; the
// last bytes of a buffer go through a bounds-checked slow path, so neither
// ever reads or writes outside the buffer it was given.
#ifndef LAPLACE_RICE_CODEC_SRC_BIT_IO_H_
#define LAPLACE_RICE_CODEC_SRC_BIT_IO_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace laplace_rice {
namespace internal {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the bit containers load and store little-endian words");

// Bits one Write() call may append (the accumulator keeps < 8 pending bits).
inline constexpr int kMaxWriteBits = 56;

// Bits a fast Peek() is sure to hold (64 minus up to 7 already consumed).
inline constexpr int kPeekBits = 57;

#if defined(__GNUC__) || defined(__clang__)
#define LAPLACE_RICE_INLINE inline __attribute__((always_inline))
#define LAPLACE_RICE_NOINLINE __attribute__((noinline))
#define LAPLACE_RICE_LIKELY(x) __builtin_expect(!!(x), 1)
#define LAPLACE_RICE_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define LAPLACE_RICE_INLINE inline
#define LAPLACE_RICE_NOINLINE
#define LAPLACE_RICE_LIKELY(x) (x)
#define LAPLACE_RICE_UNLIKELY(x) (x)
#endif

// `value`, hidden from the optimizer. Given on one arm of a branch between
// two values, it keeps the branch: compilers otherwise select between them
// without one, and the select waits for both, where a predicted branch
// waits for the one it takes (the decoder's word at hand against the word
// still loading).
LAPLACE_RICE_INLINE uint64_t OnTheBranch(uint64_t value) {
#if defined(__GNUC__) || defined(__clang__)
  asm volatile("" : "+r"(value));
#endif
  return value;
}

inline int CountTrailingZeros(uint64_t word) { return __builtin_ctzll(word); }

// The position of the highest set bit of `word` (not 0).
inline int HighestBit(uint64_t word) { return 63 - __builtin_clzll(word); }

inline uint64_t Popcount(uint64_t word) {
  return static_cast<uint64_t>(__builtin_popcountll(word));
}

// Number of bits needed to write `value` (> 0): 1 + floor(log2(value)).
inline int BitWidth(uint32_t value) { return 32 - __builtin_clz(value); }

inline uint64_t LowMask(int count) { return (uint64_t{1} << count) - 1; }

// Stores the low `size` (<= 8) bytes of `word`, little-endian. Taking the
// address of a copy, not of a member, lets the member live in a register.
LAPLACE_RICE_INLINE void StoreBytes(uint8_t* to, uint64_t word, size_t size) {
  std::memcpy(to, &word, size);
}

class BitWriter {
 public:
  // Writes exactly `size` bytes at `begin`. With `slack` > 0 the caller
  // guarantees `slack` more writable bytes after them (a scratch buffer), so
  // that the fast path runs to the end of short strings; they get garbage.
  BitWriter(uint8_t* begin, size_t size, size_t slack = 0)
      : next_(begin), end_(begin + size), room_end_(end_ + slack) {}

  // Appends to `*bytes` from its start, growing it as needed while the
  // string stays within `max_size` bytes (the writer then overflows, as a
  // fixed one does). The vector keeps its size between uses, so that a
  // reused one is not zero-filled again; BytesWritten() is the string's.
  BitWriter(std::vector<uint8_t>* bytes, size_t max_size)
      : next_(bytes->data()),
        end_(next_ + bytes->size()),
        room_end_(end_),
        grow_(bytes),
        max_size_(max_size) {}

  // The writer's state as plain values, for hot loops that keep it in
  // registers (a writer reached by reference lives in memory, since stores
  // through the byte pointer may alias it). WriteFast() needs HasRoom().
  struct State {
    uint8_t* next;
    uint64_t pending;
    int pending_count;
    uint8_t* room_end;  // a copy, so that HasRoom() reads no member
  };
  State Save() const { return State{next_, pending_, pending_count_, room_end_}; }
  void Restore(const State& state) {
    next_ = state.next;
    pending_ = state.pending;
    pending_count_ = state.pending_count;
  }
  LAPLACE_RICE_INLINE static bool HasRoom(const State& state) {
    return state.room_end - state.next >= 8;
  }
  LAPLACE_RICE_INLINE static void WriteFast(State& state, uint64_t bits,
                                            uint64_t count) {
    state.pending |= bits << state.pending_count;
    state.pending_count += static_cast<int>(count);
    StoreBytes(state.next, state.pending, 8);
    const int whole_bytes = state.pending_count >> 3;
    state.next += whole_bytes;
    state.pending_count &= 7;
    state.pending >>= whole_bytes * 8;
  }

  // Appends the low `count` (<= kMaxWriteBits) bits of `bits`, least
  // significant first. Bits of `bits` above `count` must be zero. One
  // unconditional 8-byte store while there is room: no branch on the data.
  LAPLACE_RICE_INLINE void Write(uint64_t bits, uint64_t count) {
    pending_ |= bits << pending_count_;
    pending_count_ += static_cast<int>(count);
    const int whole_bytes = pending_count_ >> 3;
    if (LAPLACE_RICE_LIKELY(room_end_ - next_ >= 8)) {
      StoreBytes(next_, pending_, 8);
      next_ += whole_bytes;
    } else {
      StoreTail(whole_bytes);
    }
    pending_count_ &= 7;
    // At most 7 + 56 = 63 bits were pending, so the shift stays below 64.
    pending_ >>= whole_bytes * 8;
  }

  // Appends `count` zero bits, for any count. Stops once the writer has
  // overflowed, so that a hostile code of 2^31 bits costs no more time than
  // the buffer's room.
  void WriteZeros(uint64_t count) {
    while (count > kMaxWriteBits && !overflowed_) {
      Write(0, kMaxWriteBits);
      count -= kMaxWriteBits;
    }
    if (overflowed_) return;  // count may still exceed kMaxWriteBits
    Write(0, count);
  }

  // Writes the pending bits (zero-padded to a byte). Returns false if the
  // bits written did not fill the buffer exactly (a growing writer: if they
  // took more than its max_size bytes).
  bool Finish() {
    if (pending_count_ > 0) StoreTail(1);
    if (overflowed_) return false;
    return grow_ != nullptr ? BytesWritten() <= max_size_ : next_ == end_;
  }

  // Exact bits a growing writer holds (before Finish() pads them).
  uint64_t BitsWritten() const {
    return uint64_t{static_cast<size_t>(next_ - grow_->data())} * 8 +
           static_cast<uint64_t>(pending_count_);
  }

  // Bytes of a growing writer's string, after Finish().
  size_t BytesWritten() const {
    return static_cast<size_t>(next_ - grow_->data());
  }

 private:
  // Stores as many bytes of `pending_` as fit before `room_end_` and moves
  // `needed` bytes on; where fewer than `needed` fit (after growing, for a
  // growing writer) it records an overflow and stops at `room_end_`.
  void StoreTail(int needed) {
    ptrdiff_t room = room_end_ - next_;
    if (room < 8 && grow_ != nullptr && Grow()) room = room_end_ - next_;
    if (room > 0) {
      const size_t n = room < 8 ? static_cast<size_t>(room) : 8;
      StoreBytes(next_, pending_, n);
    }
    if (room < needed) {
      overflowed_ = true;
      next_ = room_end_;
      return;
    }
    next_ += needed;
  }

  // Makes room for an 8-byte store at next_ (doubling, so that a string
  // costs amortized O(1) per byte), unless the string would outgrow
  // max_size_: each store may leave up to 7 bytes of garbage past it.
  bool Grow() {
    const size_t used = static_cast<size_t>(next_ - grow_->data());
    if (used >= max_size_ || overflowed_) return false;
    const size_t limit = max_size_ > SIZE_MAX - 8 ? SIZE_MAX : max_size_ + 8;
    const size_t wanted = std::max<size_t>(2 * grow_->size(), used + 4096);
    grow_->resize(std::min(wanted, limit));
    next_ = grow_->data() + used;
    end_ = room_end_ = grow_->data() + grow_->size();
    return true;
  }

  uint8_t* next_;
  uint8_t* end_;       // the string's end: Finish() checks it was reached
  uint8_t* room_end_;  // the end of writable memory
  uint64_t pending_ = 0;
  int pending_count_ = 0;
  bool overflowed_ = false;
  std::vector<uint8_t>* grow_ = nullptr;  // set for a growing writer
  size_t max_size_ = 0;
};

// Copies the first `bits` bits of `src` (LSB first) to `dst` from bit
// `offset` on: the bits of dst below `offset` in its first byte are kept,
// those above the copy in its last byte become zero. The bits of src's last
// byte above `bits` must be zero (a writer's padding). Writes only the bytes
// dst[offset / 8, (offset + bits + 7) / 8). Joins strings written apart.
inline void CopyBits(const uint8_t* src, uint64_t bits, uint8_t* dst,
                     uint64_t offset) {
  if (bits == 0) return;
  uint8_t* out = dst + offset / 8;
  const int shift = static_cast<int>(offset % 8);
  const size_t src_bytes = static_cast<size_t>((bits + 7) / 8);
  if (shift == 0) {
    std::memcpy(out, src, src_bytes);
    return;
  }
  unsigned carry = out[0] & ((1u << shift) - 1);
  size_t i = 0;
  // Eight bytes a step (a byte a step took 0.45 ms a MiB: the join of a
  // large unit's parts is serial).
  for (; i + 8 <= src_bytes; i += 8) {
    uint64_t word;
    std::memcpy(&word, src + i, 8);
    StoreBytes(out + i, (word << shift) | carry, 8);
    carry = static_cast<unsigned>(word >> (64 - shift));
  }
  for (; i < src_bytes; ++i) {
    out[i] = static_cast<uint8_t>(carry | (unsigned{src[i]} << shift));
    carry = unsigned{src[i]} >> (8 - shift);
  }
  if (uint64_t{static_cast<unsigned>(shift)} + bits > uint64_t{src_bytes} * 8) {
    out[src_bytes] = static_cast<uint8_t>(carry);
  }
}

class BitReader {
 public:
  // Reads the `size` bytes at `data`. With `zero_slack` > 0 the caller
  // guarantees that many readable zero bytes after them (a padded copy), so
  // that the fast path runs to the end of short strings.
  BitReader(const uint8_t* data, size_t size, size_t zero_slack = 0)
      : data_(data),
        size_(size),
        fast_size_(size + zero_slack),
        total_bits_(uint64_t{size} * 8) {}

  // True when PeekFast() may load eight bytes at the position.
  LAPLACE_RICE_INLINE bool CanPeekFast() const {
    return (position_ >> 3) + 8 <= fast_size_;
  }

  // The next kPeekBits or more bits, LSB first, zeros above them. Only when
  // CanPeekFast().
  LAPLACE_RICE_INLINE uint64_t PeekFast() const {
    uint64_t word;
    std::memcpy(&word, data_ + (position_ >> 3), 8);
    return word >> (position_ & 7);
  }

  // The next 57 or more bits, LSB first (zeros past the end of the data).
  uint64_t Peek() const {
    if (CanPeekFast()) return PeekFast();
    const uint64_t byte = position_ >> 3;
    uint64_t word = 0;
    if (byte < size_) std::memcpy(&word, data_ + byte, size_ - byte);
    return word >> (position_ & 7);
  }

  // Consumes `count` bits; reading past the end is caught by Overrun().
  void Skip(uint64_t count) { position_ += count; }

  // Reads `count` (<= 56) bits as an unsigned integer.
  uint64_t Read(int count) {
    const uint64_t bits = Peek() & LowMask(count);
    position_ += count;
    return bits;
  }

  // Reads a run of zero bits and the 1 bit that ends it; returns the number
  // of zero bits, or `limit + 1` once the run exceeds `limit` (the caller
  // reports the error). Stops early at the end of the data.
  uint64_t ReadUnary(uint64_t limit) {
    uint64_t zeros = 0;
    for (;;) {
      const uint64_t low = Peek() & LowMask(kMaxWriteBits);
      if (low != 0) {
        const int run = CountTrailingZeros(low);
        zeros += run;
        position_ += run + 1;
        return zeros > limit ? limit + 1 : zeros;
      }
      zeros += kMaxWriteBits;
      position_ += kMaxWriteBits;
      if (zeros > limit || position_ > total_bits_) return limit + 1;
    }
  }

  // True once more bits were consumed than the data holds.
  bool Overrun() const { return position_ > total_bits_; }

  // Bits left after the position (0 once past the end).
  uint64_t Remaining() const {
    return position_ < total_bits_ ? total_bits_ - position_ : 0;
  }

 private:
  const uint8_t* const data_;
  const size_t size_;
  const size_t fast_size_;  // size_ plus the zero slack
  const uint64_t total_bits_;
  uint64_t position_ = 0;
};

}  // namespace internal
}  // namespace laplace_rice

#endif  // LAPLACE_RICE_CODEC_SRC_BIT_IO_H_
