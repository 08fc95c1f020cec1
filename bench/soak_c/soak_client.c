/* Soak client for bench/soak.py (target c): serves laplace_rice SavedModels
 * through the TensorFlow C API from many threads for a given time, checking
 * every result byte for byte against the oracle outputs in the cases file.
 *
 * usage: laplace_rice_soak_client OP_LIBRARY CASES SECONDS WARMUP THREADS
 *
 * CASES is written by soak.py (write_cases() documents the layout): the
 * SavedModels with their signature tensor names, then input tensors with the
 * strings `compress` must return and the tensor `decompress` must return.
 * Each thread picks cases at random, runs compress on the input, compares
 * the strings, runs decompress on those strings, compares the output bytes.
 * All threads share one session per model, as a model server does.
 *
 * Prints one JSON line: calls, seconds, a latency histogram (log-spaced bins,
 * the same as soak.py's), RSS after WARMUP seconds, at the end and the
 * largest seen, errors and the first error messages. Exit status 1 on any
 * error. */

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tensorflow/c/c_api.h"
#include "tensorflow/c/tf_tstring.h"

/* soak.py's bins: 200 per decade from 1 us to 100 s. */
enum { kBinsPerDecade = 200, kBins = 8 * kBinsPerDecade, kMaxDims = 8, kMaxErrors = 10 };

typedef struct {
  TF_Session* session;
  TF_Output compress_in, compress_out, decompress_in, decompress_out;
} Model;

typedef struct {
  uint32_t model, dtype, rank;
  int64_t dims[kMaxDims];
  uint64_t input_bytes, num_strings, expected_bytes;
  char* input;
  uint32_t* string_lengths;
  char** strings;
  char* expected;
} Case;

static Model* models;
static uint32_t num_models;
static Case* cases;
static uint32_t num_cases;

static volatile int stop_flag;
static volatile int measuring;
static pthread_mutex_t error_lock = PTHREAD_MUTEX_INITIALIZER;
static long error_count;
static char errors[kMaxErrors][256];

typedef struct {
  unsigned index;
  uint64_t rng;
  long long calls;
  long long hist[kBins];
} Worker;

static double Now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static long long RssBytes(void) {
  FILE* f = fopen("/proc/self/statm", "r");
  long long size = 0, resident = 0;
  if (f == NULL) return -1;
  if (fscanf(f, "%lld %lld", &size, &resident) != 2) resident = -1;
  fclose(f);
  return resident * sysconf(_SC_PAGESIZE);
}

static void Error(const char* what, const char* detail) {
  pthread_mutex_lock(&error_lock);
  if (error_count < kMaxErrors) {
    snprintf(errors[error_count], sizeof errors[0], "%s: %s", what, detail);
  }
  ++error_count;
  pthread_mutex_unlock(&error_lock);
}

static void Record(Worker* w, double seconds) {
  if (!measuring) return;
  int bin = seconds <= 1e-6 ? 0 : (int)((log10(seconds) + 6.0) * kBinsPerDecade);
  if (bin >= kBins) bin = kBins - 1;
  ++w->hist[bin];
}

/* xorshift64*: each thread its own generator, no shared state. */
static uint32_t Next(Worker* w) {
  w->rng ^= w->rng >> 12;
  w->rng ^= w->rng << 25;
  w->rng ^= w->rng >> 27;
  return (uint32_t)((w->rng * 2685821657736338717ULL) >> 32);
}

/* One compress + decompress of a case, both checked; returns calls made. */
static int RunCase(Worker* w, const Case* c) {
  const Model* m = &models[c->model];
  TF_Status* status = TF_NewStatus();
  int calls = 0;
  TF_Tensor* input = TF_AllocateTensor((TF_DataType)c->dtype, c->dims, (int)c->rank,
                                       (size_t)c->input_bytes);
  TF_Tensor* strings = NULL;
  TF_Tensor* output = NULL;
  if (c->input_bytes) memcpy(TF_TensorData(input), c->input, c->input_bytes);

  double t0 = Now();
  TF_SessionRun(m->session, NULL, &m->compress_in, &input, 1, &m->compress_out, &strings, 1,
                NULL, 0, NULL, status);
  Record(w, Now() - t0);
  ++calls;
  if (TF_GetCode(status) != TF_OK) {
    Error("compress", TF_Message(status));
    goto done;
  }
  if ((uint64_t)TF_TensorElementCount(strings) != c->num_strings) {
    Error("compress", "wrong number of strings");
    goto done;
  }
  const TF_TString* got = (const TF_TString*)TF_TensorData(strings);
  for (uint64_t i = 0; i < c->num_strings; ++i) {
    size_t size = TF_StringGetSize(&got[i]);
    if (size != c->string_lengths[i] ||
        (size && memcmp(TF_StringGetDataPointer(&got[i]), c->strings[i], size) != 0)) {
      Error("compress", "a string differs from the oracle's");
      goto done;
    }
  }

  /* The strings tensor as returned goes back in, as a client would send it. */
  t0 = Now();
  TF_SessionRun(m->session, NULL, &m->decompress_in, &strings, 1, &m->decompress_out, &output,
                1, NULL, 0, NULL, status);
  Record(w, Now() - t0);
  ++calls;
  if (TF_GetCode(status) != TF_OK) {
    Error("decompress", TF_Message(status));
    goto done;
  }
  if (TF_TensorType(output) != (TF_DataType)c->dtype ||
      TF_TensorByteSize(output) != c->expected_bytes ||
      (c->expected_bytes && memcmp(TF_TensorData(output), c->expected, c->expected_bytes))) {
    Error("decompress", "the tensor differs from the oracle's");
  }
done:
  TF_DeleteTensor(input);
  if (strings) TF_DeleteTensor(strings);
  if (output) TF_DeleteTensor(output);
  TF_DeleteStatus(status);
  return calls;
}

static void* Work(void* arg) {
  Worker* w = (Worker*)arg;
  while (!stop_flag) {
    const Case* c = &cases[Next(w) % num_cases];
    int calls = RunCase(w, c);
    if (measuring) w->calls += calls;
  }
  return NULL;
}

/* Reading the cases file; any short read is fatal. */
static FILE* in;
static void Read(void* dst, size_t size) {
  if (size && fread(dst, 1, size, in) != size) {
    fprintf(stderr, "error: the cases file is truncated\n");
    exit(2);
  }
}
static uint32_t ReadU32(void) {
  uint32_t v;
  Read(&v, 4);
  return v;
}
static uint64_t ReadU64(void) {
  uint64_t v;
  Read(&v, 8);
  return v;
}
static char* ReadBytes(uint64_t size, int terminate) {
  char* p = malloc(size + 1);
  if (p == NULL) exit(2);
  Read(p, size);
  if (terminate) p[size] = '\0';
  return p;
}
static char* ReadText(void) { return ReadBytes(ReadU32(), 1); }

static TF_Output Output(TF_Graph* graph, const char* name) {
  /* "op:index" */
  char op[512];
  const char* colon = strrchr(name, ':');
  size_t len = colon ? (size_t)(colon - name) : strlen(name);
  TF_Output out = {NULL, 0};
  if (len >= sizeof op) return out;
  memcpy(op, name, len);
  op[len] = '\0';
  out.oper = TF_GraphOperationByName(graph, op);
  out.index = colon ? atoi(colon + 1) : 0;
  return out;
}

int main(int argc, char** argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: %s OP_LIBRARY CASES SECONDS WARMUP THREADS\n", argv[0]);
    return 2;
  }
  double seconds = atof(argv[3]), warmup = atof(argv[4]);
  int num_threads = atoi(argv[5]);
  if (seconds <= warmup || num_threads < 1) {
    fprintf(stderr, "error: need SECONDS > WARMUP and THREADS >= 1\n");
    return 2;
  }
  TF_Status* status = TF_NewStatus();
  TF_Library* library = TF_LoadLibrary(argv[1], status);
  if (TF_GetCode(status) != TF_OK) {
    fprintf(stderr, "error: TF_LoadLibrary: %s\n", TF_Message(status));
    return 2;
  }

  in = fopen(argv[2], "rb");
  char magic[8];
  if (in == NULL) {
    fprintf(stderr, "error: %s: %s\n", argv[2], strerror(errno));
    return 2;
  }
  Read(magic, 8);
  if (memcmp(magic, "LRSOAK1\0", 8) != 0) {
    fprintf(stderr, "error: %s is not a soak cases file\n", argv[2]);
    return 2;
  }
  num_models = ReadU32();
  num_cases = ReadU32();
  if (num_models == 0 || num_cases == 0) return 2;
  models = calloc(num_models, sizeof *models);
  cases = calloc(num_cases, sizeof *cases);
  const char* tags[] = {"serve"};
  for (uint32_t i = 0; i < num_models; ++i) {
    char* dir = ReadText();
    char* names[4];
    for (int k = 0; k < 4; ++k) names[k] = ReadText();
    TF_Graph* graph = TF_NewGraph();
    TF_SessionOptions* options = TF_NewSessionOptions();
    models[i].session =
        TF_LoadSessionFromSavedModel(options, NULL, dir, tags, 1, graph, NULL, status);
    TF_DeleteSessionOptions(options);
    if (TF_GetCode(status) != TF_OK) {
      fprintf(stderr, "error: loading %s: %s\n", dir, TF_Message(status));
      return 2;
    }
    models[i].compress_in = Output(graph, names[0]);
    models[i].compress_out = Output(graph, names[1]);
    models[i].decompress_in = Output(graph, names[2]);
    models[i].decompress_out = Output(graph, names[3]);
    for (int k = 0; k < 4; ++k) {
      TF_Output o = k == 0   ? models[i].compress_in
                    : k == 1 ? models[i].compress_out
                    : k == 2 ? models[i].decompress_in
                             : models[i].decompress_out;
      if (o.oper == NULL) {
        fprintf(stderr, "error: no tensor %s in %s\n", names[k], dir);
        return 2;
      }
      free(names[k]);
    }
    free(dir);
    /* The graph stays alive with its session (freed at exit). */
  }
  for (uint32_t i = 0; i < num_cases; ++i) {
    Case* c = &cases[i];
    c->model = ReadU32();
    c->dtype = ReadU32();
    c->rank = ReadU32();
    if (c->model >= num_models || c->rank > kMaxDims) return 2;
    Read(c->dims, 8 * (size_t)c->rank);
    c->input_bytes = ReadU64();
    c->input = ReadBytes(c->input_bytes, 0);
    c->num_strings = ReadU64();
    c->string_lengths = calloc(c->num_strings + 1, sizeof *c->string_lengths);
    c->strings = calloc(c->num_strings + 1, sizeof *c->strings);
    for (uint64_t k = 0; k < c->num_strings; ++k) {
      c->string_lengths[k] = ReadU32();
      c->strings[k] = ReadBytes(c->string_lengths[k], 0);
    }
    c->expected_bytes = ReadU64();
    c->expected = ReadBytes(c->expected_bytes, 0);
  }
  fclose(in);

  Worker* workers = calloc((size_t)num_threads, sizeof *workers);
  pthread_t* threads = calloc((size_t)num_threads, sizeof *threads);
  double start = Now();
  for (int i = 0; i < num_threads; ++i) {
    workers[i].index = (unsigned)i;
    workers[i].rng = 0x9E3779B97F4A7C15ULL * (uint64_t)(i + 1);
    pthread_create(&threads[i], NULL, Work, &workers[i]);
  }
  while (Now() - start < warmup) usleep(100000);
  long long rss_warm = RssBytes(), rss_max = rss_warm;
  measuring = 1;
  double measured_from = Now();
  while (Now() - start < seconds) {
    usleep(500000);
    long long rss = RssBytes();
    if (rss > rss_max) rss_max = rss;
  }
  long long rss_end = RssBytes();
  measuring = 0;
  double elapsed = Now() - measured_from;
  stop_flag = 1;
  long long calls = 0;
  static long long hist[kBins];
  for (int i = 0; i < num_threads; ++i) {
    pthread_join(threads[i], NULL);
    calls += workers[i].calls;
    for (int b = 0; b < kBins; ++b) hist[b] += workers[i].hist[b];
  }

  printf("{\"calls\": %lld, \"seconds\": %.3f, \"rss_warm\": %lld, \"rss_end\": %lld, "
         "\"rss_max\": %lld, \"errors\": %ld, \"bins_per_decade\": %d, \"first_errors\": [",
         calls, elapsed, rss_warm, rss_end, rss_max, error_count, kBinsPerDecade);
  for (long i = 0; i < error_count && i < kMaxErrors; ++i) {
    printf("%s\"", i ? ", " : "");
    for (const char* p = errors[i]; *p; ++p) {
      /* JSON string: escape quotes and backslashes, drop control bytes. */
      if (*p == '"' || *p == '\\') putchar('\\');
      if ((unsigned char)*p >= 0x20) putchar(*p);
    }
    putchar('"');
  }
  printf("], \"hist\": [");
  for (int b = 0; b < kBins; ++b) printf("%s%lld", b ? ", " : "", hist[b]);
  printf("]}\n");
  fflush(stdout);
  (void)library;
  /* Sessions are closed at exit; the leak checks (bench/leak_loop.py) are
   * about the serving loop, not teardown. */
  return error_count ? 1 : 0;
}
