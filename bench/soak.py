"""Soak test: hours of traffic in minutes, every result checked, memory flat.

    python bench/soak.py savedmodel [--seconds 600] [--threads 8]
    python bench/soak.py c          [--seconds 600] [--threads 8]
    python bench/soak.py codec      [--seconds 600] [--threads 8]

`savedmodel` exports three serving SavedModels (float32 / float64 / float16
bottlenecks, three coding ranks and parameter sets; laplace_rice.serving)
and calls their `compress` and `decompress` signatures from THREADS Python
threads in this one process. `c` does the same through the TensorFlow C API
(bench/soak_c/soak_client.c, built here with CMake), with no Python in the
serving process. `codec` calls `laplace_rice.codec` alone (encode, decode,
encode_batch, decode_batch, encoded_bits) on int and float data.

Inputs are a pool of random cases (random batch shapes, including empty
batches; Laplace data of several scales) drawn before the threads start. The
oracle is `laplace_rice.codec` called serially, one unit at a time, and
NumPy's rounding: every string must be byte-identical to it and every
decoded tensor equal to `np.rint(x)`. The pool is fixed so that the soak
itself allocates nothing that lives on; a growing RSS is the library's.

Prints calls/s, p50/p99 latency per call, RSS after the warm-up and at the
end, and one JSON line. Exits 1 if any result is wrong, any call fails, or
RSS grew by more than --max-growth (default 2 %) from the end of the warm-up
to the end of the run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from laplace_rice import codec  # noqa: E402  (TensorFlow is imported only when needed)

ROOT = Path(__file__).resolve().parents[1]
PAGE = os.sysconf("SC_PAGE_SIZE")

# Latency histogram: fixed log-spaced bins from 1 us to 100 s, so recording a
# call allocates nothing however long the soak runs (a growing list of
# latencies would itself grow the RSS being checked).
BINS_PER_DECADE = 200
EDGES = np.logspace(-6, 2, 8 * BINS_PER_DECADE + 1)

# The exported models: several dtypes, coding ranks and code parameters, with
# batch dimensions left free so that every call can have another shape.
MODELS = [
    dict(
        name="f32_rank3",
        dtype="float32",
        coding_rank=3,
        code_shape=(16, 16, 8),
        batch_rank=1,
        params=dict(),
    ),
    dict(
        name="f64_rank1",
        dtype="float64",
        coding_rank=1,
        code_shape=(100,),
        batch_rank=2,
        params=dict(run_length_code=1, magnitude_code=2, use_run_length_for_non_zeros=True),
    ),
    dict(
        name="f16_rank2",
        dtype="float16",
        coding_rank=2,
        code_shape=(12, 20),
        batch_rank=1,
        params=dict(run_length_code=-1, magnitude_code=-1),
    ),
]

# TF_DataType codes of the C API (tensorflow/c/tf_datatype.h) for the C soak.
TF_DTYPES = {"float32": 1, "float64": 2, "float16": 19}


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def percentile(hist: np.ndarray, q: float) -> float:
    """Upper edge of the bin holding the q-th quantile (seconds)."""
    total = int(hist.sum())
    if total == 0:
        return float("nan")
    index = int(np.searchsorted(np.cumsum(hist), q * total))
    return float(EDGES[min(index + 1, len(EDGES) - 1)])


def laplace(rng: np.random.Generator, shape, dtype) -> np.ndarray:
    scale = rng.choice([0.3, 2.0, 20.0])
    x = rng.laplace(scale=scale, size=shape)
    # Exact halves too: the oracle must agree on rounding half to even.
    x[rng.random(shape) < 0.05] = 2.5
    return x.astype(dtype)


def model_case(rng: np.random.Generator, spec: dict) -> dict:
    """A random input of one model and what the oracle says it must give."""
    if spec["batch_rank"] == 1:
        batch = (int(rng.integers(0, 7)),)
    else:
        batch = (int(rng.integers(1, 4)), int(rng.integers(0, 6)))
    x = laplace(rng, batch + spec["code_shape"], spec["dtype"])
    units = x.reshape((-1,) + spec["code_shape"])
    strings = [codec.encode(u, **spec["params"]) for u in units]
    decoded = np.zeros(units.shape, np.int32)
    for i, s in enumerate(strings):
        decoded[i] = codec.decode(s, spec["code_shape"], **spec["params"])
    expected = decoded.astype(spec["dtype"]).reshape(x.shape)
    if not np.array_equal(expected, np.rint(x)):
        raise AssertionError("oracle: codec round trip differs from np.rint")
    return dict(
        spec=spec, x=x, strings=np.array(strings, dtype=object).reshape(batch), expected=expected
    )


class Soak:
    """Runs `call(case, hist)` from threads for a time and samples RSS."""

    def __init__(self, args, cases, call):
        self.args, self.cases, self.call = args, cases, call
        self.errors: list[str] = []
        self.error_count = 0
        self.lock = threading.Lock()
        self.calls = [0] * args.threads
        self.hists = [np.zeros(len(EDGES) - 1, np.int64) for _ in range(args.threads)]

    def fail(self, message: str) -> None:
        with self.lock:
            self.error_count += 1
            if len(self.errors) < 10:
                self.errors.append(message)

    def worker(self, index: int, stop: threading.Event, measuring: threading.Event) -> None:
        rng = np.random.default_rng(1000 + index)
        hist = self.hists[index]
        while not stop.is_set():
            case = self.cases[int(rng.integers(len(self.cases)))]
            try:
                n = self.call(case, hist if measuring.is_set() else None)
            except Exception as e:  # noqa: BLE001  (any failure is a finding)
                self.fail(f"{type(e).__name__}: {e}")
                n = 0
            if measuring.is_set():
                self.calls[index] += n

    def run(self) -> dict:
        args = self.args
        stop, measuring = threading.Event(), threading.Event()
        threads = [
            threading.Thread(target=self.worker, args=(i, stop, measuring), daemon=True)
            for i in range(args.threads)
        ]
        start = time.monotonic()
        for t in threads:
            t.start()
        time.sleep(args.warmup)
        rss_warm = rss_bytes()
        measuring.set()
        measured_from = time.monotonic()
        rss_max = rss_warm
        deadline = start + args.seconds
        while time.monotonic() < deadline:
            time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
            rss_max = max(rss_max, rss_bytes())
        rss_end = rss_bytes()
        measuring.clear()
        elapsed = time.monotonic() - measured_from
        stop.set()
        for t in threads:
            t.join()
        hist = np.sum(self.hists, axis=0)
        return dict(
            calls=sum(self.calls),
            seconds=elapsed,
            hist=hist,
            rss_warm=rss_warm,
            rss_end=rss_end,
            rss_max=rss_max,
            errors=self.error_count,
            first_errors=self.errors,
        )


def corrupt_oracle(cases: list[dict], args) -> None:
    """--corrupt-oracle: one expected string gets a flipped bit, so that a run
    shows the checks catch a wrong result (scripts/checks/60-soak.sh)."""
    if not args.corrupt_oracle:
        return
    for case in cases:
        strings = case["strings"]
        flat = strings.reshape(-1) if isinstance(strings, np.ndarray) else strings
        if len(flat) and len(flat[0]):
            flat[0] = flat[0][:-1] + bytes([flat[0][-1] ^ 1])
            return
    raise AssertionError("no case has a string to corrupt")


def timed(hist, fn, *a, **kw):
    t0 = time.perf_counter()
    out = fn(*a, **kw)
    if hist is not None:
        hist[min(int(np.searchsorted(EDGES, time.perf_counter() - t0)), len(hist) - 1)] += 1
    return out


def export_models(directory: Path) -> list[dict]:
    import laplace_rice
    from laplace_rice import serving

    exported = []
    for spec in MODELS:
        model = laplace_rice.LaplaceEntropyModel(
            coding_rank=spec["coding_rank"], bottleneck_dtype=spec["dtype"], **spec["params"]
        )
        path = directory / spec["name"]
        shape = [None] * spec["batch_rank"] + list(spec["code_shape"])
        serving.export_saved_model(model, path, bottleneck_shape=shape)
        exported.append(dict(spec, path=path, names=serving.signature_names(path)))
    return exported


def soak_savedmodel(args) -> dict:
    import tensorflow as tf

    from laplace_rice import serving

    tf.load_op_library(serving.op_library_path())
    workdir = Path(tempfile.mkdtemp(prefix="soak-savedmodel-"))
    try:
        exported = export_models(workdir)
        loaded = {e["name"]: tf.saved_model.load(str(e["path"])) for e in exported}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    rng = np.random.default_rng(args.seed)
    cases = [model_case(rng, MODELS[i % len(MODELS)]) for i in range(args.cases)]
    corrupt_oracle(cases, args)
    for case in cases:  # Tensors made once: the soak must not allocate what lives on.
        case["x_t"] = tf.constant(case["x"])
        case["strings_t"] = tf.constant(case["strings"])

    def call(case, hist):
        module = loaded[case["spec"]["name"]]
        compress = module.signatures[serving.COMPRESS]
        decompress = module.signatures[serving.DECOMPRESS]
        strings = timed(hist, compress, bottleneck=case["x_t"])[serving.STRINGS_KEY].numpy()
        if strings.shape != case["strings"].shape or strings.tolist() != case["strings"].tolist():
            raise AssertionError(f"{case['spec']['name']}: compress strings differ")
        out = timed(hist, decompress, strings_bytes=case["strings_t"])[serving.BOTTLENECK_KEY]
        out = out.numpy()
        if out.dtype != case["expected"].dtype or not np.array_equal(out, case["expected"]):
            raise AssertionError(f"{case['spec']['name']}: decompress differs")
        return 2

    return Soak(args, cases, call).run()


def codec_case(rng: np.random.Generator) -> dict:
    params = [
        dict(),
        dict(run_length_code=2, magnitude_code=1),
        dict(run_length_code=-1, magnitude_code=-1, use_run_length_for_non_zeros=True),
        dict(run_length_code=0, magnitude_code=3, use_run_length_for_non_zeros=True),
    ]
    dtype = rng.choice(["int32", "int16", "float32", "float64", "float16"])
    unit = tuple(int(d) for d in rng.integers(1, 24, size=int(rng.integers(1, 4))))
    batch = int(rng.integers(0, 9))
    x = laplace(rng, (batch,) + unit, "float64")
    if dtype.startswith("int"):
        x = np.rint(x)
    x = x.astype(dtype)
    p = params[int(rng.integers(len(params)))]
    strings = [codec.encode(u, **p) for u in x]
    bits = [codec.encoded_bits(u, **p) for u in x]
    expected = np.rint(x.astype(np.float64)).astype(np.int32)
    for s, b, e in zip(strings, bits, expected, strict=True):
        if (b + 7) // 8 != len(s) or not np.array_equal(codec.decode(s, unit, **p), e):
            raise AssertionError("oracle: codec round trip differs from np.rint")
    return dict(
        x=x, unit=unit, params=p, strings=strings, bits=np.array(bits, np.int64), expected=expected
    )


def soak_codec(args) -> dict:
    rng = np.random.default_rng(args.seed)
    cases = [codec_case(rng) for _ in range(args.cases)]
    corrupt_oracle(cases, args)

    def call(case, hist):
        p, x = case["params"], case["x"]
        strings = timed(hist, codec.encode_batch, x, threads=2, **p)
        if strings != case["strings"]:
            raise AssertionError("encode_batch strings differ from serial encode")
        back = timed(hist, codec.decode_batch, strings, case["unit"], threads=2, **p)
        if not np.array_equal(back, case["expected"]):
            raise AssertionError("decode_batch differs from np.rint(x)")
        bits = timed(hist, codec.encoded_bits_batch, x, threads=2, **p)
        if not np.array_equal(bits, case["bits"]):
            raise AssertionError("encoded_bits_batch differs from serial encoded_bits")
        calls = 3
        if len(x):
            i = len(x) // 2
            s = timed(hist, codec.encode, x[i], **p)
            if s != case["strings"][i]:
                raise AssertionError("encode differs")
            if not np.array_equal(
                timed(hist, codec.decode, s, case["unit"], **p), case["expected"][i]
            ):
                raise AssertionError("decode differs")
            calls += 2
        return calls

    return Soak(args, cases, call).run()


def write_cases(path: Path, exported: list[dict], cases: list[dict]) -> None:
    """The C soak's input: models, then cases with their oracle outputs.

    Little-endian: "LRSOAK1\\0", u32 models, u32 cases; per model five
    length-prefixed (u32) strings: SavedModel folder and the tensor names of
    compress input/output and decompress input/output; per case: u32 model
    index, u32 TF_DataType, u32 rank, i64 dims, u64 bytes of input + input,
    u64 strings + each (u32 length + bytes), u64 bytes of expected output +
    expected output (the decompress result).
    """
    from laplace_rice import serving

    def text(s: str) -> bytes:
        b = s.encode()
        return struct.pack("<I", len(b)) + b

    index = {e["name"]: i for i, e in enumerate(exported)}
    with open(path, "wb") as f:
        f.write(b"LRSOAK1\0" + struct.pack("<II", len(exported), len(cases)))
        for e in exported:
            c, d = e["names"][serving.COMPRESS], e["names"][serving.DECOMPRESS]
            f.write(
                text(str(e["path"]))
                + text(c["inputs"][serving.BOTTLENECK_KEY])
                + text(c["outputs"][serving.STRINGS_KEY])
                + text(d["inputs"][serving.STRINGS_KEY])
                + text(d["outputs"][serving.BOTTLENECK_KEY])
            )
        for case in cases:
            x = np.ascontiguousarray(case["x"])
            f.write(
                struct.pack(
                    "<III", index[case["spec"]["name"]], TF_DTYPES[case["spec"]["dtype"]], x.ndim
                )
            )
            f.write(struct.pack(f"<{x.ndim}q", *x.shape))
            f.write(struct.pack("<Q", x.nbytes) + x.tobytes())
            strings = case["strings"].reshape(-1).tolist()
            f.write(struct.pack("<Q", len(strings)))
            for s in strings:
                f.write(struct.pack("<I", len(s)) + s)
            expected = np.ascontiguousarray(case["expected"])
            f.write(struct.pack("<Q", expected.nbytes) + expected.tobytes())


def soak_c(args) -> dict:
    from laplace_rice import serving

    if shutil.which("cmake") is None or shutil.which("cc") is None:
        raise FileNotFoundError("the C soak needs cmake and a C compiler")
    build = Path(args.build_dir)
    subprocess.run(
        [
            "cmake",
            "-S",
            str(ROOT / "bench" / "soak_c"),
            "-B",
            str(build),
            f"-DPython3_EXECUTABLE={sys.executable}",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run(["cmake", "--build", str(build)], check=True, stdout=subprocess.DEVNULL)
    workdir = Path(tempfile.mkdtemp(prefix="soak-c-"))
    try:
        exported = export_models(workdir)
        rng = np.random.default_rng(args.seed)
        cases = [model_case(rng, MODELS[i % len(MODELS)]) for i in range(args.cases)]
        corrupt_oracle(cases, args)
        write_cases(workdir / "cases.bin", exported, cases)
        proc = subprocess.run(
            [
                str(build / "laplace_rice_soak_client"),
                serving.op_library_path(),
                str(workdir / "cases.bin"),
                str(args.seconds),
                str(args.warmup),
                str(args.threads),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"the C soak exited with {proc.returncode} and no result")
    r = json.loads(lines[-1])
    hist = np.array(r["hist"], np.int64)
    if r["bins_per_decade"] != BINS_PER_DECADE or len(hist) != len(EDGES) - 1:
        raise RuntimeError("the C soak's histogram does not match this script's bins")
    if proc.returncode != 0 and r["errors"] == 0:
        r["errors"], r["first_errors"] = 1, [f"exit status {proc.returncode}"]
    return dict(
        calls=r["calls"],
        seconds=r["seconds"],
        hist=hist,
        rss_warm=r["rss_warm"],
        rss_end=r["rss_end"],
        rss_max=r["rss_max"],
        errors=r["errors"],
        first_errors=r["first_errors"],
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("target", choices=["savedmodel", "c", "codec"])
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument(
        "--warmup",
        type=float,
        default=None,
        help="seconds before RSS and latencies count (default: 15 %% of "
        "--seconds, at least 5, at most 60)",
    )
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--cases", type=int, default=48, help="size of the input pool")
    parser.add_argument(
        "--max-growth",
        type=float,
        default=0.02,
        help="largest allowed RSS growth after the warm-up (fraction)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--corrupt-oracle",
        action="store_true",
        help="flip a bit of one expected string: the run must fail",
    )
    parser.add_argument(
        "--build-dir",
        default=str(ROOT / "build" / "soak_c"),
        help="where the C soak client is built (target c)",
    )
    args = parser.parse_args(argv)
    if args.warmup is None:
        args.warmup = min(60.0, max(5.0, 0.15 * args.seconds))
    if args.warmup >= args.seconds:
        parser.error("--warmup must be shorter than --seconds")

    r = dict(savedmodel=soak_savedmodel, c=soak_c, codec=soak_codec)[args.target](args)
    growth = r["rss_end"] / r["rss_warm"] - 1
    result = dict(
        target=args.target,
        threads=args.threads,
        seconds=round(r["seconds"], 1),
        warmup=args.warmup,
        calls=r["calls"],
        calls_per_s=round(r["calls"] / r["seconds"], 1),
        p50_ms=round(1e3 * percentile(r["hist"], 0.50), 3),
        p99_ms=round(1e3 * percentile(r["hist"], 0.99), 3),
        rss_warm_mib=round(r["rss_warm"] / 2**20, 1),
        rss_end_mib=round(r["rss_end"] / 2**20, 1),
        rss_max_mib=round(r["rss_max"] / 2**20, 1),
        rss_growth_pct=round(100 * growth, 2),
        errors=r["errors"],
    )
    print(
        f"soak {args.target}: {result['calls']} calls in {result['seconds']} s "
        f"({result['calls_per_s']}/s, {args.threads} threads), p50 {result['p50_ms']} ms, "
        f"p99 {result['p99_ms']} ms; RSS {result['rss_warm_mib']} MiB after "
        f"{args.warmup:g} s warm-up, {result['rss_end_mib']} MiB at the end "
        f"({result['rss_growth_pct']:+.2f} %, max {result['rss_max_mib']} MiB); "
        f"{r['errors']} errors"
    )
    print(json.dumps(result))
    status = 0
    for message in r["first_errors"]:
        print(f"soak {args.target}: ERROR {message}", file=sys.stderr)
    if r["errors"]:
        status = 1
    if r["calls"] == 0:
        print(f"soak {args.target}: no call completed", file=sys.stderr)
        status = 1
    if growth > args.max_growth:
        print(
            f"soak {args.target}: RSS grew {100 * growth:.2f} % after the warm-up "
            f"(limit {100 * args.max_growth:g} %)",
            file=sys.stderr,
        )
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
