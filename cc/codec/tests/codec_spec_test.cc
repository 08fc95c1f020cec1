// The codec against a bit-by-bit writer of FORMAT.md: every code (gamma and
// Rice k = 0..31, for run lengths and magnitudes, with and without runs of
// non-zeros), edge values, empty units, long unary prefixes at every bit
// offset, and hand-made malformed strings.
//
// SpecWriter is deliberately slow and literal (one bit at a time), so that it
// shares nothing with the codec's optimized writer.
#include <cstdint>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "laplace_rice/codec.h"

namespace laplace_rice {
namespace {

constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
constexpr int32_t kMax = std::numeric_limits<int32_t>::max();

class SpecWriter {
 public:
  void Bit(bool bit) {
    if (bits_ % 8 == 0) bytes_.push_back('\0');
    if (bit) bytes_.back() = static_cast<char>(bytes_.back() | (1 << (bits_ % 8)));
    ++bits_;
  }
  // The low `width` bits of v, least significant first.
  void Field(uint64_t v, int width) {
    for (int i = 0; i < width; ++i) Bit((v >> i) & 1);
  }
  void Zeros(uint64_t n) {
    for (uint64_t i = 0; i < n; ++i) Bit(false);
  }
  void Rice(uint64_t v, int k) {
    Zeros(v >> k);
    Bit(true);
    Field(v, k);
  }
  void Gamma(uint64_t v) {  // v >= 1
    int width = 0;
    while ((v >> width) > 1) ++width;  // width = bit width - 1
    Zeros(static_cast<uint64_t>(width));
    Bit(true);
    Field(v, width);
  }
  void RunLength(uint64_t r, const CodeParams& p) {
    if (p.run_length_code >= 0) {
      Rice(r, p.run_length_code);
    } else {
      Gamma(r + 1);
    }
  }
  void NonZero(int32_t v, const CodeParams& p) {
    Bit(v > 0);
    const uint64_t magnitude = v < 0 ? uint64_t{0} - static_cast<uint64_t>(static_cast<int64_t>(v))
                                     : static_cast<uint64_t>(v);
    if (p.magnitude_code >= 0) {
      Rice(magnitude - 1, p.magnitude_code);
    } else {
      Gamma(std::min<uint64_t>(magnitude, uint64_t{kMax}));  // INT32_MIN -> -INT32_MAX
    }
  }
  const std::string& bytes() const { return bytes_; }
  uint64_t bits() const { return bits_; }

 private:
  std::string bytes_;
  uint64_t bits_ = 0;
};

// The sequence of one unit, as the pseudo-code of FORMAT.md.
SpecWriter SpecEncode(const std::vector<int32_t>& x, const CodeParams& p) {
  SpecWriter w;
  const size_t n = x.size();
  size_t pos = 0;
  uint64_t offset = 0;
  while (pos < n) {
    size_t r = 0;
    while (pos + r < n && x[pos + r] == 0) ++r;
    w.RunLength(r - offset, p);
    pos += r;
    if (pos == n) break;
    if (!p.use_run_length_for_non_zeros) {
      w.NonZero(x[pos++], p);
      continue;
    }
    size_t m = 0;
    while (pos + m < n && x[pos + m] != 0) ++m;
    w.RunLength(m - 1, p);
    for (size_t i = 0; i < m; ++i) w.NonZero(x[pos + i], p);
    pos += m;
    offset = 1;
  }
  return w;
}

std::string Describe(const CodeParams& p) {
  std::ostringstream s;
  s << "run_length_code=" << p.run_length_code << " magnitude_code=" << p.magnitude_code
    << " use_run_length_for_non_zeros=" << p.use_run_length_for_non_zeros;
  return s.str();
}

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

// Rice magnitudes with a small k write |v| >> k zero bits.
bool HugeValuesAreCheap(const CodeParams& p) { return p.magnitude_code < 0 || p.magnitude_code >= 20; }

std::vector<int32_t> Expected(std::vector<int32_t> x, const CodeParams& p) {
  if (p.magnitude_code < 0) {
    for (int32_t& v : x) {
      if (v == kMin) v = -kMax;
    }
  }
  return x;
}

// Through the std::string_view overload (the pointer form is used by
// codec_test.cc).
Status DecodeString(const std::string& code, const CodeParams& p, std::vector<int32_t>* out) {
  return Decode(code, p, out->data(), out->size());
}

// Encode, CountBits and Decode all agree with the spec writer.
void ExpectMatchesSpec(const std::vector<int32_t>& x, const CodeParams& p) {
  const SpecWriter spec = SpecEncode(x, p);
  std::string code;
  const Status status = Encode(x.data(), x.size(), p, &code);
  ASSERT_TRUE(status.ok()) << status.message() << " " << Describe(p);
  ASSERT_EQ(code, spec.bytes()) << Describe(p);
  uint64_t bits = 0;
  ASSERT_TRUE(CountBits(x.data(), x.size(), p, &bits).ok());
  EXPECT_EQ(bits, spec.bits()) << Describe(p);
  std::vector<int32_t> decoded(x.size(), 777);
  const Status decoded_status = DecodeString(code, p, &decoded);
  ASSERT_TRUE(decoded_status.ok()) << decoded_status.message() << " " << Describe(p);
  EXPECT_EQ(decoded, Expected(x, p)) << Describe(p);
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
    uint64_t bits = 1;
    ASSERT_TRUE(CountBits(static_cast<const int32_t*>(nullptr), 0, p, &bits).ok());
    EXPECT_EQ(bits, 0u);
    EXPECT_TRUE(Decode(nullptr, 0, p, nullptr, 0).ok());
    // A non-empty string for an empty unit holds unused bytes.
    EXPECT_EQ(Decode(reinterpret_cast<const uint8_t*>("\x01"), 1, p, nullptr, 0).code(),
              ErrorCode::kDataLoss)
        << Describe(p);
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
  SpecWriter w;
  w.Gamma(1);  // run of 0
  w.Bit(true);  // sign
  w.Zeros(31);
  w.Bit(true);
  w.Field(0, 31);
  std::vector<int32_t> out(1);
  EXPECT_EQ(DecodeString(w.bytes(), gamma, &out).code(), ErrorCode::kDataLoss);
  // The same for a gamma run length.
  SpecWriter run;
  run.Zeros(31);
  run.Bit(true);
  run.Field(0, 31);
  EXPECT_EQ(DecodeString(run.bytes(), gamma, &out).code(), ErrorCode::kDataLoss);
}

TEST(CodecSpecTest, MalformedStringsAreDataLoss) {
  std::vector<int32_t> out(5);
  struct Case {
    const char* what;
    CodeParams params;
    SpecWriter string;
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
  }
}

}  // namespace
}  // namespace laplace_rice
