// The codec against the format oracle (format_oracle.h, FORMAT.md bit by
// bit): every code (gamma and Rice k = 0..31, for run lengths and
// magnitudes, with and without runs of non-zeros), edge values, empty units,
// long unary prefixes at every bit offset, hand-made malformed strings; the
// decoder's verdict on valid, bit-flipped and cut strings; bit counts exact
// to the bit. The oracle itself is pinned to hand-computed bits here and to
// the reference's strings by GoldenVectors (codec_test.cc).
#include <algorithm>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "format_oracle.h"
#include "laplace_rice/codec.h"

namespace laplace_rice {
namespace {

using oracle::Describe;
constexpr int32_t kMin = oracle::kInt32Min;
constexpr int32_t kMax = oracle::kInt32Max;

// Every code of FORMAT.md: gamma (-1) and Rice k = 0..31 for both fields.
std::vector<CodeParams> EveryCode() {
  std::vector<CodeParams> all;
  for (int rl = -1; rl <= kMaxRiceParameter; ++rl) {
    for (int mag = -1; mag <= kMaxRiceParameter; ++mag) {
      for (bool nz : {false, true}) all.push_back({rl, mag, nz});
    }
  }
  return all;
}

// Rice magnitudes with a small k write |v| >> k zero bits: huge values only
// where their codes stay short.
bool HugeValuesAreCheap(const CodeParams& p) { return p.magnitude_code < 0 || p.magnitude_code >= 20; }

// Through the std::string_view overload (the pointer form is used by
// codec_test.cc).
Status DecodeString(const std::string& code, const CodeParams& p, std::vector<int32_t>* out) {
  return Decode(code, p, out->data(), out->size());
}

// ---- The oracle pinned to FORMAT.md by hand-computed bits, so that the
// codec is never checked against an oracle that drifted with it. ----

TEST(FormatOracleTest, CodesAreTheHandComputedBits) {
  using oracle::FromBits;
  oracle::Writer w;
  w.Rice(0, 0);  // 1
  w.Rice(5, 1);  // 5 >> 1 = 2 zeros, 1, low bit 1: 0011
  w.Rice(9, 3);  // 1 zero, 1, 001 least significant first: 01100
  w.Gamma(1);    // 1
  w.Gamma(5);    // 2 zeros, 1, low bits 01 least significant first: 00110
  EXPECT_EQ(w.bytes(), FromBits("1" "0011" "01100" "1" "00110"));
  EXPECT_EQ(w.bits(), 16u);
  EXPECT_EQ(FromBits("01"), std::string("\x02", 1));  // the first bit is bit 0
  EXPECT_EQ(FromBits("000000001"), std::string("\0\x01", 2));
}

TEST(FormatOracleTest, UnitsAreTheHandComputedBits) {
  using oracle::FromBits;
  struct Case {
    std::vector<int32_t> x;
    CodeParams p;
    const char* bits;
  };
  const Case cases[] = {
      // Gamma(3) = 011, sign 1, Rice(2, 0) = 001.
      {{0, 0, 3}, CodeParams{}, "011" "1001"},
      // Rice(0, 1) = 10, sign 0, Gamma(1) = 1.
      {{-1}, CodeParams{1, -1, false}, "10" "01"},
      // A final run: Gamma(2) = 010.
      {{0}, CodeParams{}, "010"},
      // Runs of non-zeros: Gamma(3) = 011 (2 zeros), Gamma(2) = 010 (2
      // non-zeros), 1 00001 (+5), 0 1 (-1), then the last run less one:
      // Gamma(1) = 1 (1 zero).
      {{0, 0, 5, -1, 0}, CodeParams{-1, 0, true}, "011" "010" "100001" "01" "1"},
      // Gamma magnitudes: INT32_MIN is written as -(2^31 - 1).
      {{kMin}, CodeParams{0, -1, false},
       "1" "0" "000000000000000000000000000000" "1" "111111111111111111111111111111"},
      {{}, CodeParams{}, ""},
  };
  for (const Case& c : cases) {
    const std::string bits = c.bits;
    EXPECT_EQ(oracle::Encode(c.x, c.p), FromBits(bits)) << Describe(c.p);
    EXPECT_EQ(oracle::Bits(c.x, c.p), bits.size()) << Describe(c.p);
    std::vector<int32_t> decoded(c.x.size(), 777);
    EXPECT_TRUE(oracle::Decode(FromBits(bits), c.p, &decoded)) << Describe(c.p);
    EXPECT_EQ(decoded, oracle::Decoded(c.x, c.p)) << Describe(c.p);
  }
}

// The oracle's malformed cases, one by one (the codec must agree: below).
TEST(FormatOracleTest, DecoderRejectsWhatFormatMdCallsMalformed) {
  using oracle::FromBits;
  const CodeParams gamma{-1, -1, false};
  std::vector<int32_t> one(1), two(2);
  EXPECT_TRUE(oracle::Decode(FromBits("1" "1" "1"), gamma, &one));          // +1
  EXPECT_FALSE(oracle::Decode(FromBits("1" "1"), gamma, &one));             // bits run out
  EXPECT_FALSE(oracle::Decode(FromBits("011"), gamma, &one));               // run of 2 > 1
  EXPECT_FALSE(oracle::Decode(FromBits(std::string(31, '0') + "1" + std::string(31, '0')),
                              gamma, &one));                                // gamma prefix 31
  // -2^31 fits int32, but its gamma code would need a prefix of 31.
  EXPECT_FALSE(oracle::Decode(FromBits("1" "0" + std::string(31, '0') + "1" + std::string(31, '0')),
                              gamma, &one));
  EXPECT_FALSE(oracle::Decode(FromBits("1" "1" "1" "00000000"), gamma, &one));  // unused byte
  EXPECT_TRUE(oracle::Decode(FromBits("1" "1" "1" "00000"), gamma, &one));  // padding only
  // Rice k = 31 magnitudes: 2^31 is INT32_MIN's, negative only; 2^32 is over.
  const CodeParams rice31{0, 31, false};
  const std::string low_ones(31, '1');
  EXPECT_TRUE(oracle::Decode(FromBits("1" "0" "1" + low_ones), rice31, &one));
  EXPECT_EQ(one[0], kMin);
  EXPECT_FALSE(oracle::Decode(FromBits("1" "1" "1" + low_ones), rice31, &one));
  EXPECT_FALSE(oracle::Decode(FromBits("1" "0" "001" + std::string(31, '0')), rice31, &one));
  // A run of non-zeros past the end of the unit.
  EXPECT_FALSE(oracle::Decode(FromBits("1" "010" "11" "11"), CodeParams{-1, 0, true}, &one));
  EXPECT_TRUE(oracle::Decode(FromBits("1" "010" "11" "11"), CodeParams{-1, 0, true}, &two));
}

// The oracle's decoder inverts its encoder under every code.
TEST(FormatOracleTest, DecodeInvertsEncodeEveryCode) {
  const std::vector<int32_t> x = {0, 3, -1, 0, 0, 0, 7, 7, -2, 0, 1};
  for (const CodeParams& p : EveryCode()) {
    const std::string code = oracle::Encode(x, p);
    EXPECT_EQ(BytesForBits(oracle::Bits(x, p)), code.size()) << Describe(p);
    std::vector<int32_t> decoded(x.size());
    ASSERT_TRUE(oracle::Decode(code, p, &decoded)) << Describe(p);
    EXPECT_EQ(decoded, x) << Describe(p);
  }
}

// ---- The codec against the oracle. ----

// Encode, CountBits and Decode all agree with the oracle, and the oracle
// decodes what Encode wrote.
void ExpectMatchesSpec(const std::vector<int32_t>& x, const CodeParams& p) {
  const std::string spec = oracle::Encode(x, p);
  std::string code;
  const Status status = Encode(x.data(), x.size(), p, &code);
  ASSERT_TRUE(status.ok()) << status.message() << " " << Describe(p);
  ASSERT_EQ(code, spec) << Describe(p);
  uint64_t bits = 0;
  ASSERT_TRUE(CountBits(x.data(), x.size(), p, &bits).ok());
  EXPECT_EQ(bits, oracle::Bits(x, p)) << Describe(p);
  std::vector<int32_t> decoded(x.size(), 777);
  const Status decoded_status = DecodeString(code, p, &decoded);
  ASSERT_TRUE(decoded_status.ok()) << decoded_status.message() << " " << Describe(p);
  EXPECT_EQ(decoded, oracle::Decoded(x, p)) << Describe(p);
  std::vector<int32_t> by_oracle(x.size(), 777);
  ASSERT_TRUE(oracle::Decode(code, p, &by_oracle)) << Describe(p);
  EXPECT_EQ(by_oracle, decoded) << Describe(p);
}

TEST(CodecSpecTest, EveryCodeWritesTheSpecifiedBits) {
  std::mt19937 rng(2024);
  std::geometric_distribution<int32_t> small(0.25);
  std::geometric_distribution<int> run(0.15);
  std::uniform_int_distribution<int32_t> any(kMin, kMax);
  for (const CodeParams& p : EveryCode()) {
    for (int trial = 0; trial < 3; ++trial) {
      std::vector<int32_t> x;
      while (x.size() < 120) {
        x.insert(x.end(), static_cast<size_t>(run(rng)), 0);
        const int32_t v = HugeValuesAreCheap(p) && rng() % 8 == 0 ? any(rng) : 1 + small(rng);
        x.push_back(rng() % 2 ? v : (v == kMin ? v : -v));
      }
      if (trial == 1) x.insert(x.end(), 9, 0);  // ends in a run of zeros
      ExpectMatchesSpec(x, p);
    }
  }
}

TEST(CodecSpecTest, EdgeValuesEveryCode) {
  for (const CodeParams& p : EveryCode()) {
    std::vector<std::vector<int32_t>> units = {{0}, {1}, {-1}, {0, 0, 1, -1, 0}, {1, 0, 0, -1}};
    if (HugeValuesAreCheap(p)) {
      units.push_back({kMax});
      units.push_back({kMin});
      units.push_back({kMin, kMax, 0, kMin + 1, kMax - 1, 0, 0});
    }
    for (const std::vector<int32_t>& x : units) ExpectMatchesSpec(x, p);
  }
}

TEST(CodecSpecTest, EmptyUnitEveryCode) {
  for (const CodeParams& p : EveryCode()) {
    std::string code = "untouched";
    ASSERT_TRUE(Encode(static_cast<const int32_t*>(nullptr), 0, p, &code).ok());
    EXPECT_EQ(code, "");
    EXPECT_EQ(oracle::Encode({}, p), "");
    uint64_t bits = 1;
    ASSERT_TRUE(CountBits(static_cast<const int32_t*>(nullptr), 0, p, &bits).ok());
    EXPECT_EQ(bits, 0u);
    EXPECT_TRUE(Decode(nullptr, 0, p, nullptr, 0).ok());
    // A non-empty string for an empty unit holds unused bytes.
    EXPECT_EQ(Decode(reinterpret_cast<const uint8_t*>("\x01"), 1, p, nullptr, 0).code(),
              ErrorCode::kDataLoss)
        << Describe(p);
    std::vector<int32_t> none;
    EXPECT_TRUE(oracle::Decode("", p, &none));
    EXPECT_FALSE(oracle::Decode("\x01", p, &none)) << Describe(p);
  }
}

// Unary prefixes of 57 to 70 zero bits (the reference's shift defect starts
// at 57), each starting at every bit offset within a byte: for run lengths
// (Rice k = 0) and for magnitudes (Rice k = 0 and 1).
TEST(CodecSpecTest, LongPrefixesAtEveryBitOffset) {
  for (int lead = 0; lead < 8; ++lead) {
    for (int prefix = 57; prefix <= 70; ++prefix) {
      for (bool nz : {false, true}) {
        // A run of `prefix` zeros after `lead` single-bit-ish values.
        std::vector<int32_t> runs(static_cast<size_t>(lead), 1);
        runs.insert(runs.end(), static_cast<size_t>(prefix), 0);
        runs.push_back(-2);
        ExpectMatchesSpec(runs, CodeParams{0, -1, nz});
        ExpectMatchesSpec(runs, CodeParams{0, 0, nz});
        // A magnitude whose Rice prefix is `prefix` zero bits.
        std::vector<int32_t> magnitudes(static_cast<size_t>(lead), -1);
        magnitudes.push_back(prefix + 1);  // Rice(|v| - 1, 0)
        magnitudes.push_back(-(2 * prefix + 1));  // Rice(2 * prefix, 1)
        ExpectMatchesSpec(magnitudes, CodeParams{-1, 0, nz});
        ExpectMatchesSpec(magnitudes, CodeParams{1, 0, nz});
        ExpectMatchesSpec(magnitudes, CodeParams{-1, 1, nz});
      }
    }
  }
}

// The longest gamma prefix is 30 zero bits (a 31-bit integer); one more is
// malformed.
TEST(CodecSpecTest, GammaPrefixOf30BitsDecodes31IsDataLoss) {
  const CodeParams gamma{-1, -1, false};
  for (int32_t v : {1 << 30, kMax, -(1 << 30), -kMax}) ExpectMatchesSpec({v}, gamma);
  std::vector<int32_t> out(1);
  // 2^31: too large for +, but -2^31 would fit int32; only the prefix
  // rule makes the negative one malformed.
  for (bool positive : {true, false}) {
    oracle::Writer w;
    w.Gamma(1);  // run of 0
    w.Bit(positive);  // sign
    w.Zeros(31);
    w.Bit(true);
    w.Field(0, 31);
    EXPECT_EQ(DecodeString(w.bytes(), gamma, &out).code(), ErrorCode::kDataLoss) << positive;
    EXPECT_FALSE(oracle::Decode(w.bytes(), gamma, &out)) << positive;
  }
  // The same for a gamma run length.
  oracle::Writer run;
  run.Zeros(31);
  run.Bit(true);
  run.Field(0, 31);
  EXPECT_EQ(DecodeString(run.bytes(), gamma, &out).code(), ErrorCode::kDataLoss);
  EXPECT_FALSE(oracle::Decode(run.bytes(), gamma, &out));
}

TEST(CodecSpecTest, MalformedStringsAreDataLoss) {
  std::vector<int32_t> out(5);
  struct Case {
    const char* what;
    CodeParams params;
    oracle::Writer string;
  };
  std::vector<Case> cases;
  {  // A zero run longer than the unit.
    Case c{"zero run past the end", {2, 0, false}, {}};
    c.string.RunLength(6, c.params);
    cases.push_back(c);
  }
  {  // A run of non-zeros longer than the rest of the unit.
    Case c{"non-zero run past the end", {-1, 0, true}, {}};
    c.string.RunLength(2, c.params);  // 2 zeros
    c.string.RunLength(3, c.params);  // then 4 non-zeros: 6 > 5
    for (int i = 0; i < 4; ++i) c.string.NonZero(1, c.params);
    cases.push_back(c);
  }
  {  // A Rice k = 31 run length that overflows 32 bits.
    Case c{"run length overflows", {31, 0, false}, {}};
    c.string.Zeros(3);
    c.string.Bit(true);
    c.string.Field(0x7fffffff, 31);
    cases.push_back(c);
  }
  {  // A Rice k = 31 magnitude of 2^32 + 1.
    Case c{"magnitude overflows", {-1, 31, false}, {}};
    c.string.RunLength(0, c.params);
    c.string.Bit(true);
    c.string.Zeros(2);
    c.string.Bit(true);
    c.string.Field(0, 31);
    cases.push_back(c);
  }
  {  // Stops inside the low bits of a Rice code.
    Case c{"truncated low bits", {-1, 20, false}, {}};
    c.string.RunLength(0, c.params);
    c.string.Bit(true);
    c.string.Bit(true);
    c.string.Field(5, 3);  // 3 of 20 bits
    cases.push_back(c);
  }
  {  // Only zero bits: the prefix never ends.
    Case c{"endless prefix", {0, 0, true}, {}};
    c.string.Zeros(64);
    cases.push_back(c);
  }
  {  // A whole byte after the last code.
    Case c{"trailing byte", {-1, 0, false}, {}};
    for (int i = 0; i < 5; ++i) {
      c.string.RunLength(0, c.params);
      c.string.NonZero(1, c.params);
    }
    c.string.Field(0, 8);
    cases.push_back(c);
  }
  for (const Case& c : cases) {
    const Status status = DecodeString(c.string.bytes(), c.params, &out);
    EXPECT_EQ(status.code(), ErrorCode::kDataLoss) << c.what;
    EXPECT_FALSE(status.message().empty()) << c.what;
    EXPECT_FALSE(oracle::Decode(c.string.bytes(), c.params, &out)) << c.what;
  }
}

// Runs of every length up to a few words, and some very long ones, across
// word boundaries and at the end: the counts are exact to the bit (the
// oracle counts the bits it writes, one by one).
TEST(CodecSpecTest, CountBitsIsExactForAllRunLengths) {
  const ParallelRunner serial = [](size_t n, const std::function<void(size_t)>& task) {
    for (size_t i = 0; i < n; ++i) task(i);
  };
  std::mt19937 rng(11);
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<int32_t> x;
    const size_t target = 1 + rng() % (trial % 10 == 0 ? 300000 : 3000);
    while (x.size() < target) {
      const int kind = static_cast<int>(rng() % 8);
      const size_t zeros = kind < 5 ? rng() % 4 : kind < 7 ? rng() % 200 : rng() % 100000;
      x.insert(x.end(), zeros, 0);
      // Runs of non-zeros as long as those of zeros, for the codes that
      // count them.
      const int run_kind = static_cast<int>(rng() % 8);
      const size_t non_zeros =
          1 + (run_kind < 5 ? rng() % 4 : run_kind < 7 ? rng() % 200 : rng() % 3000);
      for (size_t i = 0; i < non_zeros && x.size() < target + 3000; ++i) {
        const int32_t magnitude = 1 + static_cast<int32_t>(rng() % 20);
        x.push_back(rng() % 2 ? magnitude : -magnitude);
      }
    }
    if (trial % 3 == 0) x.insert(x.end(), rng() % 300, 0);  // trailing zeros
    for (const CodeParams& params :
         {CodeParams{-1, 0, false}, CodeParams{-1, 2, false}, CodeParams{-1, -1, false},
          CodeParams{0, 0, false}, CodeParams{3, -1, false}, CodeParams{-1, 0, true},
          CodeParams{-1, 2, true}, CodeParams{-1, -1, true}, CodeParams{2, 1, true}}) {
      const uint64_t expected = oracle::Bits(x, params);
      uint64_t bits = 0;
      ASSERT_TRUE(CountBits(x.data(), x.size(), params, &bits).ok());
      ASSERT_EQ(bits, expected) << Describe(params) << " trial " << trial;
      const std::vector<float> xf(x.begin(), x.end());
      ASSERT_TRUE(CountBits(xf.data(), xf.size(), params, &bits).ok());
      ASSERT_EQ(bits, expected) << Describe(params) << " trial " << trial << " (float)";
      ASSERT_TRUE(CountBitsParallel(x.data(), x.size(), params, 5, serial, &bits).ok());
      ASSERT_EQ(bits, expected) << Describe(params) << " trial " << trial << " (parts)";
    }
  }
  // All zeros, one long run; and no zeros at all.
  for (size_t n : {size_t{1}, size_t{63}, size_t{64}, size_t{65}, size_t{1} << 20}) {
    const std::vector<int32_t> zeros(n, 0), ones(n, 1);
    for (const std::vector<int32_t>* x : {&zeros, &ones}) {
      for (const CodeParams& params : {CodeParams{}, CodeParams{-1, 0, true}}) {
        uint64_t bits = 0;
        ASSERT_TRUE(CountBits(x->data(), x->size(), params, &bits).ok());
        EXPECT_EQ(bits, oracle::Bits(*x, params)) << n << " " << Describe(params);
      }
    }
  }
}

// `code` decodes to x as float (values converted as they are stored).
void ExpectFloatDecodeMatches(const std::string& code, const std::vector<int32_t>& x,
                              const CodeParams& p) {
  std::vector<float> floats(x.size(), 7.0f);
  ASSERT_TRUE(DecodeTo(reinterpret_cast<const uint8_t*>(code.data()), code.size(), p,
                       floats.data(), floats.size())
                  .ok());
  for (size_t i = 0; i < x.size(); ++i) {
    ASSERT_EQ(floats[i], static_cast<float>(x[i])) << Describe(p) << " at " << i;
  }
}

// `mutations` damaged copies of `code` (every fourth cut short, the others
// with a bit flipped) decode to the oracle's values, or fail where it fails,
// with DataLoss.
void ExpectDamageDecodedAsTheOracleDoes(const std::string& code, const CodeParams& params,
                                        size_t n, int mutations, std::mt19937& rng) {
  std::vector<int32_t> decoded(n), by_oracle(n);
  for (int mutation = 0; mutation < mutations && !code.empty(); ++mutation) {
    std::string bad = code;
    if (mutation % 4 == 3) {
      bad.resize(rng() % code.size());
    } else {
      bad[rng() % bad.size()] ^= static_cast<char>(1 << (rng() % 8));
    }
    const bool oracle_ok = oracle::Decode(bad, params, &by_oracle);
    const Status status = DecodeString(bad, params, &decoded);
    ASSERT_EQ(status.ok(), oracle_ok) << Describe(params) << " n=" << n << " "
                                      << status.message();
    if (oracle_ok) {
      ASSERT_EQ(decoded, by_oracle) << Describe(params) << " n=" << n;
    } else {
      ASSERT_EQ(status.code(), ErrorCode::kDataLoss);
    }
  }
}

// x against the spec (ExpectMatchesSpec), its string decoded as float, and
// `mutations` damaged copies of it decoded as the oracle decodes them.
void ExpectDecodedAsTheOracleDoes(const std::vector<int32_t>& x, const CodeParams& p,
                                  int mutations, std::mt19937& rng) {
  ExpectMatchesSpec(x, p);
  const std::string code = oracle::Encode(x, p);
  ExpectFloatDecodeMatches(code, x, p);
  ExpectDamageDecodedAsTheOracleDoes(code, p, x.size(), mutations, rng);
}

// The decoder agrees with the oracle's on valid strings of every length and
// on bit-flipped and cut ones: same values, same verdict; the encoder writes
// the oracle's string. Small magnitudes and short runs take the codec's
// lookup tables (narrow codes), the rest mixes in codes that do not fit one.
TEST(CodecSpecTest, DecoderMatchesFormatOracle) {
  std::mt19937 rng(5);
  for (const CodeParams& params :
       {CodeParams{-1, 0, false}, CodeParams{0, 0, false}, CodeParams{1, 0, false},
        CodeParams{-1, 1, false}, CodeParams{0, -1, false}, CodeParams{-1, -1, false},
        CodeParams{2, 1, false}, CodeParams{4, 3, false}, CodeParams{-1, 0, true},
        CodeParams{0, 0, true}, CodeParams{-1, 1, true}, CodeParams{-1, -1, true},
        CodeParams{2, 1, true}, CodeParams{1, 4, true}}) {
    for (int trial = 0; trial < 400; ++trial) {
      const size_t n = trial < 200 ? static_cast<size_t>(trial) : 1 + rng() % 5000;
      const int wide = static_cast<int>(rng() % 4);  // how often codes are long
      std::vector<int32_t> x(n);
      for (int32_t& v : x) {
        const uint32_t r = static_cast<uint32_t>(rng());
        const int32_t magnitude = static_cast<int32_t>(
            r % 16 < static_cast<uint32_t>(wide) ? 1 + (r >> 8) % 300 : 1 + (r >> 8) % 3);
        v = r % 5 < 2 ? 0 : (r & 32 ? magnitude : -magnitude);
      }
      if (trial % 7 == 0 && n > 10) std::fill(x.begin() + n / 3, x.begin() + n / 2, 0);
      std::string code;
      ASSERT_TRUE(Encode(x.data(), x.size(), params, &code).ok()) << Describe(params);
      std::vector<int32_t> decoded(n), by_oracle(n);
      ASSERT_TRUE(DecodeString(code, params, &decoded).ok()) << Describe(params);
      ASSERT_EQ(decoded, x) << Describe(params) << " n=" << n;
      // The encoder's table and computed codes are FORMAT.md's.
      ASSERT_EQ(code, oracle::Encode(x, params)) << Describe(params) << " n=" << n;
      ASSERT_TRUE(oracle::Decode(code, params, &by_oracle)) << Describe(params);
      ASSERT_EQ(by_oracle, x) << Describe(params) << " n=" << n;
      ExpectDamageDecodedAsTheOracleDoes(code, params, n, 4, rng);
    }
  }
}

// Runs of non-zeros with Rice magnitudes k = 0..9 are decoded several values
// from one peeked word (decode_rice.h: 8, 6 or 4 a word, none past k = 8).
// Long units of data suited to each k, with runs of every length from 1 to
// 20 (so that a run ends at every place within a word's values) and now and
// then a value too long for a word in the middle of a run; the output as
// int32 and as float, whole and damaged. On x86-64-v3 k = 1..8 make their
// values in vector lanes, elsewhere code after code.
TEST(CodecSpecTest, RunsOfNonZerosRiceWordsMatchTheOracle) {
  std::mt19937 rng(77);
  for (int k = 0; k <= 9; ++k) {
    std::geometric_distribution<int32_t> magnitude(1.0 / (1 << (k + 1)));
    for (int run_length_code : {-1, 0, 2}) {
      const CodeParams p{run_length_code, k, true};
      std::vector<int32_t> x;
      for (int run = 1; x.size() < 4000; run = run % 20 + 1) {
        x.insert(x.end(), 1 + rng() % 3, 0);
        for (int i = 0; i < run; ++i) {
          // 1 in 40 has a prefix of 40 to 70 zero bits.
          const int32_t m = rng() % 40 == 0 ? ((40 + static_cast<int32_t>(rng() % 31)) << k) + 1
                                            : 1 + magnitude(rng);
          x.push_back(rng() % 2 ? m : -m);
        }
      }
      ExpectDecodedAsTheOracleDoes(x, p, 100, rng);
    }
  }
}

// With runs of non-zeros, a group's two run lengths come from one lookup
// where both codes lie in 12 bits (group_head.h), and from the bits the
// group before ended in where it ended in its word with 12 or more to
// spare (decode_groups.h's BitsAhead). Groups of 1 to 3 or 1 to 40 zeros
// and 1 to 12 values, now and then runs of 20 to 80 (heads of every length
// about 12 bits, after groups that leave every number of bits in their word),
// with run codes gamma and Rice 0 to 6 (6: no table) and magnitudes read
// from words (Rice 0, 2), value by value (Rice 12) and through the non-zero
// table (gamma); whole and damaged.
TEST(CodecSpecTest, GroupHeadsMatchTheOracle) {
  std::mt19937 rng(97);
  std::geometric_distribution<int32_t> magnitude(0.3);
  const auto run = [&rng](int most) {
    return rng() % 12 == 0 ? 20 + static_cast<int32_t>(rng() % 61)
                           : 1 + static_cast<int32_t>(rng() % most);
  };
  std::vector<int32_t> x;
  while (x.size() < 20000) {
    x.insert(x.end(), run(rng() % 2 ? 3 : 40), 0);
    for (int i = run(12); i > 0; --i) {
      const int32_t m = 1 + magnitude(rng);
      x.push_back(rng() % 2 ? m : -m);
    }
  }
  for (int run_length_code = -1; run_length_code <= 6; ++run_length_code) {
    for (int magnitude_code : {0, 2, 12, -1}) {
      ExpectDecodedAsTheOracleDoes(x, CodeParams{run_length_code, magnitude_code, true}, 40,
                                   rng);
    }
  }
}

// Without runs of non-zeros, on wide data (5 to 24 bits a value), pairs
// of a run of zeros (a run code where the empty run is one bit: gamma,
// Rice 0) and a Rice-0 magnitude are decoded from peeked words
// (decode_rice.h): the first pair's run as a code, up to 8 zeros, then up
// to eight pairs with empty runs, stopping at a pair with a run of zeros
// and at codes longer than the word. Stretches of such pairs of every
// length from 1 to 30 between runs of 1 to 12 zeros, magnitudes of the
// defaults at scale 8 (and at scale 40, past the words' range, as control)
// and now and then one of over 57 bits; as int32 and float, whole and
// damaged. Rice 1 runs take the other paths, as control too.
TEST(CodecSpecTest, PairWordsMatchTheOracle) {
  std::mt19937 rng(91);
  for (const double mean_magnitude : {8.0, 40.0}) {
    std::geometric_distribution<int32_t> magnitude(1.0 / mean_magnitude);
    for (int run_length_code : {-1, 0, 1}) {
      const CodeParams p{run_length_code, 0, false};
      std::vector<int32_t> x;
      for (int stretch = 1; x.size() < 6000; stretch = stretch % 30 + 1) {
        x.insert(x.end(), 1 + rng() % 12, 0);
        for (int i = 0; i < stretch; ++i) {
          const int32_t m = rng() % 50 == 0 ? 58 + static_cast<int32_t>(rng() % 40)
                                            : 1 + magnitude(rng);
          x.push_back(rng() % 2 ? m : -m);
        }
      }
      ExpectDecodedAsTheOracleDoes(x, p, 200, rng);
    }
  }
}

// Without runs of non-zeros the decoder picks words of pairs or the pair
// table anew for each stretch of 4,096 values, from the bits the stretch
// before took. A unit whose data change every 5,000 values (narrow, wide,
// all zeros, wider than the words' range) switches ways mid-unit, with runs
// of zeros across the stretches' ends; whole, as float and damaged.
TEST(CodecSpecTest, PairsOfChangingWidthMatchTheOracle) {
  std::mt19937 rng(93);
  std::geometric_distribution<int32_t> wide(1.0 / 8), wider(1.0 / 40);
  for (int run_length_code : {-1, 0, 1}) {
    const CodeParams p{run_length_code, 0, false};
    std::vector<int32_t> x;
    for (int segment = 0; segment < 8; ++segment) {
      for (int i = 0; i < 5000; ++i) {
        int32_t m = 0;
        switch (segment % 4) {
          case 0: m = rng() % 3 == 0 ? 1 + static_cast<int32_t>(rng() % 2) : 0; break;
          case 1: m = rng() % 10 == 0 ? 0 : 1 + wide(rng); break;
          case 2: m = 0; break;
          case 3: m = 1 + wider(rng); break;
        }
        x.push_back(rng() % 2 ? m : -m);
      }
    }
    ExpectDecodedAsTheOracleDoes(x, p, 40, rng);
  }
}

// Without runs of non-zeros the encoder writes two values a Write while
// both codes are in its table and fit together, else one value a Write for
// a stretch, and hands codes past the table (values beyond +-127, runs of
// 64 zeros or more, codes over 56 bits) to a slow step. Segments of narrow
// values, of values wide enough that pairs and single values alternate, of
// values past the table, and of runs of 55 to 74 zeros (across the table's
// end, starting at both parities of position); encoded from int32 and from
// float, by Encode and in one pass, each against the oracle.
TEST(CodecSpecTest, PlainWriterPathsMatchTheOracle) {
  std::mt19937 rng(95);
  std::geometric_distribution<int32_t> narrow(0.5), wide(1.0 / 30), wider(1.0 / 300);
  std::vector<int32_t> x;
  for (int segment = 0; x.size() < 24000; ++segment) {
    for (int i = 0; i < 400; ++i) {
      int32_t m = 0;
      switch (segment % 4) {
        case 0: m = rng() % 3 == 0 ? 0 : 1 + narrow(rng); break;
        case 1: m = rng() % 8 == 0 ? 0 : 1 + wide(rng); break;
        case 2: m = 1 + wider(rng); break;
        case 3:
          x.insert(x.end(), 55 + rng() % 20, 0);
          m = 1 + (rng() % 2 ? narrow(rng) : wide(rng));
          if (rng() % 2) x.push_back(1);  // the next run starts at the other parity
          break;
      }
      x.push_back(rng() % 2 ? m : -m);
    }
  }
  x.insert(x.end(), 70, 0);  // ends in a run past the table
  const std::vector<float> floats(x.begin(), x.end());
  for (const CodeParams& p : {CodeParams{-1, 0, false}, CodeParams{0, 0, false},
                              CodeParams{-1, 4, false}, CodeParams{2, -1, false}}) {
    ExpectMatchesSpec(x, p);
    const std::string spec = oracle::Encode(x, p);
    std::string code;
    ASSERT_TRUE(Encode(floats.data(), floats.size(), p, &code).ok()) << Describe(p);
    EXPECT_EQ(code, spec) << Describe(p);
    for (const bool from_float : {false, true}) {
      EncodeBuffer buffer;
      bool fits = false;
      const Status status =
          from_float
              ? EncodeToBuffer(floats.data(), floats.size(), p, SIZE_MAX, &buffer, &fits)
              : EncodeToBuffer(x.data(), x.size(), p, SIZE_MAX, &buffer, &fits);
      ASSERT_TRUE(status.ok() && fits) << Describe(p);
      EXPECT_EQ(std::string(reinterpret_cast<const char*>(buffer.data()), buffer.size()), spec)
          << Describe(p) << (from_float ? " float" : " int32");
    }
  }
}

}  // namespace
}  // namespace laplace_rice
