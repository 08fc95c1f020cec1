// Decoding FORMAT.md's sequence with runs of non-zeros: groups of a run of
// zeros, a run of non-zeros and its values. A group's head (its two run
// lengths) comes from one lookup (group_head.h), from the bits its word
// held past the group before where they suffice; its values several from a
// word (decode_rice.h) or through the non-zero table; every code one at a
// time otherwise (decode_codes.h's CodeReader).
#ifndef LAPLACE_RICE_CODEC_SRC_DECODE_GROUPS_H_
#define LAPLACE_RICE_CODEC_SRC_DECODE_GROUPS_H_

#include <cstddef>
#include <cstdint>

#include "bit_io.h"
#include "decode_codes.h"
#include "decode_rice.h"
#include "decode_tables.h"
#include "group_head.h"
#include "laplace_rice/codec.h"

namespace laplace_rice {
namespace internal {

template <class Runs, class Mags, class Words>
class GroupDecoder : public CodeReader<Runs, Mags, Words> {
  using Base = CodeReader<Runs, Mags, Words>;

 public:
  using Base::Base;

  template <typename Out>
  LAPLACE_RICE_INLINE Status Decode(Out* out, size_t count) {
    size_t pos = 0;
    uint64_t offset = 0;
    BitsAhead ahead;
    while (pos < count) {
      size_t end;
      if (!DecodeGroupFast(out, count, offset, &pos, &end, &ahead)) {
        uint64_t zeros, non_zeros;
        if (!ReadRun(count - pos - offset, &zeros)) {
          return Error("run of zeros", pos);
        }
        zeros += offset;
        FillZeros(out, pos, zeros, count);
        pos += zeros;
        if (pos == count) break;
        if (!ReadRun(count - pos - 1, &non_zeros)) {
          return Error("run of non-zeros", pos);
        }
        end = pos + non_zeros + 1;
      }
      while (pos < end) {
        DecodeNonZerosFast(out, count, end, &pos);
        if (pos == end) break;
        if (!ReadNonZero(&out[pos])) return Error("non-zero value", pos);
        ++pos;
      }
      offset = 1;
    }
    return Base::Finish(pos, count);
  }

 private:
  using Base::Error;
  using Base::FillZeros;
  using Base::head_table_;
  using Base::kWordValues;
  using Base::MagnitudeRiceK;
  using Base::non_zero_table_;
  using Base::ReadNonZero;
  using Base::reader_;
  using Base::ReadRun;
  using Base::runs_;

  // The bits at the reader's position, from the word the group before ended
  // in: `valid` of them (0: none).
  struct BitsAhead {
    uint64_t bits = 0;
    int valid = 0;
  };

  // The start of a group: a run of zeros (plus `offset`) and the run of
  // non-zeros after it, read from one peeked word, and from the rest of that
  // word the run's first values where TakeValues() applies, away from the
  // end of the unit and of the string. Sets *end to where the run of
  // non-zeros ends. Returns false, having consumed nothing, otherwise
  // (long or bad codes too). Sets *ahead where the group ends in the word,
  // and reads the head from it where it holds one.
  template <typename Out>
  LAPLACE_RICE_INLINE bool DecodeGroupFast(Out* out, size_t count,
                                           uint64_t offset, size_t* pos_io,
                                           size_t* end, BitsAhead* ahead) {
    const BitsAhead before = *ahead;
    ahead->valid = 0;
    if (!reader_.CanPeekFast()) return false;
    const uint64_t word = reader_.PeekFast();
    uint64_t zeros, non_zeros;
    int header;
    // The head from the bits ahead where they hold it: the table's lookup
    // then waits for the group before, not for the word loading.
    const uint64_t pattern =
        before.valid >= kGroupHeadBits ? OnTheBranch(before.bits) : word;
    if (!DecodeGroupHead(head_table_, runs_, pattern, word, &zeros, &non_zeros,
                         &header)) {
      return false;
    }
    const uint64_t left = count - *pos_io;
    zeros += offset;
    if (zeros >= left || non_zeros >= left - zeros) return false;
    FillZeros(out, *pos_io, zeros, count);
    const size_t pos = *pos_io + zeros;
    *end = pos + non_zeros + 1;
    const RiceTake take = TakeValues(word >> header, kPeekBits - header,
                                     non_zeros + 1, out + pos, count - pos);
    const int used = header + take.bits;
    reader_.Skip(used);
    *pos_io = pos + take.values;
    ahead->bits = word >> used;
    ahead->valid = take.values == non_zeros + 1 ? kPeekBits - used : 0;
    return true;
  }

  // Decodes values of a run of non-zeros that ends at `end` while they lie
  // in a peeked word and are short enough for the word decoder or the
  // non-zero table (the caller reads the others).
  template <typename Out>
  LAPLACE_RICE_INLINE void DecodeNonZerosFast(Out* out, size_t count,
                                              size_t end, size_t* pos_io) {
    if constexpr (kWordValues) {
      DecodeRiceRun(out, count, end, pos_io);
    } else if (non_zero_table_ != nullptr) {
      DecodeNonZerosByTable(reader_, *non_zero_table_, out, count, end, pos_io);
    }
  }

  // The loop of DecodeNonZerosFast() with the word decoder. The parameter
  // is read once: a member is read again after every store through `out`,
  // which may alias it.
  template <typename Out>
  LAPLACE_RICE_INLINE void DecodeRiceRun(Out* out, size_t count, size_t end,
                                         size_t* pos_io) {
    const int k = MagnitudeRiceK();
    size_t pos = *pos_io;
    while (pos < end && count - pos >= Words::kStores && reader_.CanPeekFast()) {
      const RiceTake take =
          Words::Take(reader_.PeekFast(), k, kPeekBits, end - pos, out + pos);
      if (take.values == 0) break;
      reader_.Skip(take.bits);
      pos += take.values;
    }
    *pos_io = pos;
  }

  // The word decoder's Take(), where there is one and `writable` elements
  // leave room for its stores; else takes none.
  template <typename Out>
  LAPLACE_RICE_INLINE RiceTake TakeValues(uint64_t word, int room,
                                          size_t wanted, Out* out,
                                          size_t writable) const {
    if constexpr (kWordValues) {
      if (writable >= Words::kStores) {
        return Words::Take(word, MagnitudeRiceK(), room, wanted, out);
      }
    }
    return RiceTake{0, 0};
  }
};

}  // namespace internal
}  // namespace laplace_rice

#endif  // LAPLACE_RICE_CODEC_SRC_DECODE_GROUPS_H_
