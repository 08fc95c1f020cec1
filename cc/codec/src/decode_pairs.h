// Decoding FORMAT.md's sequence without runs of non-zeros: pairs of a run
// of zeros and a non-zero, by words of pairs (the defaults on wide data),
// through the pair table, or pair by pair from one peeked word
// (decode_codes.h's CodeReader below them all).
#ifndef LAPLACE_RICE_CODEC_SRC_DECODE_PAIRS_H_
#define LAPLACE_RICE_CODEC_SRC_DECODE_PAIRS_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "backoff.h"
#include "bit_io.h"
#include "decode_codes.h"
#include "decode_rice.h"
#include "decode_tables.h"
#include "laplace_rice/codec.h"

namespace laplace_rice {
namespace internal {

template <class Runs, class Mags, class Words>
class PairDecoder : public CodeReader<Runs, Mags, Words> {
  using Base = CodeReader<Runs, Mags, Words>;

 public:
  using Base::Base;

  // The pairs in stretches of kPairStretch values; PairWordsPay() picks the
  // way for the first stretch from the whole string, and for each next one
  // from the stretch before (a unit's data need not be alike throughout).
  template <typename Out>
  LAPLACE_RICE_INLINE Status Decode(Out* out, size_t count) {
    size_t pos = 0;
    bool by_words = PairWordsPay(reader_.Remaining(), count);
    while (pos < count) {
      const size_t start = pos;
      const uint64_t bits_left = reader_.Remaining();
      const size_t stop = std::min(count, pos + kPairStretch);
      const Status status = by_words ? DecodeByWords(out, count, stop, &pos)
                                     : DecodeWithTable(out, count, stop, &pos);
      if (!status.ok()) return status;
      by_words = PairWordsPay(bits_left - reader_.Remaining(), pos - start);
    }
    return Base::Finish(pos, count);
  }

 private:
  using Base::Error;
  using Base::FillZeros;
  using Base::mags_;
  using Base::ReadNonZero;
  using Base::reader_;
  using Base::ReadRun;
  using Base::runs_;
  using Base::table_;

  static constexpr bool kPairWords = Words::kPairs;
  // Words of pairs pay between these average code lengths (bits a value:
  // the whole string's for the first stretch, then the stretch before's):
  // with shorter codes the pair table takes more pairs a lookup than a word
  // takes, with longer ones a word takes too few pairs to pay for finding
  // them (docs/benchmark.md).
  static constexpr size_t kPairWordsFromBits = 5;
  static constexpr size_t kPairWordsBelowBits = 24;
  // Values a stretch of the way PairWordsPay() picks: enough to make the
  // choice's cost nothing, few enough to follow data that change.
  static constexpr size_t kPairStretch = 4096;
  // Whether words pay for pairs coded in `bits` bits for `values` values.
  bool PairWordsPay(uint64_t bits, size_t values) const {
    if (!kPairWords || !runs_.EmptyRunIsOneBit()) return false;
    return bits >= kPairWordsFromBits * values && bits < kPairWordsBelowBits * values;
  }

  // Pairs from *pos_io on until `stop` or past it, pair by pair, trying the
  // pair table first on a Backoff (a miss leaves the pair that missed to
  // the decoding of one pair).
  template <typename Out>
  LAPLACE_RICE_INLINE Status DecodeWithTable(Out* out, size_t count, size_t stop,
                                             size_t* pos_io) {
    size_t pos = *pos_io;
    // Tried every 31 pairs at most: each miss costs a mispredicted branch.
    Backoff table_turn(table_ != nullptr, 31);
    while (pos < stop) {
      if (table_turn.Due()) {
        const size_t before = pos;
        if (DecodePairsByTable(reader_, *table_, out, count, &pos)) {
          table_turn.Hit(pos - before >= kTableWorth);
          continue;
        }
        table_turn.Miss();
      }
      table_turn.Tick();
      if (const char* what = DecodePair(out, count, &pos)) {
        return Error(what, pos);
      }
    }
    *pos_io = pos;
    return Status();
  }

  // Pairs from *pos_io on until `stop` or past it: words of pairs
  // (DecodeWords()), and one pair where a word takes none.
  template <typename Out>
  LAPLACE_RICE_INLINE Status DecodeByWords(Out* out, size_t count, size_t stop,
                                           size_t* pos_io) {
    size_t pos = *pos_io;
    while (pos < stop) {
      DecodeWords(out, count, stop, &pos);
      if (const char* what = DecodePair(out, count, &pos)) {
        return Error(what, pos);
      }
    }
    *pos_io = pos;
    return Status();
  }

  // One pair (or the unit's last run of zeros); returns what could not be
  // decoded, null when all went well.
  template <typename Out>
  LAPLACE_RICE_INLINE const char* DecodePair(Out* out, size_t count,
                                             size_t* pos_io) {
    if (DecodePairFast(out, count, pos_io)) return nullptr;
    size_t& pos = *pos_io;
    uint64_t zeros;
    if (!ReadRun(count - pos, &zeros)) return "run of zeros";
    FillZeros(out, pos, zeros, count);
    pos += zeros;
    if (pos == count) return nullptr;
    if (!ReadNonZero(&out[pos])) return "non-zero value";
    ++pos;
    return nullptr;
  }

  // Pairs of a run of zeros and a Rice-0 non-zero, word by word, away from
  // the end of the unit and of the string: from each peeked word the first
  // pair's run of zeros (up to 8) as a code, then that pair and the pairs
  // with empty runs after it, up to eight (TakeRiceZeroPairs()). Stops at a
  // word that takes no pair, and at `stop` or past it.
  template <typename Out>
  LAPLACE_RICE_INLINE void DecodeWords(Out* out, size_t count, size_t stop,
                                       size_t* pos_io) {
    if constexpr (kPairWords) {
      size_t pos = *pos_io;
      // Room for 8 zeros and 8 values stored whole.
      const size_t end = count > 2 * 8 ? std::min(count - 2 * 8, stop) : 0;
      while (pos < end && reader_.CanPeekFast()) {
        const uint64_t word = reader_.PeekFast();
        uint64_t zeros;
        int run_used;
        if (!runs_.DecodeFast(word, &zeros, &run_used) || zeros > 8) break;
        // A run bit 1 in place of the run read makes the rest of the word
        // a sequence of pairs with empty runs.
        const uint64_t pairs = ((word >> run_used) << 1) | 1;
        // Eight zeros stored whole, the values over them (FillZeros()'s
        // test of the run's length, kept here, cost 12 % at scale 8).
        std::memset(out + pos, 0, 8 * sizeof(Out));
        const RiceTake take =
            Words::TakePairs(pairs, kPeekBits - run_used + 1, out + pos + zeros);
        if (take.values == 0) break;
        reader_.Skip(take.bits + run_used - 1);
        pos += zeros + take.values;
      }
      *pos_io = pos;
    }
  }

  // The common case: a run of zeros followed by a non-zero, both read from
  // one peeked word, away from the end of the unit and of the string.
  // Returns false, having consumed nothing, otherwise.
  template <typename Out>
  LAPLACE_RICE_INLINE bool DecodePairFast(Out* out, size_t count,
                                          size_t* pos_io) {
    size_t pos = *pos_io;
    if (!reader_.CanPeekFast() || count - pos <= 8) return false;
    const uint64_t word = reader_.PeekFast();
    uint64_t zeros;
    int run_used;
    if (!runs_.DecodeFast(word, &zeros, &run_used) || zeros >= count - pos) {
      return false;
    }
    const uint64_t rest = word >> run_used;
    const uint64_t positive = rest & 1;
    uint64_t magnitude;
    int magnitude_used;
    if (!mags_.DecodeFast(rest >> 1, &magnitude, &magnitude_used) ||
        run_used + 1 + magnitude_used > kPeekBits ||
        magnitude > kInt32Max + 1 - positive) {
      return false;
    }
    FillZeros(out, pos, zeros, count);
    pos += zeros;
    out[pos] = static_cast<Out>(
        static_cast<int32_t>(positive ? magnitude : 0 - magnitude));
    reader_.Skip(run_used + 1 + magnitude_used);
    *pos_io = pos + 1;
    return true;
  }
};

}  // namespace internal
}  // namespace laplace_rice

#endif  // LAPLACE_RICE_CODEC_SRC_DECODE_PAIRS_H_
