// Standalone GPU harness for cc/cuda (no TensorFlow): checks every launcher
// against the CPU implementation (cc/math, <laplace_rice/math.h>) and, for
// 16-bit types, an independent conversion reference (cc/cuda/tests/ieee16.h),
// then times them at 256 MiB of float32, float16 and bfloat16 against a
// device-to-device copy of the same bytes.
//
//   gpu_harness [--json FILE] [--skip-timing] [--mib N] [--reps N]
//               [--inner N] [--max-blocks N] [--quick]
//
// --max-blocks: the grid-stride cap of the second check pass (default 3).
// --quick: only that pass, and 4 of the 6 alignments (for compute-sanitizer).
// --inner: calls timed between one pair of events (default 20).
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
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "host16.h"
#include "ieee16.h"
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
namespace ieee16 = laplace_rice::testing::ieee16;

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
template <typename T>
T FromDouble(double v) {
  return static_cast<T>(static_cast<math::Wide<T>>(v));
}

// Every launch and copy of the checks runs on this stream, created
// non-blocking: it does not synchronize with the legacy default stream, so a
// launcher that ignored its `stream` argument would race with the uploads
// and downloads instead of being ordered by accident (and in graph-capture
// mode, see Launch, it fails outright).
cudaStream_t g_stream = nullptr;

enum class Data {
  // Multiples of 2^-8 with |x| < 2^10: every sum of up to 2^22 of them is an
  // integer multiple of 2^-8 below 2^32, exact in double in any order, so the
  // penalty must equal the CPU's bit for bit (a dropped or doubled chunk
  // cannot hide in a tolerance).
  kExactSums,
  // Special values among Laplace data: NaN, +-Inf, subnormals of T, -0.5,
  // +-0, and values >= 2^23 (the largest finite values for float16). For the
  // element math; the penalty here is only checked to a tolerance.
  kSpecial,
};

const char* DataName(Data data) { return data == Data::kExactSums ? "exact" : "special"; }

template <typename T>
std::vector<T> RandomValues(int64_t n, uint64_t seed, Data data) {
  using W = math::Wide<T>;
  std::mt19937_64 rng(seed);
  std::exponential_distribution<double> magnitude(1.0 / 3.0);
  std::uniform_int_distribution<int> coin(0, 19);
  std::uniform_int_distribution<int> integer(-8, 8);
  const W kInf = std::numeric_limits<W>::infinity();
  // The smallest subnormal of T and the largest value tried (>= 2^23, or the
  // largest finite float16).
  const double tiny = sizeof(T) == 2 ? (TypeInfo<T>::kDType == DType::kHalf ? 0x1p-24 : 0x1p-133)
                      : sizeof(T) == 4 ? 0x1p-149 : 0x1p-1074;
  const double big = TypeInfo<T>::kDType == DType::kHalf ? 65504.0 : 0x1p23;
  std::vector<T> values(static_cast<size_t>(n));
  for (auto& v : values) {
    const int c = coin(rng);
    double value;
    if (c < 4) {
      value = integer(rng) + 0.5;  // round-half-to-even cases
    } else if (c == 4) {
      value = 0.0;
    } else {
      value = (c % 2 ? 1 : -1) * magnitude(rng);
    }
    if (data == Data::kExactSums) {
      value = std::max(-1000.0, std::min(1000.0, std::nearbyint(value * 256) / 256));
    } else if (c >= 15) {
      const double sign = c % 2 ? 1 : -1;
      switch (c) {
        case 15: value = std::numeric_limits<double>::quiet_NaN(); break;
        case 16: value = sign * kInf; break;
        case 17: value = sign * tiny * (1 + coin(rng)); break;  // subnormal
        case 18: value = -0.5; break;
        // float16: its largest finite values (2^23 would be infinity);
        // else 2^23 to 2^25, all representable.
        default:
          value = TypeInfo<T>::kDType == DType::kHalf ? sign * (big - 32 * (coin(rng) % 4))
                                                      : sign * big * (1 + coin(rng) % 4);
      }
    }
    v = FromDouble<T>(value);
  }
  if (n > 0) values[0] = FromDouble<T>(2.5);
  if (data == Data::kExactSums) {
    // Rounding to T keeps multiples of 2^-8 (T's unit there is a multiple of
    // 2^-8, or the value is exact); checked, since the exactness is the point.
    for (const T& v : values) {
      const double scaled = ToDouble(v) * 256;
      if (scaled != std::nearbyint(scaled) || std::fabs(ToDouble(v)) >= 1024) {
        std::fprintf(stderr, "gpu_harness: data not a multiple of 2^-8: %g\n", ToDouble(v));
        std::exit(1);
      }
    }
  }
  return values;
}

// Device buffer of `count` T with `guard` poisoned elements on each side.
// Every copy is on g_stream.
template <typename T>
class GuardedBuffer {
 public:
  static constexpr int64_t kGuard = 64;
  GuardedBuffer(int64_t count, int64_t misalign) : count_(count), offset_(kGuard + misalign) {
    total_ = count + 2 * kGuard + 8;
    CUDA_OK(cudaMalloc(&base_, static_cast<size_t>(total_) * sizeof(T)));
    Poison();
  }
  ~GuardedBuffer() { cudaFree(base_); }
  GuardedBuffer(const GuardedBuffer&) = delete;
  GuardedBuffer& operator=(const GuardedBuffer&) = delete;

  T* data() { return base_ + offset_; }
  void Poison() {
    CUDA_OK(cudaMemsetAsync(base_, 0xFF, static_cast<size_t>(total_) * sizeof(T), g_stream));
  }
  void Upload(const std::vector<T>& values) {
    CUDA_OK(cudaMemcpyAsync(data(), values.data(), values.size() * sizeof(T),
                            cudaMemcpyHostToDevice, g_stream));
    // `values` may go away after this call; pageable copies need not have
    // finished reading it when cudaMemcpyAsync returns.
    CUDA_OK(cudaStreamSynchronize(g_stream));
  }
  std::vector<T> Download() const {
    std::vector<T> values(static_cast<size_t>(count_));
    CUDA_OK(cudaMemcpyAsync(values.data(), base_ + offset_, values.size() * sizeof(T),
                            cudaMemcpyDeviceToHost, g_stream));
    CUDA_OK(cudaStreamSynchronize(g_stream));
    return values;
  }
  // True when nothing outside [offset, offset + count) was written.
  bool GuardsIntact() const {
    std::vector<unsigned char> all(static_cast<size_t>(total_) * sizeof(T));
    CUDA_OK(cudaMemcpyAsync(all.data(), base_, all.size(), cudaMemcpyDeviceToHost, g_stream));
    CUDA_OK(cudaStreamSynchronize(g_stream));
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
  int64_t penalty_inexact = 0;  // special data only: within tolerance, not equal
};

// Bit equality, except that any two NaNs are equal: the CPU keeps a NaN's
// payload through the math, the GPU may return the canonical NaN (see
// docs/gpu.md).
template <typename T>
bool SameValue(T a, T b) {
  if (std::memcmp(&a, &b, sizeof(T)) == 0) return true;
  return std::isnan(ToDouble(a)) && std::isnan(ToDouble(b));
}

// Reports the first mismatch of an exact comparison.
template <typename T>
bool ExpectExact(const std::vector<T>& got, const std::vector<T>& want,
                 const std::string& what) {
  for (size_t i = 0; i < want.size(); ++i) {
    if (!SameValue(got[i], want[i])) {
      std::printf("  FAIL %s: index %zu: got %.9g, want %.9g\n", what.c_str(), i,
                  ToDouble(got[i]), ToDouble(want[i]));
      return false;
    }
  }
  return true;
}

// Exact-sum data: the penalty equals the CPU's. Special data (sums that are
// not exact in double, so their order matters): the same NaN / infinity, or
// within the error of two summation orders of `unit_size` non-negative terms
// in double (each within (n - 1) 2^-53 of the exact sum, relatively) plus one
// ulp of T for the rounding to T.
template <typename T>
bool ExpectPenalty(const std::vector<T>& got, const std::vector<T>& want, Data data,
                   int64_t unit_size, const std::string& what, CheckStats* stats) {
  const double tolerance =
      2 * TypeInfo<T>::kEpsilon + 2 * static_cast<double>(unit_size) * 0x1p-53;
  for (size_t i = 0; i < want.size(); ++i) {
    ++stats->penalty_values;
    if (SameValue(got[i], want[i])) continue;
    const double g = ToDouble(got[i]);
    const double w = ToDouble(want[i]);
    if (data == Data::kSpecial && std::isfinite(w) &&
        std::fabs(g - w) <= tolerance * std::fabs(w)) {
      ++stats->penalty_inexact;
      continue;
    }
    std::printf("  FAIL %s: unit %zu: got %.17g, want %.17g\n", what.c_str(), i, g, w);
    return false;
  }
  return true;
}

// 16-bit results against the independent conversions of ieee16.h (the CPU
// reference shares CUDA's host conversions with the device code).
template <typename T>
bool ExpectIndependent16(const std::vector<T>& x, const std::vector<T>& grad,
                         int64_t unit_size, T l1, const std::vector<T>& quantized,
                         const std::vector<T>& dx, const std::string& what) {
  if constexpr (sizeof(T) != 2) {
    return true;
  } else {
    using Format = std::conditional_t<std::is_same<T, Half>::value, ieee16::HalfFormat,
                                      ieee16::BFloat16Format>;
    auto bits = [](T v) {
      uint16_t b;
      std::memcpy(&b, &v, 2);
      return b;
    };
    for (size_t i = 0; i < x.size(); ++i) {
      const uint16_t q = ieee16::Quantize<Format>(bits(x[i]));
      if (!ieee16::SameValue<Format>(bits(quantized[i]), q)) {
        std::printf("  FAIL %s quantize (independent 16-bit reference): index %zu: got "
                    "0x%04x, want 0x%04x\n", what.c_str(), i, bits(quantized[i]), q);
        return false;
      }
      const uint16_t d = ieee16::PenaltyGrad<Format>(
          bits(x[i]), bits(grad[i / static_cast<size_t>(unit_size)]), bits(l1));
      if (!ieee16::SameValue<Format>(bits(dx[i]), d)) {
        std::printf("  FAIL %s penalty_grad (independent 16-bit reference): index %zu: "
                    "got 0x%04x, want 0x%04x\n", what.c_str(), i, bits(dx[i]), d);
        return false;
      }
    }
    return true;
  }
}

// Runs one launcher call on g_stream. With `capture`, the call is recorded
// into a CUDA graph (global capture mode) that then runs on g_stream: a
// launch on the legacy default stream during capture is an error, and one on
// any other stream leaves the graph without it (its output stays poisoned),
// so a launcher that ignores `stream` cannot pass.
template <typename Fn>
bool Launch(bool capture, const std::string& what, Fn&& launcher) {
  if (!capture) {
    CUDA_OK(launcher());
    return true;
  }
  cudaGraph_t graph = nullptr;
  CUDA_OK(cudaStreamBeginCapture(g_stream, cudaStreamCaptureModeGlobal));
  const cudaError_t launched = launcher();
  const cudaError_t ended = cudaStreamEndCapture(g_stream, &graph);
  if (launched != cudaSuccess || ended != cudaSuccess || graph == nullptr) {
    std::printf("  FAIL %s: not captured on its stream: %s / %s\n", what.c_str(),
                cudaGetErrorString(launched), cudaGetErrorString(ended));
    if (graph != nullptr) cudaGraphDestroy(graph);
    cudaGetLastError();  // the capture error is not sticky; clear it
    return false;
  }
  cudaGraphExec_t exec = nullptr;
  CUDA_OK(cudaGraphInstantiate(&exec, graph, 0));
  CUDA_OK(cudaGraphLaunch(exec, g_stream));
  CUDA_OK(cudaStreamSynchronize(g_stream));
  CUDA_OK(cudaGraphExecDestroy(exec));
  CUDA_OK(cudaGraphDestroy(graph));
  return true;
}

template <typename T>
bool CheckCase(int64_t num_units, int64_t unit_size, int64_t in_misalign,
               int64_t out_misalign, Data data, bool capture, uint64_t seed,
               CheckStats* stats) {
  constexpr DType kDType = TypeInfo<T>::kDType;
  const int64_t n = num_units * unit_size;
  const std::vector<T> x = RandomValues<T>(n, seed, data);
  std::vector<T> grad = RandomValues<T>(num_units, seed + 1, data);
  const T l1 = FromDouble<T>(0.01);
  const double l1_wide = ToDouble(l1);

  // Expected results from the CPU implementation.
  std::vector<T> want_q(static_cast<size_t>(n));
  std::vector<T> want_p(static_cast<size_t>(num_units));
  std::vector<T> want_dx(static_cast<size_t>(n));
  math::QuantizeRange(x.data(), want_q.data(), 0, n);
  math::PenaltyUnits(x.data(), unit_size, l1, 0, num_units, want_p.data());
  math::PenaltyGradUnits(x.data(), grad.data(), unit_size, l1, 0, num_units,
                         want_dx.data());

  GuardedBuffer<T> d_x(n, in_misalign), d_grad(num_units, 0), d_q(n, out_misalign),
      d_p(num_units, 0), d_dx(n, out_misalign);
  d_x.Upload(x);
  d_grad.Upload(grad);
  const size_t workspace_bytes = lrc::PenaltyWorkspaceBytes(kDType, num_units, unit_size);
  void* workspace = nullptr;
  if (workspace_bytes > 0) CUDA_OK(cudaMalloc(&workspace, workspace_bytes));

  char label[200];
  std::snprintf(label, sizeof(label),
                "%s %s units=%lld size=%lld misalign in=%lld out=%lld%s", TypeInfo<T>::kName,
                DataName(data), static_cast<long long>(num_units),
                static_cast<long long>(unit_size), static_cast<long long>(in_misalign),
                static_cast<long long>(out_misalign), capture ? " graph" : "");
  const std::string name(label);
  bool ok = true;

  ok &= Launch(capture, name + " quantize", [&] {
    return lrc::Quantize(kDType, d_x.data(), d_q.data(), n, g_stream);
  });
  const std::vector<T> got_q = d_q.Download();
  ok &= ExpectExact(got_q, want_q, name + " quantize");
  ok &= d_q.GuardsIntact();

  ok &= Launch(capture, name + " penalty", [&] {
    return lrc::Penalty(kDType, d_x.data(), num_units, unit_size, l1_wide, d_p.data(),
                        workspace, g_stream);
  });
  const std::vector<T> penalty_alone = d_p.Download();
  ok &= ExpectPenalty(penalty_alone, want_p, data, unit_size, name + " penalty", stats);
  ok &= d_p.GuardsIntact();

  d_q.Poison();
  d_p.Poison();
  ok &= Launch(capture, name + " fused", [&] {
    return lrc::QuantizePenalty(kDType, d_x.data(), num_units, unit_size, l1_wide,
                                d_q.data(), d_p.data(), workspace, g_stream);
  });
  ok &= ExpectExact(d_q.Download(), want_q, name + " fused quantized");
  const std::vector<T> penalty_fused = d_p.Download();
  ok &= ExpectPenalty(penalty_fused, want_p, data, unit_size, name + " fused penalty", stats);
  // Deterministic: the same sums as the penalty-only kernel, bit for bit.
  ok &= ExpectExact(penalty_fused, penalty_alone, name + " fused vs penalty");
  ok &= d_q.GuardsIntact() && d_p.GuardsIntact();

  ok &= Launch(capture, name + " penalty_grad", [&] {
    return lrc::PenaltyGrad(kDType, d_x.data(), d_grad.data(), num_units, unit_size,
                            l1_wide, d_dx.data(), g_stream);
  });
  const std::vector<T> got_dx = d_dx.Download();
  ok &= ExpectExact(got_dx, want_dx, name + " penalty_grad");
  ok &= d_dx.GuardsIntact();
  ok &= ExpectIndependent16(x, grad, unit_size, l1, got_q, got_dx, name);

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
      // Tiny units (a 16-byte vector holds whole units) with a partial last vector.
      {1000003, 1}, {99999, 4}, {4097, 8},
  };
  return layouts;
}

// (input, output) offsets in elements: both aligned, both off, and each off
// alone (the vector path must then be off for both).
const std::vector<std::pair<int64_t, int64_t>>& Misalignments() {
  static const std::vector<std::pair<int64_t, int64_t>> pairs = {
      {0, 0}, {1, 1}, {3, 3}, {0, 1}, {0, 3}, {1, 0}};
  return pairs;
}

// --quick (the compute-sanitizer passes, which slow every launch): 4 of
// the alignments (those where the input or the output is aligned).
bool g_quick = false;

template <typename T>
void CheckType(bool capture, CheckStats* stats) {
  uint64_t seed = 1;
  for (const auto& layout : CheckLayouts()) {
    for (const auto& m : Misalignments()) {
      if (g_quick && m.first != 0 && m.second != 0) continue;
      for (Data data : {Data::kExactSums, Data::kSpecial}) {
        CheckCase<T>(layout.first, layout.second, m.first, m.second, data, capture, seed++,
                     stats);
      }
    }
  }
}

// ---- Timing -----------------------------------------------------------------

struct Timing {
  std::string dtype;
  std::string op;
  std::string layout;
  double ms;
  double bytes;
};

// Milliseconds per call: `inner` back-to-back calls on g_stream between one
// pair of events (so the launch overhead of one call overlaps the previous
// call's work, as in a training step, and the events' own resolution is
// spread over many calls), the median of `reps` such samples. The device
// copy is timed the same way.
template <typename Fn>
double MedianMs(int reps, int inner, Fn&& fn) {
  cudaEvent_t start, stop;
  CUDA_OK(cudaEventCreate(&start));
  CUDA_OK(cudaEventCreate(&stop));
  for (int i = 0; i < 3; ++i) fn();  // warm-up
  std::vector<float> times;
  for (int i = 0; i < reps; ++i) {
    CUDA_OK(cudaEventRecord(start, g_stream));
    for (int j = 0; j < inner; ++j) fn();
    CUDA_OK(cudaEventRecord(stop, g_stream));
    CUDA_OK(cudaEventSynchronize(stop));
    float ms = 0;
    CUDA_OK(cudaEventElapsedTime(&ms, start, stop));
    times.push_back(ms / inner);
  }
  CUDA_OK(cudaEventDestroy(start));
  CUDA_OK(cudaEventDestroy(stop));
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

// The same `mib` MiB in T: a device copy, quantize, and the per-unit ops in
// three bottleneck-like layouts (see peers.py).
template <typename T>
void TimeType(int64_t mib, int reps, int inner, std::vector<Timing>* timings) {
  constexpr DType kDType = TypeInfo<T>::kDType;
  const std::string dtype = TypeInfo<T>::kName;
  const int64_t size = sizeof(T);
  const int64_t n = mib * 1024 * 1024 / size;
  const double bytes = static_cast<double>(n) * size;
  const std::vector<T> host = RandomValues<T>(n, 42, Data::kExactSums);
  T *x, *y;
  CUDA_OK(cudaMalloc(&x, n * size));
  CUDA_OK(cudaMalloc(&y, n * size));
  CUDA_OK(cudaMemcpy(x, host.data(), n * size, cudaMemcpyHostToDevice));

  timings->push_back({dtype, "copy", "flat", MedianMs(reps, inner, [&] {
                        CUDA_OK(cudaMemcpyAsync(y, x, n * size, cudaMemcpyDeviceToDevice,
                                                g_stream));
                      }), 2 * bytes});
  timings->push_back({dtype, "quantize", "flat", MedianMs(reps, inner, [&] {
                        CUDA_OK(lrc::Quantize(kDType, x, y, n, g_stream));
                      }), 2 * bytes});
  // Bottleneck-like layouts of the same bytes (see run.sh / peers.py).
  const std::vector<std::pair<std::string, int64_t>> layouts = {
      {"units16x4Mi", 16}, {"units65536x1024", 65536}, {"units64Mix1", n}};
  for (const auto& layout : layouts) {
    const int64_t units = std::min(layout.second, n);
    const int64_t unit_size = n / units;
    T *penalty, *grad;
    void* workspace = nullptr;
    CUDA_OK(cudaMalloc(&penalty, units * size));
    CUDA_OK(cudaMalloc(&grad, units * size));
    CUDA_OK(cudaMemcpy(grad, host.data(), units * size, cudaMemcpyHostToDevice));
    const size_t ws = lrc::PenaltyWorkspaceBytes(kDType, units, unit_size);
    if (ws > 0) CUDA_OK(cudaMalloc(&workspace, ws));
    const double small = static_cast<double>(units) * size;
    timings->push_back({dtype, "fused", layout.first, MedianMs(reps, inner, [&] {
                          CUDA_OK(lrc::QuantizePenalty(kDType, x, units, unit_size, 0.01, y,
                                                       penalty, workspace, g_stream));
                        }), 2 * bytes + small});
    timings->push_back({dtype, "penalty", layout.first, MedianMs(reps, inner, [&] {
                          CUDA_OK(lrc::Penalty(kDType, x, units, unit_size, 0.01, penalty,
                                               workspace, g_stream));
                        }), bytes + small});
    timings->push_back({dtype, "penalty_grad", layout.first, MedianMs(reps, inner, [&] {
                          CUDA_OK(lrc::PenaltyGrad(kDType, x, grad, units, unit_size, 0.01, y,
                                                   g_stream));
                        }), 2 * bytes + small});
    CUDA_OK(cudaStreamSynchronize(g_stream));
    CUDA_OK(cudaFree(penalty));
    CUDA_OK(cudaFree(grad));
    if (workspace != nullptr) CUDA_OK(cudaFree(workspace));
  }
  CUDA_OK(cudaFree(x));
  CUDA_OK(cudaFree(y));
}

// Every check, in all four types.
void CheckAll(bool capture, CheckStats* stats) {
  CheckType<Half>(capture, stats);
  CheckType<BFloat16>(capture, stats);
  CheckType<float>(capture, stats);
  CheckType<double>(capture, stats);
}

}  // namespace

int main(int argc, char** argv) {
  std::string json_path;
  bool timing = true;
  int64_t mib = 256;
  int reps = 30;
  int inner = 20;
  int64_t max_blocks = 3;
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
    } else if (arg == "--inner" && i + 1 < argc) {
      inner = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--quick") {
      g_quick = true;
    } else if (arg == "--max-blocks" && i + 1 < argc) {
      max_blocks = std::atoll(argv[++i]);
    } else {
      std::fprintf(stderr,
                   "usage: %s [--json FILE] [--skip-timing] [--mib N] [--reps N] "
                   "[--inner N] [--max-blocks N] [--quick]\n",
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
  CUDA_OK(cudaStreamCreateWithFlags(&g_stream, cudaStreamNonBlocking));

  CheckStats stats;
  if (!g_quick) {
    std::printf("== correctness vs cc/math (CPU), direct launches\n");
    CheckAll(/*capture=*/false, &stats);
  }
  // Again with the grid-stride kernels capped at a few blocks, so that their
  // loops run many iterations, each launch captured into a CUDA graph (which
  // proves it went to the stream it was given).
  std::printf("== again: at most %lld grid-stride blocks, launches captured into graphs\n",
              static_cast<long long>(max_blocks));
  lrc::SetMaxGridStrideBlocksForTesting(max_blocks);
  CheckAll(/*capture=*/true, &stats);
  lrc::SetMaxGridStrideBlocksForTesting(0);
  std::printf("%d cases, %d failed; penalty values: %lld, %lld (special data only) within "
              "1 ulp but not bit-equal\n",
              stats.cases, stats.failures, static_cast<long long>(stats.penalty_values),
              static_cast<long long>(stats.penalty_inexact));

  std::vector<Timing> timings;
  if (timing && stats.failures == 0) {
    std::printf("== timing, %lld MiB, %d calls per event pair, median of %d\n",
                static_cast<long long>(mib), inner, reps);
    TimeType<float>(mib, reps, inner, &timings);
    TimeType<Half>(mib, reps, inner, &timings);
    TimeType<BFloat16>(mib, reps, inner, &timings);
    std::printf("%-9s %-14s %-16s %9s %9s %9s\n", "dtype", "op", "layout", "ms", "GB/s",
                "vs copy");
    double copy_gbps = 0;
    for (const auto& t : timings) {
      const double gbps = t.bytes / (t.ms * 1e-3) / 1e9;
      if (t.op == "copy") copy_gbps = gbps;  // first row of each type
      std::printf("%-9s %-14s %-16s %9.3f %9.1f %8.1f%%\n", t.dtype.c_str(), t.op.c_str(),
                  t.layout.c_str(), t.ms, gbps, 100 * gbps / copy_gbps);
    }
  }
  CUDA_OK(cudaStreamDestroy(g_stream));

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
      std::fprintf(f, "%s{\"impl\": \"ours\", \"dtype\": \"%s\", \"op\": \"%s\", "
                      "\"layout\": \"%s\", \"ms\": %.6f, \"bytes\": %.0f}",
                   i ? ", " : "", timings[i].dtype.c_str(), timings[i].op.c_str(),
                   timings[i].layout.c_str(), timings[i].ms, timings[i].bytes);
    }
    std::fprintf(f, "]}\n");
    std::fclose(f);
  }
  return stats.failures == 0 ? 0 : 1;
}
