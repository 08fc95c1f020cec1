// The bounds of the codes in a peeked word, from a mask with a set bit at
// each: the positions of its first set bits, for the word decoders
// (decode_rice.h). Counted one after another (NineBounds), or at once by
// AVX-512 VBMI2's byte compress in the decoding kernel dispatch.cc picks on
// CPUs that have it (CompressedBounds).
#ifndef LAPLACE_RICE_CODEC_SRC_CODE_BOUNDS_H_
#define LAPLACE_RICE_CODEC_SRC_CODE_BOUNDS_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "bit_io.h"

namespace laplace_rice {
namespace internal {

// Eight uint32 lanes: GCC and clang compile arithmetic on them to AVX2 in
// the x86-64-v3 kernels (the x86 baseline ones do without them, see
// WithRiceWordsFor).
typedef uint32_t U32x8 __attribute__((vector_size(32)));
typedef int32_t I32x8 __attribute__((vector_size(32)));

// The positions of the first nine set bits of `marks` (63 for those
// missing): bounds[i] and bounds[i + 1] delimit code i. One count of zeros
// each, with no chain through the word.
inline void NineBounds(uint64_t marks, uint32_t bounds[9]) {
  for (int i = 0; i < 9; ++i) {
    bounds[i] = static_cast<uint32_t>(CountTrailingZeros(marks | (uint64_t{1} << 63)));
    marks &= marks - 1;
  }
}

// As NineBounds(), as lanes: the positions of the first eight set bits of
// `marks` in `starts`, of the second to ninth in `ends` (the callers use
// none that is missing: on x86-64 those are 0, elsewhere 63). On x86-64
// one byte compress of the indices 0..63 by the mask (AVX-512 VBMI2), for
// the kernel dispatch.cc compiles for CPUs that have it, alone. Inline
// assembly rather than intrinsics: those would need an AVX-512 target on
// that kernel and every function it inlines, and compiled so the kernel's
// other loops ran up to 7 % slower (docs/benchmark.md). The lanes go out
// through memory, which needs no AVX target either. The last writes to
// zmm14 and zmm15 are 256 and 128 bits wide, which clears their upper
// halves; the ymm uppers it leaves are cleared (vzeroupper) with those of
// the kernel's own AVX2 code. The clobbers name xmm14 and xmm15, which
// both compilers take as the whole registers. clang 14, when it compiled
// the decoder's loops out of line for the baseline target (before they
// were marked always-inline), did not protect registers named as ymm
// there: with ymm14 and ymm15 named, its build failed 5 codec tests.
inline void CompressedBounds(uint64_t marks, U32x8& starts, U32x8& ends) {
#if defined(__x86_64__) && defined(__GNUC__)
  alignas(64) static constexpr uint8_t kIndices[64] = {
      0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
      16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
      32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47,
      48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63};
  // k1 is saved and restored: a kernel compiled without AVX-512 cannot
  // name it as clobbered.
  uint64_t saved_k1;
  asm("kmovq %%k1, %[saved_k1]\n\t"
      "kmovq %[marks], %%k1\n\t"
      "vmovdqu64 %[indices], %%zmm15\n\t"
      "vpcompressb %%zmm15, %%zmm15%{%%k1%}%{z%}\n\t"
      "kmovq %[saved_k1], %%k1\n\t"
      "vpmovzxbd %%xmm15, %%ymm14\n\t"
      "vmovdqu %%ymm14, %[starts]\n\t"
      "vpsrldq $1, %%xmm15, %%xmm15\n\t"
      "vpmovzxbd %%xmm15, %%ymm14\n\t"
      "vmovdqu %%ymm14, %[ends]"
      : [starts] "=m"(starts), [ends] "=m"(ends), [saved_k1] "=&r"(saved_k1)
      : [marks] "r"(marks), [indices] "m"(kIndices)
      : "xmm14", "xmm15");
#else
  uint32_t bounds[9];
  NineBounds(marks, bounds);
  std::memcpy(&starts, bounds, sizeof(starts));
  std::memcpy(&ends, bounds + 1, sizeof(ends));
#endif
}

// The position of the set bit of `marks | 1 << 63` that has `n` (< 64)
// set bits below it (63 where there is none), as NineBounds()' bounds[n]:
// on x86-64 one PDEP of the bit n into the mask, which needs BMI2; only the
// kernel that calls CompressedBounds() calls this. Inline assembly as
// there.
LAPLACE_RICE_INLINE int NthSetBit(uint64_t marks, size_t n) {
  const uint64_t mask = marks | (uint64_t{1} << 63);
#if defined(__x86_64__) && defined(__GNUC__)
  uint64_t bit;
  asm("pdep %[mask], %[bits], %[bit]"
      : [bit] "=r"(bit)
      : [bits] "r"(uint64_t{1} << n), [mask] "r"(mask));
  return CountTrailingZeros(bit | (uint64_t{1} << 63));
#else
  uint64_t rest = mask;
  for (size_t i = 0; i < n && rest != 0; ++i) rest &= rest - 1;
  return rest == 0 ? 63 : CountTrailingZeros(rest);
#endif
}

}  // namespace internal
}  // namespace laplace_rice

#endif  // LAPLACE_RICE_CODEC_SRC_CODE_BOUNDS_H_
