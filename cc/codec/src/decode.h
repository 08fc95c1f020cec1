// Decoding one unit: UnitDecoder reads the codes of FORMAT.md back into
// values, through the lookup tables where they apply, from one peeked
// 8-byte word where a code lies wholly in it, and through the bounds-checked
// reader (which also reports every error) for long codes and the string's
// end. DecodeUnit() is the kernel that dispatch.cc compiles per CPU target.
#ifndef LAPLACE_RICE_CODEC_SRC_DECODE_H_
#define LAPLACE_RICE_CODEC_SRC_DECODE_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>

#include "backoff.h"
#include "bit_io.h"
#include "codes.h"
#include "decode_rice.h"
#include "decode_tables.h"
#include "group_head.h"
#include "laplace_rice/codec.h"

namespace laplace_rice {
namespace internal {

// Words: the word decoder of the values of runs of non-zeros
// (decode_rice.h), NoRiceWords where they are not decoded from words.
// The loops are always inlined: clang's `flatten` (dispatch.cc) reaches
// only the kernel's direct calls, and out of line they were compiled for
// the baseline target, 1.2x to 1.7x slower (docs/benchmark.md).
template <class Runs, class Mags, class Words>
class UnitDecoder {
 public:
  UnitDecoder(const uint8_t* data, size_t size, size_t zero_slack,
              const Runs& runs, const Mags& mags, const PairTable* table,
              const NonZeroTable* non_zero_table,
              const GroupHeadTable* head_table)
      : reader_(data, size, zero_slack),
        runs_(runs),
        mags_(mags),
        table_(table),
        non_zero_table_(non_zero_table),
        head_table_(head_table) {}

  // Out: int32_t, or float/double for values converted as they are stored
  // (rounding as static_cast, like tf.cast), which saves a pass over them.
  template <typename Out>
  LAPLACE_RICE_INLINE Status Decode(Out* out, size_t count, bool runs_of_non_zeros) {
    size_t pos = 0;
    const Status status = runs_of_non_zeros ? DecodeGroups(out, count, &pos)
                                            : DecodePairs(out, count, &pos);
    if (!status.ok()) return status;
    if (reader_.Overrun()) return Error("code", pos);
    // Only the zero padding of the last byte may follow the last code:
    // whole bytes left over mean a wrong unit size or a foreign string.
    if (reader_.Remaining() >= 8) {
      return Status::DataLoss(
          std::to_string(reader_.Remaining() / 8) +
          " unused bytes after the last of " + std::to_string(count) +
          " values (wrong code shape or parameters?)");
    }
    return Status();
  }

 private:
  // FORMAT.md's sequence without runs of non-zeros: pairs of a run of zeros
  // and a non-zero, by words of pairs or pair by pair, in stretches of
  // kPairStretch values; PairWordsPay() picks the way for the first stretch
  // from the whole string, and for each next one from the stretch before
  // (a unit's data need not be alike throughout).
  template <typename Out>
  LAPLACE_RICE_INLINE Status DecodePairs(Out* out, size_t count, size_t* pos_io) {
    size_t pos = 0;
    bool by_words = PairWordsPay(reader_.Remaining(), count);
    while (pos < count) {
      const size_t start = pos;
      const uint64_t bits_left = reader_.Remaining();
      const size_t stop = std::min(count, pos + kPairStretch);
      const Status status = by_words ? DecodePairsByWords(out, count, stop, &pos)
                                     : DecodePairsWithTable(out, count, stop, &pos);
      if (!status.ok()) return status;
      by_words = PairWordsPay(bits_left - reader_.Remaining(), pos - start);
    }
    *pos_io = pos;
    return Status();
  }

  // Pairs from *pos_io on until `stop` or past it, pair by pair, trying the
  // pair table first on a Backoff (a miss leaves the pair that missed to
  // the decoding of one pair).
  template <typename Out>
  LAPLACE_RICE_INLINE Status DecodePairsWithTable(Out* out, size_t count, size_t stop,
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
  // (DecodePairWords()), and one pair where a word takes none.
  template <typename Out>
  LAPLACE_RICE_INLINE Status DecodePairsByWords(Out* out, size_t count, size_t stop,
                                                size_t* pos_io) {
    size_t pos = *pos_io;
    while (pos < stop) {
      DecodePairWords(out, count, stop, &pos);
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

  // The bits at the reader's position, from the word the group before ended
  // in: `valid` of them (0: none).
  struct BitsAhead {
    uint64_t bits = 0;
    int valid = 0;
  };

  // FORMAT.md's sequence with runs of non-zeros: groups of a run of zeros,
  // a run of non-zeros and its values.
  template <typename Out>
  LAPLACE_RICE_INLINE Status DecodeGroups(Out* out, size_t count, size_t* pos_io) {
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
    *pos_io = pos;
    return Status();
  }

  static constexpr bool kRiceMagnitudes = std::is_same_v<Mags, RiceMagnitudes>;
  static constexpr bool kWordValues = Words::kStores > 0;
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
  int MagnitudeRiceK() const {
    if constexpr (kRiceMagnitudes) {
      return mags_.code.k;
    } else {
      return -1;
    }
  }

  // Short runs (most of them) cost one fixed-size store.
  // (All-zero bytes are 0 as float and double too.)
  template <typename Out>
  static void FillZeros(Out* out, size_t pos, uint64_t zeros, size_t count) {
    if (zeros <= 8 && count - pos >= 8) {
      std::memset(out + pos, 0, 8 * sizeof(Out));
    } else {
      std::memset(out + pos, 0, zeros * sizeof(Out));
    }
  }

  // Pairs of a run of zeros and a Rice-0 non-zero, word by word, away from
  // the end of the unit and of the string: from each peeked word the first
  // pair's run of zeros (up to 8) as a code, then that pair and the pairs
  // with empty runs after it, up to eight (TakeRiceZeroPairs()). Stops at a
  // word that takes no pair, and at `stop` or past it.
  template <typename Out>
  LAPLACE_RICE_INLINE void DecodePairWords(Out* out, size_t count, size_t stop,
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

  // The common case without runs of non-zeros: a run of zeros followed by a
  // non-zero, both read from one peeked word, away from the end of the unit
  // and of the string. Returns false, having consumed nothing, otherwise.
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

  // Reads a run length <= limit.
  LAPLACE_RICE_INLINE bool ReadRun(uint64_t limit, uint64_t* run) {
    if (LAPLACE_RICE_LIKELY(reader_.CanPeekFast())) {
      int used;
      if (runs_.DecodeFast(reader_.PeekFast(), run, &used) && *run <= limit) {
        reader_.Skip(used);
        return true;
      }
    }
    return runs_.ReadSlow(reader_, limit, run) && !reader_.Overrun();
  }

  template <typename Out>
  LAPLACE_RICE_INLINE bool ReadNonZero(Out* out) {
    int32_t value;
    if (!ReadNonZeroInt(&value)) return false;
    *out = static_cast<Out>(value);
    return true;
  }

  LAPLACE_RICE_INLINE bool ReadNonZeroInt(int32_t* value) {
    if (LAPLACE_RICE_LIKELY(reader_.CanPeekFast())) {
      const uint64_t word = reader_.PeekFast();
      const uint64_t positive = word & 1;
      uint64_t magnitude;
      int used;
      if (mags_.DecodeFast(word >> 1, &magnitude, &used) &&
          used < kPeekBits && magnitude <= kInt32Max + 1 - positive) {
        reader_.Skip(used + 1);
        *value = static_cast<int32_t>(positive ? magnitude : 0 - magnitude);
        return true;
      }
    }
    return ReadNonZeroSlow(value);
  }

  bool ReadNonZeroSlow(int32_t* value) {
    const bool positive = reader_.Read(1) != 0;
    uint64_t magnitude;
    if (!mags_.ReadSlow(reader_, &magnitude) || reader_.Overrun()) {
      return false;
    }
    if (positive) {
      if (magnitude > kInt32Max) return false;
      *value = static_cast<int32_t>(magnitude);
    } else {
      *value = static_cast<int32_t>(-static_cast<int64_t>(magnitude));
    }
    return true;
  }

  Status Error(const char* what, size_t pos) const {
    const char* why = reader_.Overrun()
                          ? "the string ends early (truncated?)"
                          : "the code is malformed or out of range";
    return Status::DataLoss(std::string("cannot decode ") + what +
                            " at element " + std::to_string(pos) + ": " +
                            why);
  }

  BitReader reader_;
  const Runs runs_;
  const Mags mags_;
  const PairTable* const table_;  // null: decode every code
  const NonZeroTable* const non_zero_table_;  // likewise
  const GroupHeadTable* const head_table_;  // likewise
};

// Decodes through the UnitDecoder for `params`: calls run(make_decoder, out,
// count, runs_of_non_zeros), where make_decoder() returns the decoder.
// dispatch.cc passes a `run` that calls a function of its own per decoder
// type and CPU target, which makes the decoder there (a local, whose fields
// stay in registers): with every decoder in one function, adding one made
// the loops of the others 7 to 16 % slower (docs/benchmark.md).
// kLanes: as for WithRiceWordsFor().
template <Lanes kLanes, typename Out, class Run>
Status DecodeUnit(const uint8_t* data, size_t size, size_t slack,
                  const CodeParams& params, Out* out, size_t count,
                  const Run& run) {
  return WithCoders(params, [&](const auto& runs, const auto& mags) {
    using Runs = std::decay_t<decltype(runs)>;
    using Mags = std::decay_t<decltype(mags)>;
    const PairTable* const table = PairTableFor(params, runs, mags);
    const NonZeroTable* const non_zero_table = NonZeroTableFor(params, mags);
    const GroupHeadTable* const head_table = GroupHeadTableFor(params, runs);
    const auto decode = [&](auto words) {
      using Decoder = UnitDecoder<Runs, Mags, decltype(words)>;
      const auto make_decoder = [&] {
        return Decoder(data, size, slack, runs, mags, table, non_zero_table,
                       head_table);
      };
      return run(make_decoder, out, count, params.use_run_length_for_non_zeros);
    };
    if constexpr (std::is_same_v<Mags, RiceMagnitudes>) {
      return WithRiceWordsFor<kLanes>(params.magnitude_code, decode);
    } else {
      return decode(NoRiceWords{});
    }
  });
}

}  // namespace internal
}  // namespace laplace_rice

#endif  // LAPLACE_RICE_CODEC_SRC_DECODE_H_
