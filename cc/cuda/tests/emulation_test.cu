// Runs the CUDA kernels' per-thread code on the host, thread by thread, and
// checks the results against the sequential loops of cc/math
// (<laplace_rice/math.h>, what the CPU kernels run). No GPU needed: it covers
// the launch plan, the chunk / group / vector indexing of cc/cuda/src and
// its 16-bit conversions (CUDA intrinsics there, Eigen-like here). Not
// covered (device-only): the shuffles and shared memory of the cross-thread
// sums, which bench/gpu/harness.cu checks on a GPU.
//
// Each emulated kernel loops over blocks and threads exactly as the grid
// does; outputs start poisoned (0xFF bytes: NaN) inside guard zones, so a
// missed or out-of-range write shows.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "../src/kernels_impl.cuh"
#include "host16.h"
#include "ieee16.h"
#include "laplace_rice/math.h"

namespace {

namespace impl = laplace_rice::cuda::impl;
namespace math = laplace_rice::math;
using impl::Mode;
using laplace_rice::testing::BFloat16;
using laplace_rice::testing::DeviceType;
using laplace_rice::testing::Half;

int g_failures = 0;

template <typename T>
double ToDouble(T v) {
  return static_cast<double>(static_cast<math::Wide<T>>(v));
}

template <typename T>
std::vector<T> RandomValues(int64_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::exponential_distribution<double> magnitude(1.0 / 3.0);
  std::uniform_int_distribution<int> coin(0, 9);
  std::uniform_int_distribution<int> integer(-8, 8);
  std::vector<T> values(static_cast<size_t>(n));
  for (auto& v : values) {
    const int c = coin(rng);
    const double value = c < 2    ? integer(rng) + 0.5
                         : c == 2 ? 0.0
                                  : (c % 2 ? 1 : -1) * magnitude(rng);
    v = static_cast<T>(static_cast<math::Wide<T>>(value));
  }
  if (n > 0) values[0] = static_cast<T>(static_cast<math::Wide<T>>(2.5));
  return values;
}

// Host memory standing in for a device buffer: 16-byte aligned at
// `misalign` elements past an aligned base, poisoned guard zones around.
template <typename T>
class Buffer {
 public:
  static constexpr int64_t kGuard = 32;
  Buffer(int64_t count, int64_t misalign)
      : count_(count), offset_(kGuard + misalign),
        storage_((static_cast<size_t>(count + 2 * kGuard + 8) * sizeof(T) + 32) / 16) {
    std::memset(storage_.data(), 0xFF, storage_.size() * 16);
  }
  T* data() { return reinterpret_cast<T*>(storage_.data()) + offset_; }
  std::vector<T> Values() {
    return std::vector<T>(data(), data() + count_);
  }
  void Set(const std::vector<T>& values) {
    std::memcpy(data(), values.data(), values.size() * sizeof(T));
  }
  bool GuardsIntact() const {
    const unsigned char* bytes = reinterpret_cast<const unsigned char*>(storage_.data());
    const size_t begin = static_cast<size_t>(offset_) * sizeof(T);
    const size_t end = begin + static_cast<size_t>(count_) * sizeof(T);
    for (size_t i = 0; i < storage_.size() * 16; ++i) {
      if ((i < begin || i >= end) && bytes[i] != 0xFF) return false;
    }
    return true;
  }

 private:
  int64_t count_;
  int64_t offset_;
  std::vector<uint4> storage_;  // 16-byte aligned
};

template <typename T>
bool SameBits(T a, T b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

template <typename T>
void Expect(bool exact, const std::vector<T>& got, const std::vector<T>& want,
            const std::string& what) {
  for (size_t i = 0; i < want.size(); ++i) {
    if (SameBits(got[i], want[i])) continue;
    const double g = ToDouble(got[i]);
    const double w = ToDouble(want[i]);
    // The penalty may differ by the order of a double sum: for 16- and
    // 32-bit types one ulp of T at most, for double a few ulps of the sum.
    const double tolerance =
        std::ldexp(std::fabs(w), sizeof(T) == 2 ? -7 : sizeof(T) == 4 ? -23 : -40);
    if (!exact && std::fabs(g - w) <= tolerance) continue;
    std::printf("FAIL %s: index %zu: got %.9g, want %.9g\n", what.c_str(), i, g, w);
    ++g_failures;
    return;
  }
}

void ExpectTrue(bool ok, const std::string& what) {
  if (!ok) {
    std::printf("FAIL %s\n", what.c_str());
    ++g_failures;
  }
}

// The grid of one per-unit launch, run thread by thread.
template <typename D, Mode kMode>
void EmulatePerUnit(const D* x, const D* grad, int64_t num_units, int64_t unit_size, D l1,
                    D* out, D* penalty, const std::string& what) {
  if (num_units == 0 || (kMode == Mode::kGrad && unit_size == 0)) return;
  const size_t workspace_bytes = impl::WorkspaceBytes<D>(num_units, unit_size);
  std::vector<double> workspace(workspace_bytes / sizeof(double) + 1,
                                std::numeric_limits<double>::quiet_NaN());
  const auto plan = impl::MakePlan<D, kMode>(x, grad, num_units, unit_size, l1, out, penalty,
                                             workspace_bytes ? workspace.data() : nullptr);
  const auto& a = plan.args;
  if (kMode != Mode::kGrad) {
    ExpectTrue((plan.finish_blocks > 0) == (workspace_bytes > 0), what + ": workspace");
  }
  if (plan.long_units) {
    for (int64_t block = 0; block < plan.blocks; ++block) {
      double sum = 0;
      for (int thread = 0; thread < impl::kThreads; ++thread) {
        sum += impl::LongUnitThread<D, kMode>(a, block, thread);
      }
      if (kMode != Mode::kGrad) impl::LongUnitFinish(a, block, sum);
    }
    for (int64_t block = 0; block < plan.finish_blocks; ++block) {
      for (int warp = 0; warp < impl::kThreads / impl::kWarp; ++warp) {
        const int64_t unit = block * (impl::kThreads / impl::kWarp) + warp;
        if (unit >= num_units) continue;
        double sum = 0;
        for (int lane = 0; lane < impl::kWarp; ++lane) {
          sum += impl::PartialsLane(a.partials, a.chunks_per_unit, unit, lane);
        }
        penalty[unit] = math::Penalty(sum, l1);
      }
    }
  } else if (plan.tiny_units) {
    const int64_t count = plan.blocks * impl::kThreads;
    impl::WithTinySize<D>(unit_size, [&](auto size) {
      for (int64_t rank = 0; rank < count; ++rank) {
        impl::TinyUnitThread<D, kMode, decltype(size)::value>(a, rank, count);
      }
    });
  } else {
    const int per_block = impl::kThreads / a.group;
    std::vector<int> visits(static_cast<size_t>(num_units), 0);
    for (int64_t block = 0; block < plan.blocks; ++block) {
      for (int64_t first = block * per_block; first < num_units;
           first += plan.blocks * per_block) {
        for (int slot = 0; slot < per_block; ++slot) {
          const int64_t unit = first + slot;
          if (unit >= num_units) continue;
          ++visits[static_cast<size_t>(unit)];
          double sum = 0;
          for (int lane = 0; lane < a.group; ++lane) {
            sum += impl::ShortUnitThread<D, kMode>(a, unit, lane);
          }
          if (kMode != Mode::kGrad) penalty[unit] = math::Penalty(sum, l1);
        }
      }
    }
    for (int v : visits) {
      if (v != 1) {
        ExpectTrue(false, what + ": a unit visited " + std::to_string(v) + " times");
        break;
      }
    }
  }
}

template <typename D>
void EmulateQuantize(const D* x, D* y, int64_t n) {
  if (n == 0) return;
  const bool vectorize = impl::Aligned(x) && impl::Aligned(y);
  const int64_t per_vector = impl::kVectorBytes / static_cast<int64_t>(sizeof(D));
  const int64_t items = vectorize ? impl::CeilDiv(n, per_vector) : n;
  const int64_t count =
      int64_t{impl::GridStrideBlocks(items, int64_t{impl::kThreads} * impl::kBatch)} *
      impl::kThreads;
  for (int64_t rank = 0; rank < count; ++rank) {
    impl::QuantizeThread(x, y, n, vectorize, rank, count);
  }
}

template <typename T>
void CheckCase(int64_t num_units, int64_t unit_size, int64_t misalign, int64_t out_misalign,
               uint64_t seed) {
  using D = typename DeviceType<T>::type;
  const int64_t n = num_units * unit_size;
  const std::vector<T> x = RandomValues<T>(n, seed);
  const std::vector<T> grad = RandomValues<T>(num_units, seed + 1);
  const T l1 = static_cast<T>(static_cast<math::Wide<T>>(0.01));
  std::vector<T> want_q(static_cast<size_t>(n)), want_p(static_cast<size_t>(num_units)),
      want_dx(static_cast<size_t>(n));
  math::QuantizeRange(x.data(), want_q.data(), 0, n);
  math::PenaltyUnits(x.data(), unit_size, l1, 0, num_units, want_p.data());
  math::PenaltyGradUnits(x.data(), grad.data(), unit_size, l1, 0, num_units, want_dx.data());

  Buffer<T> bx(n, misalign), bgrad(num_units, 0), bq(n, out_misalign), bp(num_units, 0),
      bdx(n, out_misalign), bq2(n, out_misalign), bp2(num_units, 0);
  bx.Set(x);
  bgrad.Set(grad);
  const D* dx_in = reinterpret_cast<const D*>(bx.data());
  const D* dgrad = reinterpret_cast<const D*>(bgrad.data());
  D dl1;
  std::memcpy(static_cast<void*>(&dl1), &l1, sizeof(D));
  const std::string what = std::to_string(sizeof(T) * 8) + "-bit units=" +
                           std::to_string(num_units) + " size=" + std::to_string(unit_size) +
                           " misalign=" + std::to_string(misalign) + "/" +
                           std::to_string(out_misalign) + " max_blocks=" +
                           std::to_string(impl::MaxGridStrideBlocks());

  EmulateQuantize(dx_in, reinterpret_cast<D*>(bq.data()), n);
  Expect(true, bq.Values(), want_q, what + " quantize");
  EmulatePerUnit<D, Mode::kPenalty>(dx_in, nullptr, num_units, unit_size, dl1, nullptr,
                                    reinterpret_cast<D*>(bp.data()), what + " penalty");
  Expect(false, bp.Values(), want_p, what + " penalty");
  EmulatePerUnit<D, Mode::kFused>(dx_in, nullptr, num_units, unit_size, dl1,
                                  reinterpret_cast<D*>(bq2.data()),
                                  reinterpret_cast<D*>(bp2.data()), what + " fused");
  Expect(true, bq2.Values(), want_q, what + " fused quantized");
  Expect(false, bp2.Values(), want_p, what + " fused penalty");
  EmulatePerUnit<D, Mode::kGrad>(dx_in, dgrad, num_units, unit_size, dl1,
                                 reinterpret_cast<D*>(bdx.data()), nullptr, what + " grad");
  Expect(true, bdx.Values(), want_dx, what + " penalty_grad");
  ExpectTrue(bq.GuardsIntact() && bp.GuardsIntact() && bq2.GuardsIntact() &&
                 bp2.GuardsIntact() && bdx.GuardsIntact(),
             what + ": write outside an output");
}

template <typename T>
void CheckType() {
  const std::vector<std::pair<int64_t, int64_t>> layouts = {
      {1, 1},    {1, 7},    {5, 0},     {0, 9},     {3, 1},     {1000, 1},   {17, 3},
      {250, 5},  {64, 16},  {33, 17},   {7, 31},    {9, 32},    {5, 33},     {100, 100},
      {3, 1000}, {7, 2047}, {3, 2048},  {2, 2049},  {3, 4095},  {3, 4097},   {2, 8191},
      {2, 8192}, {2, 8193}, {2, 16385}, {2, 24581}, {1, 65539}, {1, 200003},
      // Tiny units (whole units per 16-byte vector in some type), unit
      // counts that leave a partial vector, enough vectors for several
      // batches per thread at the capped grid.
      {5003, 1}, {999, 2},  {301, 4},   {77, 8},    {4099, 2},
  };
  uint64_t seed = 1;
  for (const auto& layout : layouts) {
    // (input, output) offsets in elements: both aligned, both off, and one
    // off while the other is aligned (the vector path must then be off).
    for (const auto& m : std::vector<std::pair<int64_t, int64_t>>{
             {0, 0}, {1, 1}, {3, 3}, {0, 1}, {0, 3}, {1, 0}}) {
      CheckCase<T>(layout.first, layout.second, m.first, m.second, seed++);
    }
  }
}

// The independent conversions of ieee16.h against CUDA's host conversions
// (what host16.h, hence the CPU reference, uses), and the model's 16-bit math
// through each: every 16-bit pattern, every float rounding boundary of each
// pattern (the midpoint to the next value and its float neighbours), and
// random floats.
template <typename D, typename F>
void CheckIeee16(const char* name) {
  namespace ref = laplace_rice::testing::ieee16;
  using H = laplace_rice::testing::Host16<D>;
  auto bits_of = [](D d) {
    uint16_t b;
    std::memcpy(&b, &d, 2);
    return b;
  };
  auto of_bits = [](uint16_t b) {
    D d;
    std::memcpy(static_cast<void*>(&d), &b, 2);
    return d;
  };
  auto same_float = [](float a, float b) {
    return ref::FloatBits(a) == ref::FloatBits(b) || (std::isnan(a) && std::isnan(b));
  };
  int failures = 0;
  auto check_from = [&](float f) {
    const uint16_t want = F::From(f);
    const uint16_t got = bits_of(H::FromFloat(f));
    if (!ref::SameValue<F>(got, want) && failures++ < 5) {
      std::printf("FAIL %s from float %a: CUDA 0x%04x, reference 0x%04x\n", name, f, got,
                  want);
    }
  };
  const D l1 = H::FromFloat(0.01f);
  for (uint32_t b = 0; b < 0x10000; ++b) {
    const uint16_t h = static_cast<uint16_t>(b);
    const float f = F::To(h);
    if (!same_float(H::ToFloat(of_bits(h)), f) && failures++ < 5) {
      std::printf("FAIL %s 0x%04x to float\n", name, h);
    }
    check_from(f);
    // Rounding boundaries: halfway to the next larger magnitude (exact in
    // float: 16-bit formats keep at most 11 significant bits) and the floats
    // on either side of it.
    const uint16_t next = static_cast<uint16_t>(h + 1);
    const float g = F::To(next);
    if (std::isfinite(f) && !std::isnan(g) && (next & 0x7fff) != 0) {
      const float mid = f + (g - f) / 2;  // toward infinity: g is then inf
      const float halfway = std::isinf(g) ? f + (f - F::To(static_cast<uint16_t>(h - 1))) / 2
                                          : mid;
      check_from(halfway);
      check_from(std::nextafter(halfway, 0.0f));
      check_from(std::nextafter(halfway, 2 * halfway));
    }
    // The model's math on these bits: cc/math with the CUDA conversions
    // against the independent reference.
    H x;
    x.value = of_bits(h);
    const uint16_t got_q = bits_of(math::Quantize(x).value);
    if (!ref::SameValue<F>(got_q, ref::Quantize<F>(h)) && failures++ < 5) {
      std::printf("FAIL %s quantize 0x%04x: 0x%04x vs reference 0x%04x\n", name, h, got_q,
                  ref::Quantize<F>(h));
    }
    H l1_h;
    l1_h.value = l1;
    const uint16_t got_g =
        bits_of(math::PenaltyGrad(x, math::GradScale(x, l1_h)).value);
    const uint16_t want_g = ref::PenaltyGrad<F>(h, h, bits_of(l1));
    if (!ref::SameValue<F>(got_g, want_g) && failures++ < 5) {
      std::printf("FAIL %s penalty grad 0x%04x: 0x%04x vs reference 0x%04x\n", name, h,
                  got_g, want_g);
    }
  }
  std::mt19937 rng(7);
  for (int i = 0; i < 2000000; ++i) check_from(ref::BitsFloat(rng()));
  if (failures > 0) {
    std::printf("FAIL %s: %d mismatches with the independent reference\n", name, failures);
    ++g_failures;
  }
}

}  // namespace

int main() {
  CheckIeee16<__half, laplace_rice::testing::ieee16::HalfFormat>("float16");
  CheckIeee16<__nv_bfloat16, laplace_rice::testing::ieee16::BFloat16Format>("bfloat16");
  CheckType<Half>();
  CheckType<BFloat16>();
  CheckType<float>();
  CheckType<double>();
  // The grid-stride loops (quantize, short units) again with at most 3
  // blocks, so that they run many iterations on these sizes.
  impl::MaxGridStrideBlocks() = 3;
  CheckType<Half>();
  CheckType<float>();
  impl::MaxGridStrideBlocks() = impl::kMaxGridStrideBlocks;
  if (g_failures > 0) {
    std::printf("%d failures\n", g_failures);
    return 1;
  }
  std::printf("emulation_test: all per-thread kernel code matches laplace_rice/math.h\n");
  return 0;
}
