/* Serves a laplace_rice SavedModel through the TensorFlow C API: the path a
 * model server takes (register the custom ops, load the SavedModel, run its
 * signatures), with no Python in the process.
 *
 * usage: laplace_rice_c_client SAVED_MODEL OP_LIBRARY INPUT_F32 DIMS
 *            COMPRESS_IN COMPRESS_OUT DECOMPRESS_IN DECOMPRESS_OUT STRINGS_OUT
 *
 *   OP_LIBRARY   _laplace_rice_ops.so, or "-" to skip loading it (shows the
 *                "Op type not registered" failure).
 *   INPUT_F32    raw little-endian float32 values of the bottleneck.
 *   DIMS         its shape, comma separated ("3,4,8").
 *   COMPRESS_IN etc.  graph tensor names ("op:index") behind the signatures'
 *                inputs and outputs (saved_model_cli show --all lists them).
 *   STRINGS_OUT  file that receives the compressed strings, each as a 4-byte
 *                little-endian length and its bytes.
 *
 * It compresses the input, rebuilds a string tensor from the bytes (as a
 * client that received them would), decompresses it, and checks that the
 * result is the input rounded half to even. Exit status 0 on success. */

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensorflow/c/c_api.h"
#include "tensorflow/c/tf_tstring.h"

enum { kMaxDims = 8 };

typedef struct {
  int64_t dims[kMaxDims];
  int rank;
  int64_t count; /* number of elements */
} Shape;

static int Fail(const char* what, const TF_Status* status) {
  fprintf(stderr, "error: %s: %s\n", what, status ? TF_Message(status) : "");
  return 1;
}

static int ParseShape(const char* text, Shape* shape) {
  shape->rank = 0;
  shape->count = 1;
  const char* p = text;
  while (*p != '\0') {
    if (shape->rank == kMaxDims) return 0;
    char* end = NULL;
    errno = 0;
    long long size = strtoll(p, &end, 10);
    if (end == p || errno != 0 || size < 0 || (*end != ',' && *end != '\0')) return 0;
    shape->dims[shape->rank++] = size;
    shape->count *= size;
    p = (*end == ',') ? end + 1 : end;
  }
  return 1;
}

/* Reads exactly `count` floats from `path` into a new buffer. */
static float* ReadFloats(const char* path, int64_t count) {
  FILE* f = fopen(path, "rb");
  if (f == NULL) return NULL;
  float* values = malloc(sizeof(float) * (size_t)(count > 0 ? count : 1));
  size_t got = values ? fread(values, sizeof(float), (size_t)count, f) : 0;
  int extra = fgetc(f);
  fclose(f);
  if (values == NULL || got != (size_t)count || extra != EOF) {
    free(values);
    return NULL;
  }
  return values;
}

/* Resolves "op:index" in the loaded graph. */
static int FindOutput(TF_Graph* graph, const char* name, TF_Output* out) {
  char op_name[256];
  const char* colon = strrchr(name, ':');
  size_t length = colon ? (size_t)(colon - name) : strlen(name);
  if (length >= sizeof(op_name)) return 0;
  memcpy(op_name, name, length);
  op_name[length] = '\0';
  out->oper = TF_GraphOperationByName(graph, op_name);
  out->index = colon ? atoi(colon + 1) : 0;
  return out->oper != NULL;
}

static TF_Tensor* RunOne(TF_Session* session, TF_Output input, TF_Tensor* value,
                         TF_Output output, TF_Status* status) {
  TF_Tensor* result = NULL;
  TF_SessionRun(session, NULL, &input, &value, 1, &output, &result, 1, NULL, 0, NULL, status);
  return TF_GetCode(status) == TF_OK ? result : NULL;
}

/* Writes the strings of a TF_STRING tensor; copies them into a fresh tensor
 * of the same shape, as a client that received the bytes would build it. */
static TF_Tensor* CopyStrings(const TF_Tensor* strings, FILE* sink) {
  int rank = TF_NumDims(strings);
  int64_t dims[kMaxDims];
  for (int i = 0; i < rank && i < kMaxDims; ++i) dims[i] = TF_Dim(strings, i);
  int64_t count = TF_TensorElementCount(strings);
  TF_Tensor* copy = TF_AllocateTensor(TF_STRING, dims, rank, sizeof(TF_TString) * (size_t)count);
  const TF_TString* from = TF_TensorData(strings);
  TF_TString* to = TF_TensorData(copy);
  for (int64_t i = 0; i < count; ++i) {
    const char* bytes = TF_StringGetDataPointer(&from[i]);
    size_t size = TF_StringGetSize(&from[i]);
    uint8_t prefix[4] = {(uint8_t)size, (uint8_t)(size >> 8), (uint8_t)(size >> 16),
                         (uint8_t)(size >> 24)};
    fwrite(prefix, 1, sizeof(prefix), sink);
    fwrite(bytes, 1, size, sink);
    TF_StringInit(&to[i]);
    TF_StringCopy(&to[i], bytes, size);
  }
  return copy;
}

static void FreeStrings(TF_Tensor* strings) {
  TF_TString* data = TF_TensorData(strings);
  for (int64_t i = 0; i < TF_TensorElementCount(strings); ++i) TF_StringDealloc(&data[i]);
  TF_DeleteTensor(strings);
}

/* Counts the elements where `decoded` differs from `input` rounded half to
 * even (the default rounding mode, as the quantizer's). */
static int64_t CountMismatches(const float* input, const TF_Tensor* decoded, int64_t count) {
  if (TF_TensorType(decoded) != TF_FLOAT || TF_TensorElementCount(decoded) != count) return -1;
  const float* values = TF_TensorData(decoded);
  int64_t mismatches = 0;
  for (int64_t i = 0; i < count; ++i) mismatches += values[i] != nearbyintf(input[i]);
  return mismatches;
}

typedef struct {
  TF_Output compress_in, compress_out, decompress_in, decompress_out;
} Signatures;

static int RoundTrip(TF_Session* session, const Signatures* sig, const Shape* shape,
                     const float* input, FILE* sink, TF_Status* status) {
  TF_Tensor* bottleneck =
      TF_AllocateTensor(TF_FLOAT, shape->dims, shape->rank, sizeof(float) * (size_t)shape->count);
  if (shape->count > 0) memcpy(TF_TensorData(bottleneck), input, TF_TensorByteSize(bottleneck));
  TF_Tensor* strings = RunOne(session, sig->compress_in, bottleneck, sig->compress_out, status);
  TF_DeleteTensor(bottleneck);
  if (strings == NULL) return Fail("compress", status);
  TF_Tensor* received = CopyStrings(strings, sink);
  int64_t num_strings = TF_TensorElementCount(strings);
  TF_DeleteTensor(strings);
  TF_Tensor* decoded = RunOne(session, sig->decompress_in, received, sig->decompress_out, status);
  FreeStrings(received);
  if (decoded == NULL) return Fail("decompress", status);
  int64_t mismatches = CountMismatches(input, decoded, shape->count);
  TF_DeleteTensor(decoded);
  if (mismatches != 0) {
    fprintf(stderr, "error: round trip differs from round(input) (%lld)\n", (long long)mismatches);
    return 1;
  }
  printf("round trip OK: %lld values, %lld strings\n", (long long)shape->count,
         (long long)num_strings);
  return 0;
}

int main(int argc, char** argv) {
  if (argc != 10) {
    fprintf(stderr,
            "usage: %s SAVED_MODEL OP_LIBRARY|- INPUT_F32 DIMS COMPRESS_IN COMPRESS_OUT "
            "DECOMPRESS_IN DECOMPRESS_OUT STRINGS_OUT\n",
            argv[0]);
    return 2;
  }
  Shape shape;
  if (!ParseShape(argv[4], &shape)) return Fail("bad DIMS", NULL);
  float* input = ReadFloats(argv[3], shape.count);
  if (input == NULL) return Fail("cannot read INPUT_F32 of that many floats", NULL);

  TF_Status* status = TF_NewStatus();
  /* The custom ops must be registered before the SavedModel's graph is
   * imported; TF Serving links them into its binary instead. */
  if (strcmp(argv[2], "-") != 0) {
    TF_Library* library = TF_LoadLibrary(argv[2], status);
    if (library == NULL) return Fail("TF_LoadLibrary", status);
  }
  TF_Graph* graph = TF_NewGraph();
  TF_SessionOptions* options = TF_NewSessionOptions();
  const char* tags[] = {"serve"};
  TF_Session* session =
      TF_LoadSessionFromSavedModel(options, NULL, argv[1], tags, 1, graph, NULL, status);
  TF_DeleteSessionOptions(options);
  if (session == NULL) return Fail("TF_LoadSessionFromSavedModel", status);

  Signatures sig;
  if (!FindOutput(graph, argv[5], &sig.compress_in) ||
      !FindOutput(graph, argv[6], &sig.compress_out) ||
      !FindOutput(graph, argv[7], &sig.decompress_in) ||
      !FindOutput(graph, argv[8], &sig.decompress_out)) {
    return Fail("a signature tensor name is not in the graph", NULL);
  }
  FILE* sink = fopen(argv[9], "wb");
  if (sink == NULL) return Fail("cannot open STRINGS_OUT", NULL);
  int result = RoundTrip(session, &sig, &shape, input, sink, status);
  fclose(sink);

  TF_CloseSession(session, status);
  TF_DeleteSession(session, status);
  TF_DeleteGraph(graph);
  TF_DeleteStatus(status);
  free(input);
  return result;
}
