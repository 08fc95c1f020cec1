// laplace_rice._codec: the pybind11 binding of cc/codec, without TensorFlow.
//
// The Python wrapper (python/laplace_rice/codec.py) converts arguments and
// documents the API; this module does the coding. Contracts with the wrapper:
// arrays arrive C-contiguous, native-endian int32, float32 or float64 (read
// in place, never copied); code parameters arrive as plain ints and a bool.
// Coding runs with the GIL released; batch forms spread units over threads.
// Every codec error becomes a ValueError; nothing here can crash on bad
// strings (the codec never reads or writes out of bounds).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <new>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "laplace_rice/codec.h"

namespace py = pybind11;

namespace laplace_rice {
namespace {

// Runs task(i) for every i in [0, n) on up to `threads` threads (the caller
// included), handing out indices one at a time so uneven units balance.
void RunParallel(size_t n, size_t threads, const std::function<void(size_t)>& task) {
  // More threads than cores only costs: cap absurd requests.
  const size_t cap = std::max<size_t>(256, std::thread::hardware_concurrency());
  threads = std::max<size_t>(1, std::min({threads, n, cap}));
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next.fetch_add(1); i < n; i = next.fetch_add(1)) task(i);
  };
  std::vector<std::thread> pool;
  pool.reserve(threads - 1);
  for (size_t t = 1; t < threads; ++t) {
    try {
      pool.emplace_back(worker);
    } catch (const std::system_error&) {
      break;  // no more threads to be had: the ones running finish the work
    }
  }
  worker();
  for (std::thread& thread : pool) thread.join();
}

ParallelRunner Runner(size_t threads) {
  return [threads](size_t n, const std::function<void(size_t)>& task) {
    RunParallel(n, threads, task);
  };
}

[[noreturn]] void ThrowStatus(const Status& status, const std::string& where = "") {
  throw py::value_error(where + status.message());
}

void Check(const Status& status, const std::string& where = "") {
  if (!status.ok()) ThrowStatus(status, where);
}

CodeParams MakeParams(int run_length_code, int magnitude_code, bool use_run_length_for_non_zeros) {
  CodeParams params{run_length_code, magnitude_code, use_run_length_for_non_zeros};
  Check(ValidateParams(params));
  return params;
}

// The values of an array the wrapper prepared, read in place.
struct Values {
  enum class Kind { kInt32, kFloat32, kFloat64 } kind;
  const void* data;
  size_t size;

  template <typename F>
  auto Visit(F&& f, size_t offset, size_t count) const {
    switch (kind) {
      case Kind::kFloat32:
        return f(static_cast<const float*>(data) + offset, count);
      case Kind::kFloat64:
        return f(static_cast<const double*>(data) + offset, count);
      case Kind::kInt32:
      default:
        return f(static_cast<const int32_t*>(data) + offset, count);
    }
  }
};

Values ReadValues(const py::array& array) {
  if (!(array.flags() & py::array::c_style)) {
    throw py::type_error("internal: array must be C-contiguous");
  }
  Values values{Values::Kind::kInt32, array.data(), static_cast<size_t>(array.size())};
  if (array.dtype().equal(py::dtype::of<int32_t>())) {
    values.kind = Values::Kind::kInt32;
  } else if (array.dtype().equal(py::dtype::of<float>())) {
    values.kind = Values::Kind::kFloat32;
  } else if (array.dtype().equal(py::dtype::of<double>())) {
    values.kind = Values::Kind::kFloat64;
  } else {
    throw py::type_error("internal: dtype must be int32, float32 or float64");
  }
  return values;
}

uint8_t* BytesData(const py::object& bytes) {
  return reinterpret_cast<uint8_t*>(PyBytes_AS_STRING(bytes.ptr()));
}

// ---- One unit. ----

// The codec's policy, given up to `threads` threads for one large unit.
EncodeOptions UnitOptions(size_t threads) {
  EncodeOptions options;
  options.max_parts = threads;
  options.run = Runner(threads);
  return options;
}

uint64_t CountUnit(const Values& values, const CodeParams& params, size_t threads) {
  uint64_t bits = 0;
  Status status;
  {
    py::gil_scoped_release release;
    status = values.Visit(
        [&](auto* data, size_t count) {
          return CountUnitBits(data, count, params, UnitOptions(threads), &bits);
        },
        0, values.size);
  }
  Check(status);
  return bits;
}

py::bytes EncodeOneUnit(const py::array& array, int run_length_code, int magnitude_code,
                        bool use_run_length_for_non_zeros, size_t threads) {
  const CodeParams params = MakeParams(run_length_code, magnitude_code, use_run_length_for_non_zeros);
  const Values values = ReadValues(array);
  // The codec asks for the string once, on this thread, with its exact
  // size: it becomes the bytes object, written in place.
  py::object out;
  bool out_of_memory = false;
  const Allocator allocate = [&](size_t size) -> uint8_t* {
    py::gil_scoped_acquire acquire;
    PyObject* bytes = PyBytes_FromStringAndSize(nullptr, static_cast<Py_ssize_t>(size));
    if (bytes == nullptr) {
      PyErr_Clear();
      out_of_memory = true;
      return nullptr;
    }
    out = py::reinterpret_steal<py::bytes>(bytes);
    return BytesData(out);
  };
  Status status;
  {
    py::gil_scoped_release release;
    status = values.Visit(
        [&](auto* data, size_t count) {
          return EncodeUnit(data, count, params, UnitOptions(threads), allocate);
        },
        0, values.size);
  }
  if (out_of_memory) throw std::bad_alloc();
  Check(status);
  return py::reinterpret_borrow<py::bytes>(out);
}

uint64_t EncodedBits(const py::array& array, int run_length_code, int magnitude_code,
                     bool use_run_length_for_non_zeros, size_t threads) {
  const CodeParams params = MakeParams(run_length_code, magnitude_code, use_run_length_for_non_zeros);
  return CountUnit(ReadValues(array), params, threads);
}

// A bytes-like object's contents, held (and, for bytearray, locked against
// resizing) until destroyed.
class ByteView {
 public:
  explicit ByteView(const py::handle& object) {
    if (PyObject_GetBuffer(object.ptr(), &view_, PyBUF_SIMPLE) != 0) {
      PyErr_Clear();
      throw py::type_error(std::string("expected a bytes-like object, got ") +
                           Py_TYPE(object.ptr())->tp_name);
    }
  }
  ByteView(ByteView&& other) noexcept : view_(other.view_) { other.view_.obj = nullptr; }
  ByteView(const ByteView&) = delete;
  ByteView& operator=(const ByteView&) = delete;
  ByteView& operator=(ByteView&&) = delete;
  ~ByteView() {
    if (view_.obj != nullptr) PyBuffer_Release(&view_);
  }
  const uint8_t* data() const { return static_cast<const uint8_t*>(view_.buf); }
  size_t size() const { return static_cast<size_t>(view_.len); }

 private:
  Py_buffer view_{};
};

py::array_t<int32_t> DecodeUnit(const py::handle& data, uint64_t count, int run_length_code,
                                int magnitude_code, bool use_run_length_for_non_zeros) {
  const CodeParams params = MakeParams(run_length_code, magnitude_code, use_run_length_for_non_zeros);
  Check(ValidateUnitSize(count));
  const ByteView code(data);
  if (code.size() == 0 && count > 0) {
    // Refuse before allocating the output: every value costs a bit.
    throw py::value_error("empty string for a unit of " + std::to_string(count) + " values");
  }
  py::array_t<int32_t> out(static_cast<py::ssize_t>(count));
  int32_t* values = out.mutable_data();
  Status status;
  {
    py::gil_scoped_release release;
    status = Decode(code.data(), code.size(), params, values, count);
  }
  Check(status);
  return out;
}

// ---- Batches: unit i is values[i * unit_size, (i + 1) * unit_size). ----

std::string UnitPrefix(size_t unit) { return "unit " + std::to_string(unit) + ": "; }

// Counts every unit on `threads` threads; the first error (lowest unit) wins.
std::vector<uint64_t> CountUnits(const Values& values, size_t num_units, size_t unit_size,
                                 const CodeParams& params, size_t threads) {
  Check(ValidateUnitSize(unit_size));
  std::vector<uint64_t> bits(num_units, 0);
  std::vector<Status> status(num_units);
  {
    py::gil_scoped_release release;
    RunParallel(num_units, threads, [&](size_t unit) {
      status[unit] = values.Visit(
          [&](auto* data, size_t count) { return CountBits(data, count, params, &bits[unit]); },
          unit * unit_size, unit_size);
    });
  }
  for (size_t unit = 0; unit < num_units; ++unit) Check(status[unit], UnitPrefix(unit));
  return bits;
}

// One-pass memory of the threads that encode a batch, reused by a thread's
// units (the threads of RunParallel end with the call).
thread_local EncodeBuffer batch_scratch;

py::list EncodeBatch(const py::array& array, size_t num_units, int run_length_code,
                     int magnitude_code, bool use_run_length_for_non_zeros, size_t threads) {
  const CodeParams params = MakeParams(run_length_code, magnitude_code, use_run_length_for_non_zeros);
  const Values values = ReadValues(array);
  const size_t unit_size = num_units == 0 ? 0 : values.size / num_units;
  Check(ValidateUnitSize(unit_size));
  // Encode every unit without the GIL, then make the bytes objects with it.
  std::vector<std::vector<uint8_t>> encoded(num_units);
  std::vector<Status> status(num_units);
  {
    py::gil_scoped_release release;
    RunParallel(num_units, threads, [&](size_t unit) {
      EncodeOptions options;
      options.scratch = &batch_scratch;
      status[unit] = values.Visit(
          [&](auto* data, size_t count) {
            return EncodeUnit(data, count, params, options, [&](size_t size) {
              encoded[unit].resize(size);
              return encoded[unit].data();
            });
          },
          unit * unit_size, unit_size);
    });
    batch_scratch = EncodeBuffer();  // this thread's: keep no memory
  }
  for (size_t unit = 0; unit < num_units; ++unit) Check(status[unit], UnitPrefix(unit));
  py::list strings(num_units);
  for (size_t unit = 0; unit < num_units; ++unit) {
    const std::vector<uint8_t>& bytes = encoded[unit];
    strings[unit] = py::bytes(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
  return strings;
}

py::array_t<int64_t> EncodedBitsBatch(const py::array& array, size_t num_units,
                                      int run_length_code, int magnitude_code,
                                      bool use_run_length_for_non_zeros, size_t threads) {
  const CodeParams params = MakeParams(run_length_code, magnitude_code, use_run_length_for_non_zeros);
  const Values values = ReadValues(array);
  const size_t unit_size = num_units == 0 ? 0 : values.size / num_units;
  const std::vector<uint64_t> bits = CountUnits(values, num_units, unit_size, params, threads);
  py::array_t<int64_t> out(static_cast<py::ssize_t>(num_units));
  std::copy(bits.begin(), bits.end(), out.mutable_data());
  return out;
}

py::array_t<int32_t> DecodeBatch(const py::list& codes, uint64_t unit_size, int run_length_code,
                                 int magnitude_code, bool use_run_length_for_non_zeros,
                                 size_t threads) {
  const CodeParams params = MakeParams(run_length_code, magnitude_code, use_run_length_for_non_zeros);
  Check(ValidateUnitSize(unit_size));
  const size_t num_units = codes.size();
  std::vector<ByteView> views;
  views.reserve(num_units);
  for (size_t unit = 0; unit < num_units; ++unit) {
    try {
      views.emplace_back(codes[unit]);
    } catch (py::type_error& error) {
      throw py::type_error(UnitPrefix(unit) + error.what());
    }
    if (views.back().size() == 0 && unit_size > 0) {
      throw py::value_error(UnitPrefix(unit) + "empty string for a unit of " +
                            std::to_string(unit_size) + " values");
    }
  }
  if (unit_size > 0 && num_units > static_cast<size_t>(PY_SSIZE_T_MAX) / 4 / unit_size) {
    throw py::value_error("the decoded batch would be too large");
  }
  py::array_t<int32_t> out(static_cast<py::ssize_t>(num_units * unit_size));
  int32_t* values = out.mutable_data();
  std::vector<Status> status(num_units);
  {
    py::gil_scoped_release release;
    RunParallel(num_units, threads, [&](size_t unit) {
      status[unit] = Decode(views[unit].data(), views[unit].size(), params,
                            values + unit * unit_size, unit_size);
    });
  }
  for (size_t unit = 0; unit < num_units; ++unit) Check(status[unit], UnitPrefix(unit));
  return out;
}

}  // namespace
}  // namespace laplace_rice

PYBIND11_MODULE(_codec, m) {
  using namespace laplace_rice;
  m.doc() = "Binding of the laplace_rice C++ codec; use laplace_rice.codec instead.";
  m.attr("MAX_RICE_PARAMETER") = kMaxRiceParameter;
  m.attr("MAX_UNIT_SIZE") = kMaxUnitSize;
  const std::string version = std::to_string(kVersionMajor) + "." +
                              std::to_string(kVersionMinor) + "." + std::to_string(kVersionPatch);
  m.attr("VERSION") = version;
  m.attr("__version__") = version;
  m.def("encode", &EncodeOneUnit);
  m.def("encoded_bits", &EncodedBits);
  m.def("decode", &DecodeUnit);
  m.def("encode_batch", &EncodeBatch);
  m.def("encoded_bits_batch", &EncodedBitsBatch);
  m.def("decode_batch", &DecodeBatch);
}
