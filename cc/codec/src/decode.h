// Decoding one unit: UnitDecoder reads the codes of FORMAT.md back into
// values with the decoder of the unit's sequence, GroupDecoder
// (decode_groups.h) with runs of non-zeros, PairDecoder (decode_pairs.h)
// without; DecodeUnit() is the kernel that dispatch.cc compiles per CPU
// target.
#ifndef LAPLACE_RICE_CODEC_SRC_DECODE_H_
#define LAPLACE_RICE_CODEC_SRC_DECODE_H_

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "codes.h"
#include "decode_codes.h"
#include "decode_groups.h"
#include "decode_pairs.h"
#include "decode_rice.h"
#include "decode_tables.h"
#include "group_head.h"
#include "laplace_rice/codec.h"

namespace laplace_rice {
namespace internal {

// Words: as for CodeReader (decode_codes.h).
template <class Runs, class Mags, class Words>
class UnitDecoder {
 public:
  explicit UnitDecoder(const DecoderInputs<Runs, Mags>& inputs)
      : inputs_(inputs) {}

  // Out: int32_t, or float/double for values converted as they are stored
  // (rounding as static_cast, like tf.cast), which saves a pass over them.
  // The sequence's decoder is a local, whose fields stay in registers.
  template <typename Out>
  LAPLACE_RICE_INLINE Status Decode(Out* out, size_t count, bool runs_of_non_zeros) {
    if (runs_of_non_zeros) {
      GroupDecoder<Runs, Mags, Words> groups(inputs_);
      return groups.Decode(out, count);
    }
    PairDecoder<Runs, Mags, Words> pairs(inputs_);
    return pairs.Decode(out, count);
  }

 private:
  const DecoderInputs<Runs, Mags> inputs_;
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
        return Decoder(DecoderInputs<Runs, Mags>{data, size, slack, runs, mags,
                                                 table, non_zero_table, head_table});
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
