// lr_app: encodes a file of int32 values with the laplace_rice codec and
// decodes it back. An example of the installed C++ package.
//
//   lr_app encode    VALUES.i32 CODE.lrc [RUN_LENGTH_CODE MAGNITUDE_CODE NON_ZEROS]
//   lr_app decode    CODE.lrc VALUES.i32 COUNT [RUN_LENGTH_CODE MAGNITUDE_CODE NON_ZEROS]
//   lr_app roundtrip VALUES.i32 [RUN_LENGTH_CODE MAGNITUDE_CODE NON_ZEROS]
//
// VALUES.i32 holds raw little-endian int32 values. CODE.lrc holds the bare
// string: the count and the parameters are not stored in it, so decode must
// be given the same ones. Parameters default to -1 0 0 (as the library's).
#include <laplace_rice/codec.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

namespace lr = laplace_rice;

namespace {

bool ReadFile(const std::string& path, std::string* bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  bytes->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

bool WriteFile(const std::string& path, const void* data, size_t size) {
  std::ofstream out(path, std::ios::binary);
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
  return static_cast<bool>(out);
}

// This example assumes a little-endian host, as the .i32 files are.
bool ReadValues(const std::string& path, std::vector<int32_t>* values) {
  std::string bytes;
  if (!ReadFile(path, &bytes) || bytes.size() % sizeof(int32_t) != 0) return false;
  values->resize(bytes.size() / sizeof(int32_t));
  std::memcpy(values->data(), bytes.data(), bytes.size());
  return true;
}

// Parameters from argv[first..first+2], if given.
bool ParseParams(int argc, char** argv, int first, lr::CodeParams* params) {
  if (argc == first) return true;
  if (argc != first + 3) return false;
  params->run_length_code = std::atoi(argv[first]);
  params->magnitude_code = std::atoi(argv[first + 1]);
  params->use_run_length_for_non_zeros = std::atoi(argv[first + 2]) != 0;
  return true;
}

int Fail(const std::string& message) {
  std::cerr << "lr_app: " << message << "\n";
  return 1;
}

int Encode(const std::vector<int32_t>& values, const lr::CodeParams& params,
           std::string* code) {
  const lr::Status status = lr::Encode(values.data(), values.size(), params, code);
  return status.ok() ? 0 : Fail("encode: " + status.message());
}

int Decode(const std::string& code, const lr::CodeParams& params,
           std::vector<int32_t>* values) {
  const lr::Status status = lr::Decode(code, params, values->data(), values->size());
  return status.ok() ? 0 : Fail("decode: " + status.message());
}

int Usage() {
  std::cerr << "usage: lr_app encode VALUES.i32 CODE.lrc [RL MAG NZ]\n"
               "       lr_app decode CODE.lrc VALUES.i32 COUNT [RL MAG NZ]\n"
               "       lr_app roundtrip VALUES.i32 [RL MAG NZ]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return Usage();
  const std::string command = argv[1];
  lr::CodeParams params;
  std::vector<int32_t> values;
  std::string code;

  if (command == "encode" && argc >= 4) {
    if (!ParseParams(argc, argv, 4, &params)) return Usage();
    if (!ReadValues(argv[2], &values)) return Fail(std::string("cannot read ") + argv[2]);
    if (int rc = Encode(values, params, &code)) return rc;
    if (!WriteFile(argv[3], code.data(), code.size())) return Fail("cannot write output");
    std::cout << values.size() << " values -> " << code.size() << " bytes\n";
    return 0;
  }
  if (command == "decode" && argc >= 5) {
    if (!ParseParams(argc, argv, 5, &params)) return Usage();
    if (!ReadFile(argv[2], &code)) return Fail(std::string("cannot read ") + argv[2]);
    values.resize(std::strtoull(argv[4], nullptr, 10));
    if (int rc = Decode(code, params, &values)) return rc;
    if (!WriteFile(argv[3], values.data(), values.size() * sizeof(int32_t))) {
      return Fail("cannot write output");
    }
    std::cout << code.size() << " bytes -> " << values.size() << " values\n";
    return 0;
  }
  if (command == "roundtrip") {
    if (!ParseParams(argc, argv, 3, &params)) return Usage();
    if (!ReadValues(argv[2], &values)) return Fail(std::string("cannot read ") + argv[2]);
    if (int rc = Encode(values, params, &code)) return rc;
    std::vector<int32_t> decoded(values.size());
    if (int rc = Decode(code, params, &decoded)) return rc;
    // The gamma magnitude code writes INT32_MIN as -INT32_MAX (FORMAT.md).
    for (size_t i = 0; i < values.size(); ++i) {
      const bool gamma_min = params.magnitude_code < 0 && values[i] == INT32_MIN &&
                             decoded[i] == -INT32_MAX;
      if (decoded[i] != values[i] && !gamma_min) {
        return Fail("round trip differs at index " + std::to_string(i));
      }
    }
    std::cout << "ok: " << values.size() << " values, " << code.size() << " bytes, "
              << "codec " << lr::kVersionMajor << "." << lr::kVersionMinor << "."
              << lr::kVersionPatch << "\n";
    return 0;
  }
  return Usage();
}
