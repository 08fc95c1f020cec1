// Standalone GPU harness for cc/cuda (no TensorFlow): checks every launcher
// against the CPU implementation (cc/math, <laplace_rice/math.h>), then
// times them at 256 MiB of float32 against a device-to-device copy of the
// same bytes.
//
//   gpu_harness [--json FILE] [--skip-timing] [--mib N] [--reps N]
//
// Exit status: 0 when every check passed, 1 when one failed, 2 when no GPU.
// The JAX and PyTorch figures come from peers.py (run.sh runs both).
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "host16.h"
#include "laplace_rice/cuda_kernels.h"
#include "laplace_rice/math.h"

namespace {

using laplace_rice::cuda::DType;
namespace lrc = laplace_rice::cuda;
namespace math = laplace_rice::math;

#define CUDA_OK(expr)                                                  \
  do {                                                                 \
    const cudaError_t error_ = (expr);                                 \
    if (error_ != cudaSuccess) {                                       \
      std::fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #expr, \
                   cudaGetErrorString(error_));                        \
      std::exit(1);                                                    \
    }                                                                  \
  } while (0)

using laplace_rice::testing::BFloat16;
using laplace_rice::testing::Half;

template <typename T>
struct TypeInfo;
template <>
struct TypeInfo<Half> {
  static constexpr DType kDType = DType::kHalf;
  static constexpr const char* kName = "float16";
  static constexpr double kEpsilon = 1.0 / 1024;
};
template <>
struct TypeInfo<BFloat16> {
  static constexpr DType kDType = DType::kBFloat16;
  static constexpr const char* kName = "bfloat16";
  static constexpr double kEpsilon = 1.0 / 128;
};
template <>
struct TypeInfo<float> {
  static constexpr DType kDType = DType::kFloat;
  static constexpr const char* kName = "float32";
  static constexpr double kEpsilon = 1.0 / (1 << 23);
};
template <>
struct TypeInfo<double> {
  static constexpr DType kDType = DType::kDouble;
  static constexpr const char* kName = "float64";
  static constexpr double kEpsilon = 1.0 / (1LL << 52);
};

template <typename T>
double ToDouble(T v) {
  return static_cast<double>(static_cast<math::Wide<T>>(v));
}

// Laplace values (scale 3) with exact halves mixed in; never all zero.
template <typename T>
std::vector<T> RandomValues(int64_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::exponential_distribution<double> magnitude(1.0 / 3.0);
  std::uniform_int_distribution<int> coin(0, 9);
  std::uniform_int_distribution<int> integer(-8, 8);
  std::vector<T> values(static_cast<size_t>(n));
  for (auto& v : values) {
    const int c = coin(rng);
    double value;
    if (c < 2) {
      value = integer(rng) + 0.5;  // round-half-to-even cases
    } else if (c == 2) {
      value = 0.0;
    } else {
      value = (c % 2 ? 1 : -1) * magnitude(rng);
    }
    v = static_cast<T>(static_cast<math::Wide<T>>(value));
  }
  if (n > 0) values[0] = static_cast<T>(static_cast<math::Wide<T>>(2.5));
  return values;
}

// Device buffer of `count` T with `guard` poisoned elements on each side.
template <typename T>
class GuardedBuffer {
 public:
  static constexpr int64_t kGuard = 64;
  GuardedBuffer(int64_t count, int64_t misalign) : count_(count), offset_(kGuard + misalign) {
    total_ = count + 2 * kGuard + 1;
    CUDA_OK(cudaMalloc(&base_, static_cast<size_t>(total_) * sizeof(T)));
    Poison();
  }
  ~GuardedBuffer() { cudaFree(base_); }
  GuardedBuffer(const GuardedBuffer&) = delete;
  GuardedBuffer& operator=(const GuardedBuffer&) = delete;

  T* data() { return base_ + offset_; }
  void Poison() {
    CUDA_OK(cudaMemset(base_, 0xFF, static_cast<size_t>(total_) * sizeof(T)));
  }
  void Upload(const std::vector<T>& values) {
    CUDA_OK(cudaMemcpy(data(), values.data(), values.size() * sizeof(T),
                       cudaMemcpyHostToDevice));
  }
  std::vector<T> Download() const {
    std::vector<T> values(static_cast<size_t>(count_));
    CUDA_OK(cudaMemcpy(values.data(), base_ + offset_, values.size() * sizeof(T),
                       cudaMemcpyDeviceToHost));
    return values;
  }
  // True when nothing outside [offset, offset + count) was written.
  bool GuardsIntact() const {
    std::vector<unsigned char> all(static_cast<size_t>(total_) * sizeof(T));
    CUDA_OK(cudaMemcpy(all.data(), base_, all.size(), cudaMemcpyDeviceToHost));
    const size_t begin = static_cast<size_t>(offset_) * sizeof(T);
    const size_t end = begin + static_cast<size_t>(count_) * sizeof(T);
    for (size_t i = 0; i < all.size(); ++i) {
      if ((i < begin || i >= end) && all[i] != 0xFF) return false;
    }
    return true;
  }

 private:
  int64_t count_;
  int64_t offset_;
  int64_t total_;
  T* base_ = nullptr;
};

struct CheckStats {
  int cases = 0;
  int failures = 0;
  int64_t penalty_values = 0;
  int64_t penalty_inexact = 0;  // within one ulp, but not bit-equal
};

template <typename T>
bool SameBits(T a, T b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

// Reports the first mismatch of an exact comparison.
template <typename T>
bool ExpectExact(const std::vector<T>& got, const std::vector<T>& want,
                 const std::string& what) {
  for (size_t i = 0; i < want.size(); ++i) {
    if (!SameBits(got[i], want[i])) {
      std::printf("  FAIL %s: index %zu: got %.9g, want %.9g\n", what.c_str(), i,
                  ToDouble(got[i]), ToDouble(want[i]));
      return false;
    }
  }
  return true;
}

// The penalty may differ from the CPU's by the order of a double sum, which
// can move the value rounded to T by one ulp at most.
template <typename T>
bool ExpectPenalty(const std::vector<T>& got, const std::vector<T>& want,
                   const std::string& what, CheckStats* stats) {
  for (size_t i = 0; i < want.size(); ++i) {
    ++stats->penalty_values;
    if (SameBits(got[i], want[i])) continue;
    const double g = ToDouble(got[i]);
    const double w = ToDouble(want[i]);
    if (std::fabs(g - w) <= 2 * TypeInfo<T>::kEpsilon * std::fabs(w)) {
      ++stats->penalty_inexact;
      continue;
    }
    std::printf("  FAIL %s: unit %zu: got %.9g, want %.9g\n", what.c_str(), i, g, w);
    return false;
  }
  return true;
}

template <typename T>
bool CheckCase(int64_t num_units, int64_t unit_size, int64_t misalign,
               uint64_t seed, CheckStats* stats) {
  constexpr DType kDType = TypeInfo<T>::kDType;
  const int64_t n = num_units * unit_size;
  const std::vector<T> x = RandomValues<T>(n, seed);
  std::vector<T> grad = RandomValues<T>(num_units, seed + 1);
  const T l1 = static_cast<T>(static_cast<math::Wide<T>>(0.01));
  const double l1_wide = ToDouble(l1);

  // Expected results from the CPU implementation.
  std::vector<T> want_q(static_cast<size_t>(n));
  std::vector<T> want_p(static_cast<size_t>(num_units));
  std::vector<T> want_dx(static_cast<size_t>(n));
  math::QuantizeRange(x.data(), want_q.data(), 0, n);
  math::PenaltyUnits(x.data(), unit_size, l1, 0, num_units, want_p.data());
  math::PenaltyGradUnits(x.data(), grad.data(), unit_size, l1, 0, num_units,
                         want_dx.data());

  GuardedBuffer<T> d_x(n, misalign), d_grad(num_units, 0), d_q(n, misalign),
      d_p(num_units, 0), d_dx(n, misalign);
  d_x.Upload(x);
  d_grad.Upload(grad);
  const size_t workspace_bytes = lrc::PenaltyWorkspaceBytes(kDType, num_units, unit_size);
  void* workspace = nullptr;
  if (workspace_bytes > 0) CUDA_OK(cudaMalloc(&workspace, workspace_bytes));

  char label[160];
  std::snprintf(label, sizeof(label), "%s units=%lld size=%lld misalign=%lld",
                TypeInfo<T>::kName, static_cast<long long>(num_units),
                static_cast<long long>(unit_size), static_cast<long long>(misalign));
  const std::string name(label);
  bool ok = true;

  CUDA_OK(lrc::Quantize(kDType, d_x.data(), d_q.data(), n, nullptr));
  CUDA_OK(cudaDeviceSynchronize());
  ok &= ExpectExact(d_q.Download(), want_q, name + " quantize");
  ok &= d_q.GuardsIntact();

  CUDA_OK(lrc::Penalty(kDType, d_x.data(), num_units, unit_size, l1_wide, d_p.data(),
                       workspace, nullptr));
  CUDA_OK(cudaDeviceSynchronize());
  const std::vector<T> penalty_alone = d_p.Download();
  ok &= ExpectPenalty(penalty_alone, want_p, name + " penalty", stats);
  ok &= d_p.GuardsIntact();

  d_q.Poison();
  d_p.Poison();
  CUDA_OK(lrc::QuantizePenalty(kDType, d_x.data(), num_units, unit_size, l1_wide,
                               d_q.data(), d_p.data(), workspace, nullptr));
  CUDA_OK(cudaDeviceSynchronize());
  ok &= ExpectExact(d_q.Download(), want_q, name + " fused quantized");
  const std::vector<T> penalty_fused = d_p.Download();
  ok &= ExpectPenalty(penalty_fused, want_p, name + " fused penalty", stats);
  // Deterministic: the same sums as the penalty-only kernel, bit for bit.
  ok &= ExpectExact(penalty_fused, penalty_alone, name + " fused vs penalty");
  ok &= d_q.GuardsIntact() && d_p.GuardsIntact();

  CUDA_OK(lrc::PenaltyGrad(kDType, d_x.data(), d_grad.data(), num_units, unit_size,
                           l1_wide, d_dx.data(), nullptr));
  CUDA_OK(cudaDeviceSynchronize());
  ok &= ExpectExact(d_dx.Download(), want_dx, name + " penalty_grad");
  ok &= d_dx.GuardsIntact();

  if (workspace != nullptr) CUDA_OK(cudaFree(workspace));
  ++stats->cases;
  if (!ok) {
    ++stats->failures;
    std::printf("  FAIL %s (or a write outside the output)\n", name.c_str());
  }
  return ok;
}

// Layouts (units, unit length) around every boundary of the launch logic:
// lanes per unit, the warp, the long-unit threshold, chunk sizes per type.
const std::vector<std::pair<int64_t, int64_t>>& CheckLayouts() {
  static const std::vector<std::pair<int64_t, int64_t>> layouts = {
      {1, 1},      {1, 7},      {5, 0},      {0, 9},       {3, 1},     {1000, 1},
      {17, 3},     {250, 5},    {64, 16},    {33, 17},     {7, 31},    {9, 32},
      {5, 33},     {100, 100},  {2000, 129}, {3, 1000},    {7, 2047},  {3, 2048},
      {2, 2049},   {3, 4095},   {3, 4097},   {5, 8191},    {4, 8192},  {3, 8193},
      {2, 16385},  {2, 24581},  {1, 1048579}, {1, 3 << 20}, {70000, 2}, {3, 65536 * 3 + 1},
  };
  return layouts;
}

template <typename T>
void CheckType(CheckStats* stats) {
  uint64_t seed = 1;
  for (const auto& layout : CheckLayouts()) {
    for (int64_t misalign : {0, 1, 3}) {
      CheckCase<T>(layout.first, layout.second, misalign, seed++, stats);
    }
  }
}

// ---- Timing -----------------------------------------------------------------

struct Timing {
  std::string op;
  std::string layout;
  double ms;
  double bytes;
};

template <typename Fn>
double MedianMs(int reps, Fn&& fn) {
  cudaEvent_t start, stop;
  CUDA_OK(cudaEventCreate(&start));
  CUDA_OK(cudaEventCreate(&stop));
  for (int i = 0; i < 3; ++i) fn();  // warm-up
  std::vector<float> times;
  for (int i = 0; i < reps; ++i) {
    CUDA_OK(cudaEventRecord(start));
    fn();
    CUDA_OK(cudaEventRecord(stop));
    CUDA_OK(cudaEventSynchronize(stop));
    float ms = 0;
    CUDA_OK(cudaEventElapsedTime(&ms, start, stop));
    times.push_back(ms);
  }
  CUDA_OK(cudaEventDestroy(start));
  CUDA_OK(cudaEventDestroy(stop));
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

std::vector<Timing> TimeAll(int64_t mib, int reps) {
  const int64_t n = mib * 1024 * 1024 / 4;
  const double bytes = static_cast<double>(n) * 4;
  const std::vector<float> host = RandomValues<float>(n, 42);
  float *x, *y;
  CUDA_OK(cudaMalloc(&x, n * 4));
  CUDA_OK(cudaMalloc(&y, n * 4));
  CUDA_OK(cudaMemcpy(x, host.data(), n * 4, cudaMemcpyHostToDevice));

  std::vector<Timing> timings;
  timings.push_back({"copy", "flat", MedianMs(reps, [&] {
                       CUDA_OK(cudaMemcpyAsync(y, x, n * 4, cudaMemcpyDeviceToDevice));
                     }), 2 * bytes});
  timings.push_back({"quantize", "flat", MedianMs(reps, [&] {
                       CUDA_OK(lrc::Quantize(DType::kFloat, x, y, n, nullptr));
                     }), 2 * bytes});
  // Bottleneck-like layouts of the same 256 MiB (see run.sh / peers.py).
  const std::vector<std::pair<std::string, int64_t>> layouts = {
      {"units16x4Mi", 16}, {"units65536x1024", 65536}, {"units64Mix1", n}};
  for (const auto& layout : layouts) {
    const int64_t units = std::min(layout.second, n);
    const int64_t unit_size = n / units;
    float *penalty, *grad;
    void* workspace = nullptr;
    CUDA_OK(cudaMalloc(&penalty, units * 4));
    CUDA_OK(cudaMalloc(&grad, units * 4));
    CUDA_OK(cudaMemcpy(grad, host.data(), units * 4, cudaMemcpyHostToDevice));
    const size_t ws = lrc::PenaltyWorkspaceBytes(DType::kFloat, units, unit_size);
    if (ws > 0) CUDA_OK(cudaMalloc(&workspace, ws));
    const double small = static_cast<double>(units) * 4;
    timings.push_back({"fused", layout.first, MedianMs(reps, [&] {
                         CUDA_OK(lrc::QuantizePenalty(DType::kFloat, x, units, unit_size,
                                                      0.01, y, penalty, workspace,
                                                      nullptr));
                       }), 2 * bytes + small});
    timings.push_back({"penalty", layout.first, MedianMs(reps, [&] {
                         CUDA_OK(lrc::Penalty(DType::kFloat, x, units, unit_size, 0.01,
                                              penalty, workspace, nullptr));
                       }), bytes + small});
    timings.push_back({"penalty_grad", layout.first, MedianMs(reps, [&] {
                         CUDA_OK(lrc::PenaltyGrad(DType::kFloat, x, grad, units, unit_size,
                                                  0.01, y, nullptr));
                       }), 2 * bytes + small});
    CUDA_OK(cudaFree(penalty));
    CUDA_OK(cudaFree(grad));
    if (workspace != nullptr) CUDA_OK(cudaFree(workspace));
  }
  CUDA_OK(cudaFree(x));
  CUDA_OK(cudaFree(y));
  return timings;
}

}  // namespace

int main(int argc, char** argv) {
  std::string json_path;
  bool timing = true;
  int64_t mib = 256;
  int reps = 30;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--json" && i + 1 < argc) {
      json_path = argv[++i];
    } else if (arg == "--skip-timing") {
      timing = false;
    } else if (arg == "--mib" && i + 1 < argc) {
      mib = std::atoll(argv[++i]);
    } else if (arg == "--reps" && i + 1 < argc) {
      reps = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: %s [--json FILE] [--skip-timing] [--mib N] [--reps N]\n",
                   argv[0]);
      return 2;
    }
  }
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    std::fprintf(stderr, "gpu_harness: no CUDA device; nothing checked\n");
    return 2;
  }
  cudaDeviceProp prop;
  CUDA_OK(cudaGetDeviceProperties(&prop, 0));
  std::printf("device: %s (sm_%d%d, %.0f GiB)\n", prop.name, prop.major, prop.minor,
              prop.totalGlobalMem / 1073741824.0);

  CheckStats stats;
  std::printf("== correctness vs cc/math (CPU)\n");
  CheckType<Half>(&stats);
  CheckType<BFloat16>(&stats);
  CheckType<float>(&stats);
  CheckType<double>(&stats);
  std::printf("%d cases, %d failed; penalty values: %lld, %lld within 1 ulp but not "
              "bit-equal\n",
              stats.cases, stats.failures, static_cast<long long>(stats.penalty_values),
              static_cast<long long>(stats.penalty_inexact));

  std::vector<Timing> timings;
  if (timing && stats.failures == 0) {
    std::printf("== timing, float32, %lld MiB, median of %d\n", static_cast<long long>(mib),
                reps);
    timings = TimeAll(mib, reps);
    const double copy_ms = timings[0].ms;
    std::printf("%-14s %-16s %9s %9s %9s\n", "op", "layout", "ms", "GB/s", "vs copy");
    for (const auto& t : timings) {
      const double gbps = t.bytes / (t.ms * 1e-3) / 1e9;
      const double copy_gbps = timings[0].bytes / (copy_ms * 1e-3) / 1e9;
      std::printf("%-14s %-16s %9.3f %9.1f %8.1f%%\n", t.op.c_str(), t.layout.c_str(), t.ms,
                  gbps, 100 * gbps / copy_gbps);
    }
  }

  if (!json_path.empty()) {
    FILE* f = std::fopen(json_path.c_str(), "w");
    if (f == nullptr) {
      std::perror(json_path.c_str());
      return 1;
    }
    std::fprintf(f, "{\"device\": \"%s\", \"mib\": %lld, \"checks\": {\"cases\": %d, "
                    "\"failures\": %d, \"penalty_values\": %lld, \"penalty_inexact\": %lld},"
                    " \"timings\": [",
                 prop.name, static_cast<long long>(mib), stats.cases, stats.failures,
                 static_cast<long long>(stats.penalty_values),
                 static_cast<long long>(stats.penalty_inexact));
    for (size_t i = 0; i < timings.size(); ++i) {
      std::fprintf(f, "%s{\"impl\": \"ours\", \"op\": \"%s\", \"layout\": \"%s\", "
                      "\"ms\": %.6f, \"bytes\": %.0f}",
                   i ? ", " : "", timings[i].op.c_str(), timings[i].layout.c_str(),
                   timings[i].ms, timings[i].bytes);
    }
    std::fprintf(f, "]}\n");
    std::fclose(f);
  }
  return stats.failures == 0 ? 0 : 1;
}
