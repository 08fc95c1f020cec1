// Bit containers for the little-endian, LSB-first bitstream of FORMAT.md.
// Internal to the codec library.
//
// Both keep a 64-bit accumulator and touch memory eight bytes at a time; the
// last bytes of a buffer go through a bounds-checked slow path, so neither
// ever reads or writes outside the buffer it was given.
#ifndef LAPLACE_RICE_CODEC_SRC_BIT_IO_H_
#define LAPLACE_RICE_CODEC_SRC_BIT_IO_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

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
#define LAPLACE_RICE_LIKELY(x) __builtin_expect(!!(x), 1)
#define LAPLACE_RICE_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define LAPLACE_RICE_INLINE inline
#define LAPLACE_RICE_LIKELY(x) (x)
#define LAPLACE_RICE_UNLIKELY(x) (x)
#endif

inline int CountTrailingZeros(uint64_t word) { return __builtin_ctzll(word); }

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
  LAPLACE_RICE_INLINE bool HasRoom(const State& state) const {
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
    } else {
      StoreTail(whole_bytes);
    }
    next_ += whole_bytes;
    pending_count_ &= 7;
    // At most 7 + 56 = 63 bits were pending, so the shift stays below 64.
    pending_ >>= whole_bytes * 8;
  }

  // Appends `count` zero bits, for any count.
  void WriteZeros(uint64_t count) {
    while (count > kMaxWriteBits) {
      Write(0, kMaxWriteBits);
      count -= kMaxWriteBits;
    }
    Write(0, count);
  }

  // Writes the pending bits (zero-padded to a byte). Returns false if the
  // bits written did not fill the buffer exactly.
  bool Finish() {
    if (pending_count_ > 0) {
      StoreTail(1);
      ++next_;
    }
    return !overflowed_ && next_ == end_;
  }

 private:
  // Stores as many bytes of `pending_` as fit before `end_` (at least
  // `needed` of them must fit, or the writer records an overflow).
  void StoreTail(int needed) {
    const ptrdiff_t room = room_end_ - next_;
    if (room < needed) overflowed_ = true;
    if (room > 0) {
      const size_t n = room < 8 ? static_cast<size_t>(room) : 8;
      StoreBytes(next_, pending_, n);
    }
    // Keep next_ <= room_end_ after the caller's +=.
    if (room < needed) next_ = room_end_ - needed;
  }

  uint8_t* next_;
  uint8_t* end_;       // the string's end: Finish() checks it was reached
  uint8_t* room_end_;  // the end of writable memory
  uint64_t pending_ = 0;
  int pending_count_ = 0;
  bool overflowed_ = false;
};

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
