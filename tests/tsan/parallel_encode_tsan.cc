// CountBitsParallel and EncodeParallel with a runner that starts one
// std::thread per task, under ThreadSanitizer: any data race between the
// parts (shared state in the codec, a part writing outside its own memory,
// the join reading a part before its thread finished) is a TSan report,
// which fails the run (TSAN_OPTIONS=halt_on_error=1 in 57-tsan.sh).
//
// The results must also equal the serial CountBits / Encode, byte for byte.
// Several callers run at once on the same read-only input, as TF's kernels
// and the Python module do from their thread pools.
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "laplace_rice/codec.h"

namespace lr = laplace_rice;

namespace {

// The most tasks one call fanned out to: a test where the codec never split
// a unit would check no concurrency at all.
std::atomic<size_t> most_tasks{0};

// One std::thread per task: the most concurrency the runner contract allows.
void ThreadPerTask(size_t n, const std::function<void(size_t)>& task) {
  size_t seen = most_tasks.load();
  while (n > seen && !most_tasks.compare_exchange_weak(seen, n)) {
  }
  std::vector<std::thread> threads;
  threads.reserve(n);
  for (size_t i = 0; i < n; ++i) threads.emplace_back([&task, i] { task(i); });
  for (auto& t : threads) t.join();
}

template <typename T>
std::vector<T> LaplaceData(size_t count, double scale, double zeros, uint32_t seed) {
  std::mt19937 rng(seed);
  std::exponential_distribution<double> magnitude(1.0 / scale);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<T> values(count);
  for (auto& v : values) {
    double x = unit(rng) < zeros ? 0.0 : magnitude(rng) * (unit(rng) < 0.5 ? -1 : 1);
    v = static_cast<T>(std::nearbyint(x));
  }
  return values;
}

int failures = 0;

void Check(bool ok, const char* what, const lr::CodeParams& p, size_t parts) {
  if (ok) return;
  ++failures;
  std::fprintf(stderr, "FAILED: %s (run_length_code %d, magnitude_code %d, nz %d, parts %zu)\n",
               what, p.run_length_code, p.magnitude_code, p.use_run_length_for_non_zeros,
               parts);
}

template <typename T>
void RunOne(const std::vector<T>& values, const lr::CodeParams& p, size_t parts) {
  std::string serial;
  uint64_t serial_bits = 0;
  Check(lr::Encode(values.data(), values.size(), p, &serial).ok(), "Encode", p, parts);
  Check(lr::CountBits(values.data(), values.size(), p, &serial_bits).ok(), "CountBits", p, parts);

  uint64_t bits = 0;
  Check(lr::CountBitsParallel(values.data(), values.size(), p, parts, ThreadPerTask, &bits).ok(),
        "CountBitsParallel", p, parts);
  Check(bits == serial_bits, "CountBitsParallel == CountBits", p, parts);

  std::string parallel;
  lr::Status st = lr::EncodeParallel(values.data(), values.size(), p, parts, ThreadPerTask,
                                     [&parallel](size_t size) {
                                       parallel.resize(size);
                                       return reinterpret_cast<uint8_t*>(parallel.data());
                                     });
  Check(st.ok(), "EncodeParallel", p, parts);
  Check(parallel == serial, "EncodeParallel == Encode", p, parts);
}

}  // namespace

int main() {
  const lr::CodeParams params[] = {
      {-1, 0, false}, {2, 1, false}, {-1, -1, true}, {0, 3, true}, {5, -1, false}};
  // Sparse and dense data: part boundaries fall after non-zeros, so the
  // density decides how the unit is cut.
  const auto sparse = LaplaceData<int32_t>(1 << 18, 2.0, 0.9, 1);
  const auto dense = LaplaceData<int32_t>(1 << 18, 20.0, 0.05, 2);
  const auto floats = LaplaceData<float>(1 << 17, 3.0, 0.5, 3);
  const auto doubles = LaplaceData<double>(1 << 17, 3.0, 0.5, 4);

  // Four callers at once, each fanning out to its own threads.
  std::vector<std::thread> callers;
  for (int c = 0; c < 4; ++c) {
    callers.emplace_back([&, c] {
      for (const auto& p : params) {
        for (size_t parts : {size_t{2}, size_t{7}, size_t{16}}) {
          if (c % 2 == 0) {
            RunOne(sparse, p, parts);
            RunOne(floats, p, parts);
          } else {
            RunOne(dense, p, parts);
            RunOne(doubles, p, parts);
          }
        }
      }
    });
  }
  for (auto& t : callers) t.join();
  if (most_tasks.load() < 2) {
    std::fprintf(stderr, "FAILED: no unit was split into parts (most tasks: %zu)\n",
                 most_tasks.load());
    ++failures;
  }
  std::printf("parallel_encode_tsan: up to %zu parts at once\n", most_tasks.load());
  std::printf("parallel_encode_tsan: %s\n", failures ? "FAILED" : "all results equal serial");
  return failures ? 1 : 0;
}
