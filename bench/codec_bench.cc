// Single-thread timings of the raw codec (cc/codec), no TensorFlow, no
// Python: CountBits, Encode (count + write) and Decode of one coding unit
// read from a .npy file (float32, float64 or int32, any shape, row-major).
//
//   codec_bench DATA.npy [run_length_code magnitude_code non_zeros [repeats]]
//
// Prints one JSON object: median seconds and elements/s of each step
// (count; encode = count + write, as Encode; one pass = EncodeToBuffer;
// decode), and the encoded bits per element. The round trip is checked.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <time.h>

#include "laplace_rice/codec.h"

namespace {

struct Array {
  std::string dtype;  // "<f4", "<f8" or "<i4"
  std::vector<char> bytes;
  size_t count = 0;
};

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "codec_bench: %s\n", message.c_str());
  std::exit(1);
}

// Reads a little-endian, C-ordered .npy file (format versions 1 to 3).
Array ReadNpy(const char* path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) Die(std::string("cannot open ") + path);
  char magic[8];
  file.read(magic, 8);
  if (!file || std::memcmp(magic, "\x93NUMPY", 6) != 0) Die("not a .npy file");
  uint32_t header_size = 0;
  if (magic[6] == 1) {
    uint16_t size16 = 0;
    file.read(reinterpret_cast<char*>(&size16), 2);
    header_size = size16;
  } else {
    file.read(reinterpret_cast<char*>(&header_size), 4);
  }
  std::string header(header_size, '\0');
  file.read(header.data(), header_size);
  Array array;
  for (const char* dtype : {"<f4", "<f8", "<i4"}) {
    if (header.find(std::string("'") + dtype + "'") != std::string::npos) {
      array.dtype = dtype;
    }
  }
  if (array.dtype.empty()) Die("dtype must be <f4, <f8 or <i4: " + header);
  if (header.find("'fortran_order': False") == std::string::npos) {
    Die("the array must be C-ordered");
  }
  const size_t open = header.find('(', header.find("'shape'"));
  const size_t close = header.find(')', open);
  array.count = 1;
  std::string dims = header.substr(open + 1, close - open - 1);
  for (size_t pos = 0; pos < dims.size();) {
    const size_t comma = dims.find(',', pos);
    const std::string dim = dims.substr(pos, comma - pos);
    if (dim.find_first_of("0123456789") != std::string::npos) {
      array.count *= std::stoull(dim);
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  const size_t item = array.dtype == "<f8" ? 8 : 4;
  array.bytes.resize(array.count * item);
  file.read(array.bytes.data(), static_cast<std::streamsize>(array.bytes.size()));
  if (!file) Die("the file is shorter than its shape");
  return array;
}

// Seconds of CPU time this thread has used: unlike wall time, it does not
// grow when other processes share the cores (set LAPLACE_RICE_BENCH_CPU=1).
double ThreadCpuSeconds() {
  timespec now;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

double WallSeconds() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

template <class F>
double MedianSeconds(int repeats, F&& f) {
  static const bool cpu_time = std::getenv("LAPLACE_RICE_BENCH_CPU") != nullptr;
  f();  // warm-up
  std::vector<double> times;
  for (int i = 0; i < repeats; ++i) {
    const double start = cpu_time ? ThreadCpuSeconds() : WallSeconds();
    f();
    times.push_back((cpu_time ? ThreadCpuSeconds() : WallSeconds()) - start);
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

void Check(const laplace_rice::Status& status) {
  if (!status.ok()) Die(status.message());
}

template <typename T>
void Bench(const T* values, size_t count, const laplace_rice::CodeParams& params,
           int repeats) {
  using namespace laplace_rice;
  uint64_t bits = 0;
  const double count_s = MedianSeconds(repeats, [&] {
    Check(CountBits(values, count, params, &bits));
  });
  std::string code;
  const double encode_s = MedianSeconds(repeats, [&] {
    uint64_t b = 0;
    Check(CountBits(values, count, params, &b));
    // Sized once per call, as the TensorFlow kernel does.
    code.resize(BytesForBits(b));
    Check(EncodeInto(values, count, params,
                     reinterpret_cast<uint8_t*>(code.data()), code.size()));
  });
  EncodeBuffer buffer;  // reused, as the kernel reuses one per shard
  // The bound is the string's exact size (counted above), so that strings
  // longer than their input (wide scales under the default codes) are timed
  // too; the one pass itself does not count.
  const size_t max_bytes = static_cast<size_t>(BytesForBits(bits));
  const double one_pass_s = MedianSeconds(repeats, [&] {
    bool fits = false;
    Check(EncodeToBuffer(values, count, params, max_bytes, &buffer, &fits));
    if (!fits) Die("the one-pass string outgrew its counted size");
  });
  if (std::string_view(reinterpret_cast<const char*>(buffer.data()),
                       buffer.size()) != code) {
    Die("the one-pass string differs from the counted one");
  }
  std::vector<int32_t> decoded(count);
  const double decode_s = MedianSeconds(repeats, [&] {
    Check(Decode(reinterpret_cast<const uint8_t*>(code.data()), code.size(),
                 params, decoded.data(), count));
  });
  // Round trip: the decoded values are the rounded inputs.
  uint32_t mismatches = 0;
  for (size_t i = 0; i < count; ++i) {
    if (static_cast<double>(decoded[i]) != std::nearbyint(static_cast<double>(values[i]))) {
      ++mismatches;
    }
  }
  if (mismatches != 0) Die("round trip failed");
  const double n = static_cast<double>(count);
  std::printf(
      "{\"elements\": %zu, \"bytes\": %zu, \"bits_per_element\": %.6f, "
      "\"count_s\": %.6g, \"encode_s\": %.6g, \"one_pass_s\": %.6g, "
      "\"decode_s\": %.6g, \"count_eps\": %.6g, \"encode_eps\": %.6g, "
      "\"one_pass_eps\": %.6g, \"decode_eps\": %.6g}\n",
      count, code.size(), 8.0 * static_cast<double>(code.size()) / n, count_s, encode_s,
      one_pass_s, decode_s, n / count_s, n / encode_s, n / one_pass_s, n / decode_s);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 && argc != 5 && argc != 6) {
    Die("usage: codec_bench DATA.npy [run_length_code magnitude_code "
        "non_zeros [repeats]]");
  }
  laplace_rice::CodeParams params;
  if (argc >= 5) {
    params.run_length_code = std::atoi(argv[2]);
    params.magnitude_code = std::atoi(argv[3]);
    params.use_run_length_for_non_zeros = std::atoi(argv[4]) != 0;
  }
  const int repeats = argc == 6 ? std::max(1, std::atoi(argv[5])) : 7;
  const Array array = ReadNpy(argv[1]);
  if (array.dtype == "<f4") {
    Bench(reinterpret_cast<const float*>(array.bytes.data()), array.count,
          params, repeats);
  } else if (array.dtype == "<f8") {
    Bench(reinterpret_cast<const double*>(array.bytes.data()), array.count,
          params, repeats);
  } else {
    Bench(reinterpret_cast<const int32_t*>(array.bytes.data()), array.count,
          params, repeats);
  }
  return 0;
}
