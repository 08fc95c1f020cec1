// Unit tests of the codec library (cc/codec): round trips, the reference's
// golden vectors, floats, buffers, parallel parts and errors. What the bits
// must be comes from the format oracle (format_oracle.h); the tests that
// compare the codec with it bit by bit are in codec_spec_test.cc.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "format_oracle.h"
#include "laplace_rice/codec.h"

namespace laplace_rice {
namespace {

using oracle::Describe;
constexpr int32_t kMin = oracle::kInt32Min;
constexpr int32_t kMax = oracle::kInt32Max;

std::string ToHex(const std::string& bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : bytes) {
    hex += kDigits[c >> 4];
    hex += kDigits[c & 15];
  }
  return hex;
}

std::string EncodeOrDie(const std::vector<int32_t>& values,
                        const CodeParams& params) {
  std::string out;
  const Status status = Encode(values.data(), values.size(), params, &out);
  EXPECT_TRUE(status.ok()) << status.message();
  return out;
}

Status DecodeString(const std::string& code, const CodeParams& params,
                    std::vector<int32_t>* out) {
  return Decode(reinterpret_cast<const uint8_t*>(code.data()), code.size(),
                params, out->data(), out->size());
}

std::vector<CodeParams> AllParams() {
  std::vector<CodeParams> all;
  for (int run_length_code : {-1, 0, 1, 2, 5, 13, 31}) {
    for (int magnitude_code : {-1, 0, 1, 3, 7, 20, 31}) {
      for (bool non_zeros : {false, true}) {
        all.push_back({run_length_code, magnitude_code, non_zeros});
      }
    }
  }
  return all;
}

// Rice magnitudes with a small k write |v| >> k zero bits: huge values would
// make strings of hundreds of MB. Those params get small values only.
bool CarriesHugeValuesCheaply(const CodeParams& p) {
  return p.magnitude_code < 0 || p.magnitude_code >= 20;
}

void ExpectRoundTrip(const std::vector<int32_t>& values,
                     const CodeParams& params) {
  const std::string code = EncodeOrDie(values, params);
  uint64_t bits = 0;
  ASSERT_TRUE(CountBits(values.data(), values.size(), params, &bits).ok());
  EXPECT_EQ(BytesForBits(bits), code.size()) << Describe(params);
  std::vector<int32_t> decoded(values.size(), 12345);
  const Status status = DecodeString(code, params, &decoded);
  ASSERT_TRUE(status.ok()) << status.message() << " " << Describe(params);
  EXPECT_EQ(decoded, oracle::Decoded(values, params)) << Describe(params);
}

TEST(CodecTest, HandComputedBits) {
  // Gamma(3) = 0 1 1, then sign 1 and Rice(2, 0) = 0 0 1: 0b1001110.
  EXPECT_EQ(EncodeOrDie({0, 0, 3}, CodeParams{}), std::string("\x4e", 1));
  // Rice run lengths, k = 1: Rice(0,1) = 1 0; sign 0, Gamma(1) = 1.
  EXPECT_EQ(EncodeOrDie({-1}, CodeParams{1, -1, false}),
            std::string("\x09", 1));
  // A single zero, gamma run: Gamma(2) = 0 1 0.
  EXPECT_EQ(EncodeOrDie({0}, CodeParams{}), std::string("\x02", 1));
}

TEST(CodecTest, EmptyUnitIsEmptyString) {
  for (const CodeParams& params : AllParams()) {
    EXPECT_EQ(EncodeOrDie({}, params), "");
    std::vector<int32_t> none;
    EXPECT_TRUE(DecodeString("", params, &none).ok());
  }
}

TEST(CodecTest, EdgeValuesRoundTrip) {
  const std::vector<int32_t> edges = {0,    1,     -1,   kMax, kMin,
                                      kMax - 1, kMin + 1, 0,  0,  2};
  for (const CodeParams& params : AllParams()) {
    if (!CarriesHugeValuesCheaply(params)) continue;
    ExpectRoundTrip(edges, params);
    for (int32_t v : edges) ExpectRoundTrip({v}, params);
  }
  // A 2^28-bit unary prefix (32 MiB string) still codes exactly.
  ExpectRoundTrip({kMax, 0, kMin, 1}, CodeParams{-1, 3, true});
}

TEST(CodecTest, GammaWritesInt32MinAsMinusInt32Max) {
  const CodeParams gamma{-1, -1, false};
  EXPECT_EQ(EncodeOrDie({kMin}, gamma), EncodeOrDie({-kMax}, gamma));
}

TEST(CodecTest, LongUnaryPrefixes) {
  // Rice magnitudes with k = 0 write |v| - 1 zero bits: 57 and more reach
  // the reference's shift defect; every offset within a byte is covered by
  // the leading values.
  for (int lead = 0; lead < 8; ++lead) {
    for (int32_t magnitude : {57, 58, 59, 64, 100, 1000, 100000}) {
      std::vector<int32_t> values(lead, 1);
      values.push_back(magnitude);
      values.push_back(-magnitude);
      values.push_back(3);
      ExpectRoundTrip(values, CodeParams{-1, 0, false});
      ExpectRoundTrip(values, CodeParams{0, 0, true});
    }
  }
  // Long zero runs with Rice k = 0 run lengths.
  std::vector<int32_t> sparse(5000, 0);
  sparse[4000] = 7;
  ExpectRoundTrip(sparse, CodeParams{0, 0, false});
  ExpectRoundTrip(sparse, CodeParams{0, 0, true});
}

TEST(CodecTest, RandomRoundTripAllParams) {
  std::mt19937 rng(1234);
  std::uniform_int_distribution<int> length(0, 300);
  std::uniform_int_distribution<int> kind(0, 9);
  std::geometric_distribution<int32_t> small(0.3);
  std::uniform_int_distribution<int32_t> any(kMin, kMax);
  for (const CodeParams& params : AllParams()) {
    for (int trial = 0; trial < 6; ++trial) {
      std::vector<int32_t> values(length(rng));
      for (int32_t& v : values) {
        const int k = kind(rng);
        const bool huge = k == 9 && CarriesHugeValuesCheaply(params);
        v = k < 5 ? 0 : !huge ? (k % 2 ? 1 : -1) * (1 + small(rng)) : any(rng);
      }
      ExpectRoundTrip(values, params);
    }
  }
}

TEST(CodecTest, GoldenVectors) {
  std::ifstream file(LAPLACE_RICE_GOLDEN_OPS);
  ASSERT_TRUE(file) << "missing " << LAPLACE_RICE_GOLDEN_OPS;
  std::string line;
  int checked = 0, reference_wrong = 0;
  while (std::getline(file, line)) {
    std::istringstream in(line);
    CodeParams params;
    int non_zeros = 0, reference_ok = 0;
    size_t count = 0;
    in >> params.run_length_code >> params.magnitude_code >> non_zeros >>
        reference_ok >> count;
    params.use_run_length_for_non_zeros = non_zeros != 0;
    std::vector<int32_t> values(count);
    for (int32_t& v : values) in >> v;
    std::string reference_hex;
    in >> reference_hex;
    if (reference_hex == "-") reference_hex.clear();

    const std::string code = EncodeOrDie(values, params);
    // The oracle writes the reference's strings too (this pins it to the
    // reference), and ours where the reference's are wrong.
    EXPECT_EQ(ToHex(oracle::Encode(values, params)), ToHex(code)) << Describe(params);
    if (reference_ok) {
      EXPECT_EQ(ToHex(code), reference_hex) << Describe(params);
    } else {
      EXPECT_NE(ToHex(code), reference_hex) << Describe(params);
      ++reference_wrong;
    }
    ExpectRoundTrip(values, params);
    ++checked;
  }
  EXPECT_GT(checked, 900);
  EXPECT_GT(reference_wrong, 0);
}

TEST(CodecTest, FloatValuesRoundHalfToEven) {
  const std::vector<float> x = {0.5f,  1.5f,   2.5f,  -0.5f, -1.5f,
                                -2.5f, 0.49f, 3.7f, -1e5f, 0.0f};
  std::vector<int32_t> rounded;
  for (float v : x) rounded.push_back(static_cast<int32_t>(std::nearbyint(v)));
  EXPECT_EQ(rounded[0], 0);
  EXPECT_EQ(rounded[2], 2);
  for (const CodeParams& params : AllParams()) {
    std::string from_float, from_int;
    ASSERT_TRUE(Encode(x.data(), x.size(), params, &from_float).ok());
    EXPECT_EQ(from_float, EncodeOrDie(rounded, params));
    const std::vector<double> xd(x.begin(), x.end());
    std::string from_double;
    ASSERT_TRUE(Encode(xd.data(), xd.size(), params, &from_double).ok());
    EXPECT_EQ(from_double, from_float);
  }
}

TEST(CodecTest, FloatValuesOutsideInt32AreRejected) {
  const CodeParams params;
  for (double bad : {std::nan(""), HUGE_VAL, -HUGE_VAL, 2147483647.5,
                     2147483648.0, -2147483648.6, 1e300}) {
    const std::vector<double> x = {0.0, 1.0, bad, 2.0};
    std::string out = "untouched";
    const Status status = Encode(x.data(), x.size(), params, &out);
    EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument) << bad;
    EXPECT_NE(status.message().find("index 2"), std::string::npos);
    uint64_t bits = 0;
    EXPECT_FALSE(CountBits(x.data(), x.size(), params, &bits).ok());
  }
  // The extremes that do round into int32.
  const std::vector<double> edges = {2147483647.49, -2147483648.5};
  const CodeParams gamma{-1, 25, false};
  std::string out;
  ASSERT_TRUE(Encode(edges.data(), edges.size(), gamma, &out).ok());
  std::vector<int32_t> decoded(2);
  ASSERT_TRUE(DecodeString(out, gamma, &decoded).ok());
  EXPECT_EQ(decoded, (std::vector<int32_t>{kMax, kMin}));
  const std::vector<float> big = {2147483648.0f};
  EXPECT_FALSE(Encode(big.data(), big.size(), params, &out).ok());
}

TEST(CodecTest, ParametersOutOfRange) {
  const std::vector<int32_t> values = {1, 0, 2};
  std::string out;
  for (CodeParams bad : {CodeParams{32, 0, false}, CodeParams{-1, 32, true},
                         CodeParams{1000, 1000, false}}) {
    EXPECT_EQ(Encode(values.data(), values.size(), bad, &out).code(),
              ErrorCode::kInvalidArgument);
    std::vector<int32_t> decoded(3);
    EXPECT_EQ(DecodeString("\xff", bad, &decoded).code(),
              ErrorCode::kInvalidArgument);
  }
  // Any negative value selects the gamma code.
  EXPECT_EQ(EncodeOrDie(values, CodeParams{-7, -100, false}),
            EncodeOrDie(values, CodeParams{-1, -1, false}));
}

TEST(CodecTest, EncodeIntoChecksTheBufferSize) {
  const std::vector<int32_t> values = {5, 0, 0, -3, 100, 0};
  const CodeParams params;
  const std::string code = EncodeOrDie(values, params);
  // One byte short, and one byte long: an error, and no write outside.
  std::vector<uint8_t> buffer(code.size() + 8, 0xAB);
  EXPECT_FALSE(EncodeInto(values.data(), values.size(), params,
                          buffer.data() + 4, code.size() - 1)
                   .ok());
  EXPECT_EQ(buffer[4 + code.size() - 1], 0xAB);
  EXPECT_EQ(buffer[3], 0xAB);
  EXPECT_FALSE(EncodeInto(values.data(), values.size(), params,
                          buffer.data() + 4, code.size() + 1)
                   .ok());
  EXPECT_EQ(buffer[4 + code.size() + 1], 0xAB);
  buffer.assign(buffer.size(), 0xAB);
  EXPECT_TRUE(EncodeInto(values.data(), values.size(), params,
                         buffer.data() + 4, code.size())
                  .ok());
  EXPECT_EQ(std::string(buffer.begin() + 4, buffer.begin() + 4 + code.size()),
            code);
  EXPECT_EQ(buffer[4 + code.size()], 0xAB);
}

TEST(CodecTest, MalformedStringsAreDataLoss) {
  const CodeParams params;
  std::vector<int32_t> out(10);
  // Empty string for a non-empty unit.
  EXPECT_EQ(DecodeString("", params, &out).code(), ErrorCode::kDataLoss);
  // A gamma prefix of 31+ zero bits.
  EXPECT_EQ(DecodeString(std::string(8, '\0'), params, &out).code(),
            ErrorCode::kDataLoss);
  // A run longer than the unit: Gamma(12) = run of 11 > 10.
  std::string run11 = EncodeOrDie(std::vector<int32_t>(11, 0), params);
  EXPECT_EQ(DecodeString(run11, params, &out).code(), ErrorCode::kDataLoss);
  // Rice k = 31 magnitudes whose value overflows int32: prefix 1, low bits
  // all ones -> 2^32 - 1.
  const CodeParams rice31{0, 31, false};
  std::vector<int32_t> one(1);
  // Bits: run Rice(0,0) = 1; sign 0; prefix 0 1; 31 low bits set.
  const std::string overflow("\xf9\xff\xff\xff\x07", 5);
  EXPECT_EQ(DecodeString(overflow, rice31, &one).code(), ErrorCode::kDataLoss);
  // Positive 2^31 (the magnitude of INT32_MIN) overflows.
  const std::string min_code = EncodeOrDie({kMin}, rice31);
  ASSERT_TRUE(DecodeString(min_code, rice31, &one).ok());
  EXPECT_EQ(one[0], kMin);
  std::string flipped = min_code;
  flipped[0] = static_cast<char>(flipped[0] | 2);  // sign bit -> positive
  EXPECT_EQ(DecodeString(flipped, rice31, &one).code(), ErrorCode::kDataLoss);
}

TEST(CodecTest, UnusedWholeBytesAreDataLoss) {
  const CodeParams params;
  const std::string code = EncodeOrDie({1, 1, 1}, params);  // 9 bits, 2 bytes
  std::vector<int32_t> two(2), three(3);
  // Decoding fewer values than were coded leaves a whole byte unused.
  EXPECT_EQ(DecodeString(code, params, &two).code(), ErrorCode::kDataLoss);
  EXPECT_TRUE(DecodeString(code, params, &three).ok());
  // Non-zero padding bits are ignored, an extra byte is not.
  std::string padded = code;
  padded[1] = static_cast<char>(padded[1] | 0x80);
  EXPECT_TRUE(DecodeString(padded, params, &three).ok());
  EXPECT_EQ(DecodeString(code + std::string(1, '\0'), params, &three).code(),
            ErrorCode::kDataLoss);
}

TEST(CodecTest, TruncatedAndCorruptStringsNeverCrash) {
  std::mt19937 rng(99);
  std::uniform_int_distribution<int> byte(0, 255);
  for (const CodeParams& params : AllParams()) {
    std::vector<int32_t> values(64);
    for (int32_t& v : values) v = byte(rng) < 128 ? 0 : byte(rng) - 128;
    const std::string code = EncodeOrDie(values, params);
    std::vector<int32_t> out(values.size());
    for (size_t cut = 0; cut < code.size(); ++cut) {
      const Status status = DecodeString(code.substr(0, cut), params, &out);
      if (status.ok()) continue;  // a cut in the padding may still decode
      EXPECT_EQ(status.code(), ErrorCode::kDataLoss);
    }
    for (int trial = 0; trial < 20; ++trial) {
      std::string corrupt = code;
      if (!corrupt.empty()) corrupt[byte(rng) % corrupt.size()] ^= static_cast<char>(1 << (byte(rng) % 8));
      (void)DecodeString(corrupt, params, &out);
      std::string random(byte(rng) % 40, '\0');
      for (char& c : random) c = static_cast<char>(byte(rng));
      (void)DecodeString(random, params, &out);
    }
  }
}

TEST(CodecTest, UnitSizeLimit) {
  EXPECT_TRUE(ValidateUnitSize(kMaxUnitSize).ok());
  EXPECT_EQ(ValidateUnitSize(kMaxUnitSize + 1).code(),
            ErrorCode::kInvalidArgument);
}


// MaxValuesInBytes is an upper bound: no string decodes to more values. The
// densest units (all zeros, long runs, runs of +-1) and every one-byte string
// under small parameters stay within it; the bound still refuses what no
// string of the size can hold.
TEST(CodecTest, MaxValuesInBytesBoundsDecoding) {
  for (const CodeParams& params : AllParams()) {
    for (size_t n : {1, 2, 7, 100, 5000, 100000}) {
      std::vector<std::vector<int32_t>> units = {std::vector<int32_t>(n, 0),
                                                 std::vector<int32_t>(n, 1)};
      units.emplace_back(n, 0);
      units.back()[n / 2] = -1;
      for (const auto& values : units) {
        const std::string code = EncodeOrDie(values, params);
        EXPECT_LE(n, MaxValuesInBytes(code.size(), params)) << Describe(params);
      }
    }
    EXPECT_EQ(MaxValuesInBytes(0, params), 0u);
    EXPECT_EQ(MaxValuesInBytes(uint64_t{1} << 62, params), kMaxUnitSize);
  }
  const CodeParams gamma{-1, 0, false}, rice0{0, 0, false}, rice31{31, 0, false};
  EXPECT_EQ(MaxValuesInBytes(1, gamma), 14u + 8u);  // Gamma(15) fills 7 bits
  EXPECT_EQ(MaxValuesInBytes(1, rice0), 7u + 8u);   // Rice(7, 0) fills 8 bits
  EXPECT_EQ(MaxValuesInBytes(3, rice31), 24u);      // Rice(r, 31) needs 32 bits
  EXPECT_EQ(MaxValuesInBytes(8, gamma), kMaxUnitSize);
  for (const CodeParams& params : {gamma, rice0, CodeParams{1, -1, true},
                                   CodeParams{2, 1, true}, CodeParams{0, 0, true}}) {
    const uint64_t bound = MaxValuesInBytes(1, params);
    for (int byte = 0; byte < 256; ++byte) {
      const std::string code(1, static_cast<char>(byte));
      for (size_t count = bound + 1; count < bound + 64; ++count) {
        std::vector<int32_t> out(count);
        EXPECT_FALSE(DecodeString(code, params, &out).ok())
            << Describe(params) << " byte " << byte << " count " << count;
      }
    }
  }
}


// DecodeTo stores what Decode decodes, converted as static_cast does (large
// values round to the nearest float), and fails where Decode fails.
TEST(CodecTest, DecodeToFloatMatchesDecode) {
  std::mt19937 rng(21);
  std::uniform_int_distribution<int32_t> any(kMin, kMax);
  for (const CodeParams& params : AllParams()) {
    std::vector<int32_t> values(1 + rng() % 400);
    for (int32_t& v : values) {
      const int kind = static_cast<int>(rng() % 10);
      v = kind < 4 ? 0 : kind < 9 || !CarriesHugeValuesCheaply(params) ? static_cast<int32_t>(rng() % 41) - 20 : any(rng);
    }
    const std::string code = EncodeOrDie(values, params);
    const auto* data = reinterpret_cast<const uint8_t*>(code.data());
    std::vector<int32_t> ints(values.size());
    ASSERT_TRUE(Decode(data, code.size(), params, ints.data(), ints.size()).ok());
    std::vector<float> floats(values.size(), 7.0f);
    std::vector<double> doubles(values.size(), 7.0);
    ASSERT_TRUE(DecodeTo(data, code.size(), params, floats.data(), floats.size()).ok());
    ASSERT_TRUE(DecodeTo(data, code.size(), params, doubles.data(), doubles.size()).ok());
    for (size_t i = 0; i < values.size(); ++i) {
      ASSERT_EQ(floats[i], static_cast<float>(ints[i])) << Describe(params) << " at " << i;
      ASSERT_EQ(doubles[i], static_cast<double>(ints[i])) << Describe(params) << " at " << i;
    }
    if (!code.empty()) {
      EXPECT_EQ(DecodeTo(data, code.size() - 1, params, floats.data(), floats.size()).code(),
                ErrorCode::kDataLoss);
    }
  }
}

// Floats are rounded a block at a time and coded as int32 up to each block's
// last split point; runs longer than a block are coded from the floats. Both
// must give the int32 strings of the rounded values (the int32 path is
// checked against the golden vectors).
std::vector<float> FloatTestData(int pattern, std::mt19937& rng) {
  std::geometric_distribution<int32_t> small(0.35);
  std::bernoulli_distribution coin(0.5);
  std::vector<float> x(1 + rng() % 5000);
  for (size_t i = 0; i < x.size(); ++i) {
    const float nonzero = (coin(rng) ? 1.0f : -1.0f) * (1.0f + static_cast<float>(small(rng))) + 0.3f;
    switch (pattern) {
      case 0:  // Laplace-like: a quarter zeros
        x[i] = rng() % 4 == 0 ? -0.4f : nonzero;
        break;
      case 1:  // runs of zeros longer than a block
        x[i] = (i / 1500) % 2 == 0 ? 0.2f : nonzero;
        break;
      case 2:  // runs of non-zeros longer than a block, few zeros
        x[i] = i % 1700 == 5 ? 0.0f : nonzero;
        break;
      default:  // halves, to check rounding half to even in blocks
        x[i] = static_cast<float>(static_cast<int>(rng() % 9) - 4) + 0.5f;
    }
  }
  return x;
}

TEST(CodecTest, FloatBlocksMatchInt32) {
  std::mt19937 rng(7);
  for (const CodeParams& params : AllParams()) {
    for (int pattern = 0; pattern < 4; ++pattern) {
      const std::vector<float> x = FloatTestData(pattern, rng);
      std::vector<int32_t> rounded;
      for (float v : x) rounded.push_back(static_cast<int32_t>(std::nearbyint(v)));
      const std::string expected = EncodeOrDie(rounded, params);
      std::string from_float, from_double;
      ASSERT_TRUE(Encode(x.data(), x.size(), params, &from_float).ok());
      EXPECT_EQ(ToHex(from_float), ToHex(expected)) << Describe(params) << " pattern " << pattern;
      const std::vector<double> xd(x.begin(), x.end());
      ASSERT_TRUE(Encode(xd.data(), xd.size(), params, &from_double).ok());
      EXPECT_EQ(from_double, expected) << Describe(params) << " pattern " << pattern;
      uint64_t bits = 0;
      ASSERT_TRUE(CountBits(x.data(), x.size(), params, &bits).ok());
      EXPECT_EQ(BytesForBits(bits), expected.size());
    }
  }
  // A NaN anywhere in or around a block is reported at its index.
  for (size_t bad : {size_t{0}, size_t{1023}, size_t{1024}, size_t{2047}, size_t{4999}}) {
    std::vector<float> x(5000, 1.0f);
    x[bad] = std::nanf("");
    std::string out;
    const Status status = Encode(x.data(), x.size(), CodeParams{}, &out);
    ASSERT_FALSE(status.ok());
    EXPECT_NE(status.message().find("index " + std::to_string(bad)), std::string::npos)
        << status.message();
  }
}

TEST(CodecTest, EncodeToBufferMatchesEncode) {
  std::mt19937 rng(5);
  std::geometric_distribution<int32_t> small(0.3);
  EncodeBuffer buffer;  // reused throughout: strings grow and shrink
  for (const CodeParams& params : AllParams()) {
    for (int trial = 0; trial < 4; ++trial) {
      std::vector<int32_t> values(rng() % (trial == 3 ? 40000 : 300));
      for (int32_t& v : values) v = rng() % 3 == 0 ? 0 : (rng() % 2 ? 1 : -1) * (1 + small(rng));
      const std::string expected = EncodeOrDie(values, params);
      bool fits = false;
      ASSERT_TRUE(EncodeToBuffer(values.data(), values.size(), params, size_t{1} << 30,
                                 &buffer, &fits).ok());
      ASSERT_TRUE(fits);
      EXPECT_EQ(std::string(reinterpret_cast<const char*>(buffer.data()), buffer.size()),
                expected)
          << Describe(params);
      EXPECT_EQ(BytesForBits(buffer.bits()), buffer.size());
      // The limit is on the string's bytes: exactly enough fits.
      ASSERT_TRUE(EncodeToBuffer(values.data(), values.size(), params, expected.size(),
                                 &buffer, &fits).ok());
      EXPECT_TRUE(fits);
      if (!expected.empty()) {
        ASSERT_TRUE(EncodeToBuffer(values.data(), values.size(), params,
                                   expected.size() - 1, &buffer, &fits).ok());
        EXPECT_FALSE(fits) << Describe(params);
        EXPECT_EQ(buffer.size(), 0u);
      }
    }
  }
  // Codes of 2^31 bits per value stop at the limit instead of writing them.
  const std::vector<int32_t> huge(1000, kMax);
  bool fits = true;
  ASSERT_TRUE(EncodeToBuffer(huge.data(), huge.size(), CodeParams{-1, 0, false}, 4096, &buffer,
                             &fits).ok());
  EXPECT_FALSE(fits);
  // Errors are the same as Encode's.
  const std::vector<float> nan = {1.0f, std::nanf("")};
  EXPECT_EQ(EncodeToBuffer(nan.data(), nan.size(), CodeParams{}, 100, &buffer, &fits).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(EncodeToBuffer(huge.data(), huge.size(), CodeParams{-1, 32, false}, 100, &buffer,
                           &fits).code(),
            ErrorCode::kInvalidArgument);
}

// Bounds at the edges of size_t, on fresh and reused buffers. Each case
// once broke the growing writer: SIZE_MAX wrapped its growth limit (a heap
// overflow), a reused buffer with a large bound doubled on every call (out
// of memory after about 25), 0 on a fresh buffer did null pointer arithmetic.
TEST(CodecTest, EncodeToBufferExtremeBounds) {
  const std::vector<int32_t> values = {3, 0, -1, 7, 0, 0, 2};
  const std::string expected = EncodeOrDie(values, CodeParams{});
  EncodeBuffer reused;
  for (int call = 0; call < 64; ++call) {
    for (const size_t bound : {SIZE_MAX, SIZE_MAX - 7, size_t{1} << 40}) {
      EncodeBuffer fresh;
      for (EncodeBuffer* buffer : {&fresh, &reused}) {
        bool fits = false;
        ASSERT_TRUE(EncodeToBuffer(values.data(), values.size(), CodeParams{}, bound, buffer,
                                   &fits).ok());
        ASSERT_TRUE(fits);
        ASSERT_EQ(std::string(reinterpret_cast<const char*>(buffer->data()), buffer->size()),
                  expected);
      }
    }
  }
  EncodeBuffer fresh;
  bool fits = true;
  ASSERT_TRUE(EncodeToBuffer(values.data(), values.size(), CodeParams{}, 0, &fresh, &fits).ok());
  EXPECT_FALSE(fits);
  EXPECT_EQ(fresh.size(), 0u);
}

// Parts whose strings outgrow their input are counted first instead.
TEST(CodecTest, ParallelCountsFirstForLongCodes) {
  const ParallelRunner serial = [](size_t n, const std::function<void(size_t)>& task) {
    for (size_t i = 0; i < n; ++i) task(i);
  };
  std::mt19937 rng(3);
  std::vector<int32_t> values(20000);
  for (int32_t& v : values) v = rng() % 2 ? 0 : static_cast<int32_t>(rng() % 3000) - 1500;
  values[0] = 1;
  const CodeParams rice0{-1, 0, false};  // ~750 bits per value: more than 32
  const std::string expected = EncodeOrDie(values, rice0);
  std::string parallel;
  size_t allocations = 0;
  ASSERT_TRUE(EncodeParallel(values.data(), values.size(), rice0, 4, serial, [&](size_t size) {
                ++allocations;
                parallel.assign(size, '\x55');
                return reinterpret_cast<uint8_t*>(parallel.data());
              }).ok());
  EXPECT_EQ(allocations, 1u);
  EXPECT_EQ(ToHex(parallel), ToHex(expected));
}

// EncodeParallel and CountBitsParallel: byte-identical to Encode/CountBits
// for any number of parts, data and parameters (parts run in reverse order
// here, to catch any dependence between them).
TEST(CodecTest, ParallelMatchesSerial) {
  const ParallelRunner reverse = [](size_t n, const std::function<void(size_t)>& task) {
    for (size_t i = n; i-- > 0;) task(i);
  };
  std::mt19937 rng(99);
  std::geometric_distribution<int32_t> small(0.4);
  for (const CodeParams& params : AllParams()) {
    for (double zero_rate : {0.0, 0.3, 0.9, 1.0}) {
      std::bernoulli_distribution zero(zero_rate);
      std::vector<float> values(1 + rng() % 3000);
      for (float& v : values) {
        v = zero(rng) ? 0.25f : (rng() % 2 ? 1.0f : -1.0f) * static_cast<float>(1 + small(rng)) + 0.2f;
      }
      std::string serial;
      ASSERT_TRUE(Encode(values.data(), values.size(), params, &serial).ok());
      for (size_t parts : {1, 2, 3, 7, 64}) {
        std::string parallel;
        const Status status = EncodeParallel(
            values.data(), values.size(), params, parts, reverse,
            [&](size_t size) {
              parallel.assign(size, '\x55');
              return reinterpret_cast<uint8_t*>(parallel.data());
            });
        ASSERT_TRUE(status.ok()) << status.message();
        EXPECT_EQ(ToHex(parallel), ToHex(serial)) << Describe(params) << " parts=" << parts;
        uint64_t bits = 0;
        ASSERT_TRUE(CountBitsParallel(values.data(), values.size(), params, parts, reverse,
                                      &bits).ok());
        EXPECT_EQ(BytesForBits(bits), serial.size());
      }
    }
  }
  // Errors name the first bad value of the unit.
  std::vector<float> bad(1000, 1.0f);
  bad[700] = std::nanf("");
  uint64_t bits = 0;
  const Status status = CountBitsParallel(bad.data(), bad.size(), CodeParams{}, 4, reverse, &bits);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("index 700"), std::string::npos) << status.message();
}

// EncodeUnit without a caller's scratch writes into memory it keeps between
// calls (a process-wide pool): calls on several threads at once, of strings
// longer and shorter than the memory's last use, with and without parts,
// each get their own memory and the strings of Encode().
TEST(CodecTest, ConcurrentEncodeUnitsMatchEncode) {
  const ParallelRunner threads = [](size_t n, const std::function<void(size_t)>& task) {
    std::vector<std::thread> running;
    for (size_t i = 1; i < n; ++i) running.emplace_back(task, i);
    task(0);
    for (std::thread& thread : running) thread.join();
  };
  std::vector<std::vector<int32_t>> units;
  std::vector<std::string> expected;
  std::mt19937 rng(17);
  for (int spread : {2, 30, 1, 8}) {
    std::geometric_distribution<int32_t> magnitude(1.0 / spread);
    std::vector<int32_t> unit(3 * kMinValuesPerPart + rng() % 1000);
    for (int32_t& v : unit) v = (rng() % 2 ? 1 : -1) * magnitude(rng);
    expected.push_back(EncodeOrDie(unit, CodeParams{}));
    units.push_back(std::move(unit));
  }
  std::vector<std::string> failures(4);
  threads(4, [&](size_t caller) {
    for (size_t round = 0; round < 8; ++round) {
      const size_t u = (caller + round) % units.size();
      EncodeOptions options;
      options.max_parts = round % 3 + 1;
      options.run = threads;
      std::string encoded;
      const Status status = EncodeUnit(units[u].data(), units[u].size(), CodeParams{}, options,
                                       [&](size_t size) {
                                         encoded.assign(size, '\x55');
                                         return reinterpret_cast<uint8_t*>(encoded.data());
                                       });
      if (!status.ok() || encoded != expected[u]) {
        failures[caller] = "unit " + std::to_string(u) + " round " + std::to_string(round) +
                           ": " + (status.ok() ? "wrong string" : status.message());
        return;
      }
    }
  });
  for (const std::string& failure : failures) EXPECT_EQ(failure, "");
}

}  // namespace
}  // namespace laplace_rice
