// Shared by the libFuzzer targets: how the first bytes of an input choose the
// code parameters, the two sets of entry points an input can choose between
// (codec.h's templates, the 1.0 ABI's overloads), the runners of the
// parallel API, and a check that aborts (so that libFuzzer records a crash)
// with a message. make_corpus.py writes seeds in the same layout.
#ifndef LAPLACE_RICE_TESTS_FUZZ_FUZZ_COMMON_H_
#define LAPLACE_RICE_TESTS_FUZZ_FUZZ_COMMON_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "abi_v1.h"
#include "laplace_rice/codec.h"

namespace laplace_rice_fuzz {

// Bytes 0..2 of every input: run_length_code, magnitude_code, flags.
inline constexpr size_t kParamBytes = 3;

// A byte as a code parameter in [-2, 33]: gamma (-1 and another negative),
// every Rice parameter, and two out-of-range values that must be refused.
inline int CodeFromByte(uint8_t byte) { return static_cast<int>(byte % 36) - 2; }

inline laplace_rice::CodeParams ParamsFromBytes(const uint8_t* data) {
  laplace_rice::CodeParams params;
  params.run_length_code = CodeFromByte(data[0]);
  params.magnitude_code = CodeFromByte(data[1]);
  params.use_run_length_for_non_zeros = (data[2] & 1) != 0;
  return params;
}

inline bool ParamsInRange(const laplace_rice::CodeParams& params) {
  return params.run_length_code <= laplace_rice::kMaxRiceParameter &&
         params.magnitude_code <= laplace_rice::kMaxRiceParameter;
}

[[noreturn]] inline void Fail(const char* what, const laplace_rice::CodeParams& p) {
  std::fprintf(stderr,
               "FUZZ CHECK FAILED: %s (run_length_code=%d magnitude_code=%d "
               "use_run_length_for_non_zeros=%d)\n",
               what, p.run_length_code, p.magnitude_code,
               p.use_run_length_for_non_zeros ? 1 : 0);
  std::abort();
}

// The entry points for values of type T, called through pointers so that
// each call says which symbol it reaches: the templates of codec.h, or the
// plain overloads that the library keeps exporting for 1.0 programs
// (abi_v1.cc). Both must give the same results.
template <typename T>
struct EntryPoints {
  using Status = laplace_rice::Status;
  using CodeParams = laplace_rice::CodeParams;
  Status (*count_bits)(const T*, size_t, const CodeParams&, uint64_t*);
  Status (*encode_into)(const T*, size_t, const CodeParams&, uint8_t*, size_t);
  Status (*encode)(const T*, size_t, const CodeParams&, std::string*);
  Status (*encode_to_buffer)(const T*, size_t, const CodeParams&, size_t,
                             laplace_rice::EncodeBuffer*, bool*);
  Status (*count_bits_parallel)(const T*, size_t, const CodeParams&, size_t,
                                const laplace_rice::ParallelRunner&, uint64_t*);
  Status (*encode_parallel)(const T*, size_t, const CodeParams&, size_t,
                            const laplace_rice::ParallelRunner&,
                            const laplace_rice::Allocator&);
  // Decodes into T (1.0 named the int32 form Decode).
  Status (*decode_to)(const uint8_t*, size_t, const CodeParams&, T*, size_t);
  bool abi_v1;
};

template <typename T>
EntryPoints<T> Templates() {
  namespace lr = laplace_rice;
  return {&lr::CountBits<T>,         &lr::EncodeInto<T>,        &lr::Encode<T>,
          &lr::EncodeToBuffer<T>,    &lr::CountBitsParallel<T>, &lr::EncodeParallel<T>,
          &lr::DecodeTo<T>,          false};
}

// Assigning an overloaded name to a pointer of the exact type picks the
// non-template overload over the template's specialization ([over.over]);
// without abi_v1.h it would silently pick the template, which the check
// below rules out.
template <typename T>
EntryPoints<T> AbiV1() {
  namespace lr = laplace_rice;
  EntryPoints<T> e;
  e.count_bits = &lr::CountBits;
  e.encode_into = &lr::EncodeInto;
  e.encode = &lr::Encode;
  e.encode_to_buffer = &lr::EncodeToBuffer;
  e.count_bits_parallel = &lr::CountBitsParallel;
  e.encode_parallel = &lr::EncodeParallel;
  if constexpr (std::is_same_v<T, int32_t>) {
    e.decode_to = &lr::Decode;
  } else {
    e.decode_to = &lr::DecodeTo;
  }
  e.abi_v1 = true;
  const EntryPoints<T> t = Templates<T>();
  if (e.count_bits == t.count_bits || e.encode == t.encode || e.decode_to == t.decode_to) {
    std::fprintf(stderr, "FUZZ CHECK FAILED: the 1.0 overloads resolved to the templates\n");
    std::abort();
  }
  return e;
}

// Runners of the parallel API's tasks (codec.h, ParallelRunner).

// One by one, last first, so that any dependence on task order shows.
inline void RunBackwards(size_t n, const std::function<void(size_t)>& task) {
  for (size_t i = n; i > 0; --i) task(i - 1);
}

// The tasks on up to kMaxThreads threads (task i on thread i % kMaxThreads,
// thread 0 the caller's), all released at once by a spin barrier so that
// parts really run concurrently: under ASan this catches parts that touch
// each other's memory, and parts that need a lookup table no one has built
// yet race to build it. More threads would only cost time: starting one
// under ASan takes longer than coding a small part.
inline constexpr size_t kMaxThreads = 4;

inline void RunOnThreads(size_t n, const std::function<void(size_t)>& task) {
  const size_t count = n < kMaxThreads ? n : kMaxThreads;
  std::atomic<size_t> arrived{0};
  const auto start = [&](size_t t) {
    arrived.fetch_add(1);
    while (arrived.load() < count) std::this_thread::yield();
    for (size_t i = t; i < n; i += count) task(i);
  };
  std::vector<std::thread> threads;
  threads.reserve(count);
  for (size_t t = 1; t < count; ++t) threads.emplace_back(start, t);
  if (count > 0) start(0);
  for (std::thread& thread : threads) thread.join();
}

}  // namespace laplace_rice_fuzz

// Checks a condition in every build type (assert() vanishes with NDEBUG).
#define FUZZ_CHECK(cond, params)                        \
  do {                                                  \
    if (!(cond)) ::laplace_rice_fuzz::Fail(#cond, params); \
  } while (0)

#endif  // LAPLACE_RICE_TESTS_FUZZ_FUZZ_COMMON_H_
