"""laplace_rice vs the reference (tensorflow-compression 2.14.1) and other coders.

One command, from the repository root, with laplace_rice installed:

    python bench/run.py [--quick] [--json PATH] [--skip-reference]

It sets up the reference's side venv (bench/setup_reference.sh, idempotent),
times both sides on the same data (the reference in a subprocess with its own
interpreter), prints tables with ours, the reference and their ratio, and
writes every figure to JSON (default bench/results.json). See docs/benchmark.md.

Workloads (float32 Laplace data, scale 2; default code parameters and the
parameters `suggest_code_params` picks):
  A  10,000 coding units of 64 elements (coding_rank=1)
  B  1 coding unit of 4,194,304 elements
  C  a [16, 64, 64, 192] latent tensor, coding_rank=3
Then the speed rows of bench/speed.py (a scale sweep of the codec, the model
against the codec on B with .numpy(), small calls).
Times are medians of >= 5 runs after a warm-up (3 with --quick), wall clock; ours and
the reference alternate call by call, so that both see the same load.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import speed  # noqa: E402  (bench/speed.py, beside this file)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
REFERENCE_PYTHON = os.path.join(os.environ.get("REFERENCE_VENV", "/tmp/tfc-ref"), "bin", "python")
MI = 1 << 20
SCALE = 2.0
DEFAULTS = dict(run_length_code=-1, magnitude_code=0, use_run_length_for_non_zeros=False)
WORKLOADS = [
    # name, shape, coding_rank, what
    ("A", (10_000, 64), 1, "10,000 units x 64"),
    ("B", (4_194_304,), 1, "1 unit x 4,194,304"),
    ("C", (16, 64, 64, 192), 3, "[16,64,64,192] rank 3"),
]
TARGETS = dict(A=500.0, B=10.0, C=10.0)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def median_seconds(fn, repeats: int) -> tuple[float, list[float]]:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def laplace(shape, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).laplace(0.0, SCALE, shape).astype(np.float32)


def entropy_bits(values: np.ndarray) -> float:
    _, counts = np.unique(values, return_counts=True)
    p = counts / values.size
    return float(-np.sum(p * np.log2(p)))


def strings_digest(strings: np.ndarray) -> tuple[int, str]:
    """Total bytes and a SHA-256 over the length-prefixed strings (as the worker)."""
    digest = hashlib.sha256()
    total = 0
    for s in strings.reshape(-1):
        digest.update(len(s).to_bytes(8, "little"))
        digest.update(s)
        total += len(s)
    return total, digest.hexdigest()


def params_label(params: dict) -> str:
    def code(k):
        return "gamma" if k < 0 else f"rice{k}"

    nz = "+nz" if params["use_run_length_for_non_zeros"] else ""
    return f"rl={code(params['run_length_code'])} mag={code(params['magnitude_code'])}{nz}"


# ------------------------------------------------------------------ ours, model level


def time_side_by_side(ours_fn, reference, op: str, repeats: int) -> tuple[list, list]:
    """Times `repeats` calls of ours and of the reference, alternating call by
    call, so that both see the same load. Warm-ups happened at load time."""
    ours, ref = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        ours_fn()
        ours.append(time.perf_counter() - start)
        if reference:
            ref.append(reference.command(dict(cmd="time", op=op))["seconds"])
    return ours, ref


def time_workload(tf, x: np.ndarray, rank: int, params: dict, repeats: int, reference) -> dict:
    """Ours (and the reference, if given and loaded) on one workload."""
    import laplace_rice

    model = laplace_rice.LaplaceEntropyModel(rank, bottleneck_dtype=tf.float32, **params)
    bottleneck = tf.constant(x)
    code_shape = x.shape[x.ndim - rank :]
    strings = model.compress(bottleneck)  # warm-up
    model.decompress(strings, code_shape)  # warm-up
    times = {}
    for op, fn in (
        ("compress", lambda: model.compress(bottleneck)),
        ("decompress", lambda: model.decompress(strings, code_shape)),
    ):
        times[op] = time_side_by_side(fn, reference, op, repeats)
    # bits() and compress alternate call by call, in this process only, for
    # their ratio: right after the reference's calls its threads may still be
    # winding down, which slowed the first of a series of calls by up to 2x.
    bits_times, compress_times = [], []
    model.bits(bottleneck)  # warm-up
    for _ in range(repeats):
        for fn, into in (
            (lambda: model.bits(bottleneck), bits_times),
            (lambda: model.compress(bottleneck), compress_times),
        ):
            start = time.perf_counter()
            fn()
            into.append(time.perf_counter() - start)
    bits_s = statistics.median(bits_times)
    decoded = model.decompress(strings, code_shape).numpy()
    total, digest = strings_digest(np.asarray(strings.numpy(), dtype=object))
    bits_total = int(np.sum(model.bits(bottleneck).numpy()))
    ours = dict(
        compress_s=statistics.median(times["compress"][0]),
        decompress_s=statistics.median(times["decompress"][0]),
        bits_s=bits_s,
        compress_beside_bits_s=statistics.median(compress_times),
        compress_all_s=times["compress"][0],
        decompress_all_s=times["decompress"][0],
        bytes=total,
        sha256=digest,
        bits_op_matches=bits_total == 8 * total,
        round_trip_ok=bool(np.array_equal(decoded, np.rint(x))),
    )
    ref = None
    if reference:
        ref = dict(
            reference.command(dict(cmd="finish")),
            compress_s=statistics.median(times["compress"][1]),
            decompress_s=statistics.median(times["decompress"][1]),
            compress_all_s=times["compress"][1],
            decompress_all_s=times["decompress"][1],
        )
    return dict(ours=ours, reference=ref)


# ------------------------------------------------------------------ the reference


def setup_reference() -> None:
    script = os.path.join(HERE, "setup_reference.sh")
    subprocess.run(["bash", script, sys.executable], check=True, stdout=sys.stderr)


class Reference:
    """The reference worker (bench/reference_worker.py) under its own interpreter."""

    def __init__(self):
        worker = os.path.join(HERE, "reference_worker.py")
        self._process = subprocess.Popen(
            [REFERENCE_PYTHON, worker], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.versions = json.loads(self._read())

    def _read(self) -> str:
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError("the reference worker exited; see its output above")
        return line

    def command(self, request: dict) -> dict:
        self._process.stdin.write(json.dumps(request) + "\n")
        self._process.stdin.flush()
        return json.loads(self._read())

    def close(self) -> None:
        self._process.stdin.close()
        self._process.wait(timeout=60)


# ------------------------------------------------------------------ raw codecs on B


def our_raw_codec(symbols: np.ndarray, params: dict, repeats: int, workdir: str) -> dict:
    """laplace_rice.codec (pybind11) if built, else the C++ driver bench/codec_bench."""
    try:
        from laplace_rice import codec  # noqa: PLC0415

        encoded = codec.encode(symbols, **params)
        enc_s, _ = median_seconds(lambda: codec.encode(symbols, **params), repeats)
        dec_s, _ = median_seconds(lambda: codec.decode(encoded, symbols.shape, **params), repeats)
        ok = np.array_equal(np.asarray(codec.decode(encoded, symbols.shape, **params)), symbols)
        return dict(
            via="laplace_rice.codec (Python)",
            encode_s=enc_s,
            decode_s=dec_s,
            bytes=len(encoded),
            round_trip_ok=bool(ok),
        )
    except ImportError as error:
        log(f"raw codec: laplace_rice.codec not importable ({error}); using bench/codec_bench")
    exe = build_codec_bench()
    path = os.path.join(workdir, "b_int32.npy")
    np.save(path, symbols)
    args = [
        exe,
        path,
        str(params["run_length_code"]),
        str(params["magnitude_code"]),
        str(int(params["use_run_length_for_non_zeros"])),
        str(repeats),
    ]
    out = json.loads(subprocess.run(args, check=True, stdout=subprocess.PIPE, text=True).stdout)
    return dict(
        via="bench/codec_bench (C++ driver)",
        encode_s=out["encode_s"],
        decode_s=out["decode_s"],
        count_s=out["count_s"],
        bytes=out["bytes"],
        round_trip_ok=True,  # the driver exits non-zero on a mismatch
    )


def build_codec_bench() -> str:
    build = os.path.join(ROOT, "build", "bench")
    env = dict(os.environ, CMAKE_BUILD_PARALLEL_LEVEL="2")
    if not os.path.exists(os.path.join(build, "CMakeCache.txt")):
        generator = ["-G", "Ninja"] if shutil.which("ninja") else []
        subprocess.run(
            ["cmake", "-S", HERE, "-B", build, "-DCMAKE_BUILD_TYPE=Release", *generator],
            check=True,
            stdout=sys.stderr,
            env=env,
        )
    subprocess.run(["cmake", "--build", build], check=True, stdout=sys.stderr, env=env)
    return os.path.join(build, "codec_bench")


def peers(symbols: np.ndarray, repeats: int) -> list[dict]:
    """Other coders a user might pick, single-threaded, on the same int32 symbols."""
    rows = []

    def add(name, encode, decode, check):
        try:
            encoded = encode()
            enc_s, _ = median_seconds(encode, repeats)
            dec_s, _ = median_seconds(lambda: decode(encoded), repeats)
            size = encoded.nbytes if hasattr(encoded, "nbytes") else len(encoded)
            rows.append(
                dict(
                    name=name,
                    encode_s=enc_s,
                    decode_s=dec_s,
                    bytes=int(size),
                    round_trip_ok=bool(check(decode(encoded))),
                )
            )
        except Exception as error:  # noqa: BLE001 - a missing peer is reported, not fatal
            rows.append(dict(name=name, error=f"{type(error).__name__}: {error}"))

    same = lambda out: np.array_equal(np.asarray(out).reshape(symbols.shape), symbols)  # noqa: E731
    try:
        import imagecodecs

        add(
            "FITS Rice (imagecodecs.rcomp)",
            lambda: imagecodecs.rcomp_encode(symbols, nblock=32),
            lambda e: imagecodecs.rcomp_decode(e, shape=symbols.shape, dtype=np.int32, nblock=32),
            same,
        )
        flags = imagecodecs.AEC.FLAG.DATA_SIGNED | imagecodecs.AEC.FLAG.DATA_PREPROCESS
        add(
            "libaec (imagecodecs.aec, int32)",
            lambda: imagecodecs.aec_encode(symbols, bitspersample=32, flags=flags),
            lambda e: imagecodecs.aec_decode(
                e, bitspersample=32, flags=flags, out=np.empty_like(symbols)
            ),
            same,
        )
        small = symbols.astype(np.int8)
        add(
            "libaec (imagecodecs.aec, int8)",
            lambda: imagecodecs.aec_encode(small, bitspersample=8, flags=flags),
            lambda e: imagecodecs.aec_decode(
                e, bitspersample=8, flags=flags, out=np.empty_like(small)
            ),
            lambda out: np.array_equal(out, small),
        )
    except ImportError as error:
        rows.append(dict(name="imagecodecs", error=str(error)))
    try:
        import zstandard

        for label, data, dtype in (("int32", symbols, np.int32), ("int8", None, np.int8)):
            arr = symbols.astype(dtype) if data is None else data
            raw = arr.tobytes()
            add(
                f"zstd level 3 ({label})",
                lambda raw=raw: zstandard.ZstdCompressor(level=3).compress(raw),
                lambda e: zstandard.ZstdDecompressor().decompress(e),
                lambda out, raw=raw: out == raw,
            )
    except ImportError as error:
        rows.append(dict(name="zstandard", error=str(error)))
    try:
        import constriction

        model = constriction.stream.model.QuantizedLaplace(
            int(symbols.min()), int(symbols.max()), 0.0, SCALE
        )

        def ans_encode():
            coder = constriction.stream.stack.AnsCoder()
            coder.encode_reverse(symbols, model)
            return coder.get_compressed()

        add(
            "constriction ANS, quantized Laplace",
            ans_encode,
            lambda e: constriction.stream.stack.AnsCoder(e).decode(model, symbols.size),
            same,
        )
    except ImportError as error:
        rows.append(dict(name="constriction", error=str(error)))
    return rows


# ------------------------------------------------------------------ bits(), scaling, memory


def scaling(tf, sizes_mi: list[int], repeats: int) -> list[dict]:
    """ns/element of one unit per size: the best of `repeats` runs (the least
    disturbed by other processes; medians are in the JSON too)."""
    import laplace_rice

    model = laplace_rice.LaplaceEntropyModel(1, bottleneck_dtype=tf.float32)
    rows = []
    for size in sizes_mi:
        n = size * MI
        x = tf.constant(laplace((n,), seed=100 + size))
        strings = model.compress(x)
        row = dict(elements=n)
        for op, fn in (
            ("compress", lambda x=x: model.compress(x)),
            ("decompress", lambda s=strings, n=n: model.decompress(s, [n])),
            ("bits", lambda x=x: model.bits(x)),
        ):
            median, times = median_seconds(fn, repeats)
            row[f"{op}_ns_per_element"] = 1e9 * min(times) / n
            row[f"{op}_median_ns_per_element"] = 1e9 * median / n
        rows.append(row)
        log(f"scaling: {size} Mi done")
        del x, strings
    return rows


# ------------------------------------------------------------------ rate()


def rate_overhead(tf, shape: tuple, repeats: int) -> dict:
    """rate() beside model(x) on a latent of `shape` (coding_rank 3, defaults).

    Forward throughputs (eager) of bits() and rate(), then one training step
    in tf.function, forward + backward with respect to the latent: `model(x)`
    (quantize and penalty) alone, and `model(x)` plus `rate(x)`. The overhead
    is the second step's time over the first's; the same again compiled with
    XLA (`jit_compile=True`, where rate() counts in plain TensorFlow ops).
    """
    import laplace_rice

    model = laplace_rice.LaplaceEntropyModel(3, bottleneck_dtype=tf.float32)
    x = tf.constant(laplace(shape, seed=7))
    weights = tf.constant(np.random.default_rng(8).random(shape, np.float32))

    def step(with_rate: bool, jit: bool = False):
        @tf.function(jit_compile=jit)
        def run(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                quantized, penalty = model(x)
                loss = tf.reduce_sum(quantized * weights) + tf.reduce_sum(penalty)
                if with_rate:
                    loss += tf.reduce_sum(model.rate(x))
            return tape.gradient(loss, x)

        return run

    plain, with_rate = step(False), step(True)
    plain_jit, with_rate_jit = step(False, True), step(True, True)
    row = dict(shape=list(shape), elements=int(np.prod(shape)))
    for name, fn in (
        ("bits", lambda: model.bits(x).numpy()),
        ("rate", lambda: model.rate(x).numpy()),
        ("step_model", lambda: plain(x).numpy()),
        ("step_model_rate", lambda: with_rate(x).numpy()),
        ("jit_step_model", lambda: plain_jit(x).numpy()),
        ("jit_step_model_rate", lambda: with_rate_jit(x).numpy()),
    ):
        median, _ = median_seconds(fn, repeats)  # after a warm-up (and tracing)
        row[f"{name}_s"] = median
        row[f"{name}_meps"] = meps(row["elements"], median)
    row["step_overhead"] = row["step_model_rate_s"] / row["step_model_s"]
    row["jit_step_overhead"] = row["jit_step_model_rate_s"] / row["jit_step_model_s"]
    return row


def print_rate(rate: dict) -> None:
    print(
        f"\nrate() on {rate['shape']} (coding_rank 3, defaults), M elements/s: "
        f"bits() {rate['bits_meps']:.1f}, rate() forward {rate['rate_meps']:.1f}; "
        f"training step (forward + backward): model(x) {rate['step_model_meps']:.1f}, "
        f"model(x) + rate(x) {rate['step_model_rate_meps']:.1f} "
        f"({rate['step_overhead']:.2f}x the time); with jit_compile=True: "
        f"{rate['jit_step_model_meps']:.1f} and {rate['jit_step_model_rate_meps']:.1f} "
        f"({rate['jit_step_overhead']:.2f}x)"
    )


def memory_check(gib: float) -> dict:
    script = os.path.join(HERE, "memory_check.py")
    done = subprocess.run(
        [sys.executable, script, str(gib)], check=True, stdout=subprocess.PIPE, text=True
    )
    return json.loads(done.stdout)


# ------------------------------------------------------------------ report


def meps(elements: int, seconds: float) -> float:
    return elements / seconds / 1e6


def fmt(value, spec=".1f") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return format(value, spec)


def print_tables(report: dict) -> None:
    print(f"\nlaplace_rice benchmark, {report['date']}, {report['machine']['summary']}")
    print("Throughput in M elements/s (median, wall clock); ratio = ours / reference.\n")
    head = (
        "| workload | params | bits/elt | entropy | compress ours | ref | ratio "
        "| decompress ours | ref | ratio | same bytes |"
    )
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for row in report["workloads"]:
        ref = row.get("reference") or {}
        print(
            f"| {row['name']} {row['what']} | {row['params_label']} "
            f"| {row['bits_per_element']:.3f} | {row['entropy_bits_per_element']:.3f} "
            f"| {fmt(row['ours']['compress_meps'])} | {fmt(ref.get('compress_meps'), '.3g')} "
            f"| {fmt(row.get('compress_ratio'), '.0f')}x "
            f"| {fmt(row['ours']['decompress_meps'])} | {fmt(ref.get('decompress_meps'), '.3g')} "
            f"| {fmt(row.get('decompress_ratio'), '.0f')}x | {row.get('same_bytes', '-')} |"
        )
    raw = report.get("raw_codecs")
    if raw:
        print(f"\nRaw codecs on B (int32 symbols, single thread; ours via {raw['ours']['via']}):\n")
        print("| coder | bits/elt | encode M/s | decode M/s | round trip |")
        print("|---|---|---|---|---|")
        for r in [dict(name="laplace_rice (defaults)", **raw["ours"])] + raw["peers"]:
            if "error" in r:
                print(f"| {r['name']} | - | - | - | {r['error']} |")
                continue
            print(
                f"| {r['name']} | {r['bits_per_element']:.3f} | {r['encode_meps']:.1f} "
                f"| {r['decode_meps']:.1f} | {'ok' if r['round_trip_ok'] else 'FAIL'} |"
            )
        print(f"| (entropy) | {raw['entropy_bits_per_element']:.3f} | | | |")
    bits = report.get("bits_vs_compress")
    if bits:
        print(
            f"\nbits() on B: {bits['bits_meps']:.1f} M/s vs compress {bits['compress_meps']:.1f} "
            f"M/s (alternating call by call): {bits['ratio']:.2f}x"
        )
    rows = report.get("scaling")
    if rows:
        print("\nScaling, one unit (ns/element, best of the runs; flat = linear):\n")
        print("| elements | compress | decompress | bits() |")
        print("|---|---|---|---|")
        for r in rows:
            print(
                f"| {r['elements'] // MI} Mi | {r['compress_ns_per_element']:.2f} "
                f"| {r['decompress_ns_per_element']:.2f} | {r['bits_ns_per_element']:.2f} |"
            )
    if report.get("rate"):
        print_rate(report["rate"])
    mem = report.get("memory")
    if mem:
        print(
            f"\nMemory: compressing {mem['input_bytes'] / 2**30:.2f} GiB float32 (one unit) "
            f"raised peak RSS by {mem['peak_rise_bytes'] / MI:.1f} MiB; output "
            f"{mem['output_bytes'] / MI:.1f} MiB; bound 2 x output + 300 MiB = "
            f"{mem['bound_bytes'] / MI:.1f} MiB: {'within' if mem['within_bound'] else 'OVER'}"
        )
    print("\nTargets:")
    for target in report["targets"]:
        print(f"  [{'met' if target['met'] else 'MISSED'}] {target['what']}: {target['value']}")


def targets(report: dict) -> list[dict]:
    out = []
    for row in report["workloads"]:
        goal = TARGETS[row["name"]]
        for op in ("compress", "decompress"):
            ratio = row.get(f"{op}_ratio")
            if ratio is None:
                continue
            out.append(
                dict(
                    what=f"{row['name']} ({row['params_label']}) {op} >= {goal:.0f}x reference",
                    value=f"{ratio:.1f}x",
                    met=ratio >= goal,
                )
            )
    raw = report.get("raw_codecs")
    if raw:
        fits = next(
            (p for p in raw["peers"] if p["name"].startswith("FITS") and "error" not in p), None
        )
        if fits:
            for op in ("encode", "decode"):
                ratio = raw["ours"][f"{op}_meps"] / fits[f"{op}_meps"]
                out.append(
                    dict(
                        what=f"raw codec {op} faster than FITS Rice",
                        value=f"{ratio:.2f}x",
                        met=ratio > 1,
                    )
                )
    bits = report.get("bits_vs_compress")
    if bits:
        out.append(
            dict(
                what="bits() >= 3x compress on B",
                value=f"{bits['ratio']:.2f}x",
                met=bits["ratio"] >= 3,
            )
        )
    rows = report.get("scaling")
    if rows:
        # Linear: the cost per element does not grow with the size (noise aside).
        growth = rows[-1]["compress_ns_per_element"] / rows[0]["compress_ns_per_element"]
        sizes = f"{rows[0]['elements'] // MI} Mi..{rows[-1]['elements'] // MI} Mi"
        out.append(
            dict(
                what=f"compress linear in size, {sizes} (ns/element largest / smallest <= 1.5)",
                value=f"{growth:.2f}",
                met=growth <= 1.5,
            )
        )
    mem = report.get("memory")
    if mem:
        out.append(
            dict(
                what="peak RSS rise <= 2 x output + 300 MiB",
                value=f"{mem['peak_rise_bytes'] / MI:.1f} MiB of {mem['bound_bytes'] / MI:.1f} MiB",
                met=mem["within_bound"],
            )
        )
    return out


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    cores = os.cpu_count()
    return dict(
        cpu=cpu,
        cores=cores,
        load_average_start=load,
        python=platform.python_version(),
        summary=f"{cpu}, {cores} cores, load average {load[0]:.1f} at start",
    )


# ------------------------------------------------------------------ main


def add_reference(row: dict, result: dict) -> None:
    row["reference"] = dict(
        result,
        compress_meps=meps(result["elements"], result["compress_s"]),
        decompress_meps=meps(result["elements"], result["decompress_s"]),
    )
    row["compress_ratio"] = row["ours"]["compress_meps"] / row["reference"]["compress_meps"]
    row["decompress_ratio"] = row["ours"]["decompress_meps"] / row["reference"]["decompress_meps"]
    if result["elements"] == row["elements"]:
        row["same_bytes"] = "yes" if result["sha256"] == row["ours"]["sha256"] else "NO"
    else:
        row["same_bytes"] = "n/a (subset)"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short run: 3 repeats, smaller sizes")
    parser.add_argument("--json", default=os.path.join(HERE, "results.json"), help="output JSON")
    parser.add_argument("--skip-reference", action="store_true", help="ours and peers only")
    parser.add_argument("--repeats", type=int, default=None, help="timed runs per figure")
    parser.add_argument(
        "--from-json", help="print the tables of an earlier run's JSON, run nothing"
    )
    parser.add_argument(
        "--rate-only", action="store_true", help="time rate() beside model(x) only, write no JSON"
    )
    args = parser.parse_args(argv)
    if args.from_json:
        with open(args.from_json) as f:
            report = json.load(f)
        report["targets"] = targets(report)
        print_tables(report)
        if "speed" in report:
            speed.print_speed(report["speed"])
        return 0
    repeats = args.repeats or (3 if args.quick else 5)
    import tensorflow as tf

    rate_shape = (4, 16, 16, 192) if args.quick else (8, 32, 32, 192)
    if args.rate_only:
        print_rate(rate_overhead(tf, rate_shape, repeats))
        return 0

    import laplace_rice
    from laplace_rice.tuning import suggest_code_params

    report = dict(
        date=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        machine=machine(),
        quick=args.quick,
        repeats=repeats,
        versions=dict(laplace_rice=laplace_rice.__version__, tensorflow=tf.__version__),
    )
    if not args.skip_reference:
        setup_reference()
    workdir = tempfile.mkdtemp(prefix="laplace_rice_bench_")
    reference = None if args.skip_reference else Reference()
    try:
        rows = []
        if reference:
            report["versions"]["reference"] = reference.versions
        for seed, (name, shape, rank, what) in enumerate(WORKLOADS):
            x = laplace(shape, seed=seed)
            path = os.path.join(workdir, f"{name}.npy")
            np.save(path, x)
            symbols = np.rint(x).astype(np.int32)
            tuned = suggest_code_params(symbols, coding_rank=rank).as_kwargs()
            for kind, params in (("default", DEFAULTS), ("tuned", tuned)):
                log(f"{name} {kind}: ours and the reference, alternating")
                if reference:
                    # The reference's A takes ~10 s per call: --quick times its
                    # first 1,000 units.
                    limit = 1000 if (args.quick and name == "A") else None
                    reference.command(
                        dict(
                            cmd="load", npy=path, coding_rank=rank, params=params, units_limit=limit
                        )
                    )
                timed = time_workload(tf, x, rank, params, repeats, reference)
                ours = timed["ours"]
                row = dict(
                    name=name,
                    what=what,
                    shape=list(shape),
                    coding_rank=rank,
                    params_kind=kind,
                    params=params,
                    params_label=f"{kind}: {params_label(params)}",
                    elements=int(x.size),
                    bits_per_element=8 * ours["bytes"] / x.size,
                    entropy_bits_per_element=entropy_bits(symbols),
                    ours=dict(
                        ours,
                        compress_meps=meps(x.size, ours["compress_s"]),
                        decompress_meps=meps(x.size, ours["decompress_s"]),
                        bits_meps=meps(x.size, ours["bits_s"]),
                        compress_beside_bits_meps=meps(x.size, ours["compress_beside_bits_s"]),
                    ),
                )
                rows.append(row)
                if timed["reference"]:
                    add_reference(row, timed["reference"])
        report["workloads"] = rows

        log("raw codecs on B")
        b = laplace(WORKLOADS[1][1], seed=1)
        symbols = np.rint(b).astype(np.int32)
        raw_ours = our_raw_codec(symbols, DEFAULTS, repeats, workdir)
        peer_rows = peers(symbols, repeats)
        for r in [raw_ours, *peer_rows]:
            if "error" not in r:
                r["bits_per_element"] = 8 * r["bytes"] / symbols.size
                r["encode_meps"] = meps(symbols.size, r["encode_s"])
                r["decode_meps"] = meps(symbols.size, r["decode_s"])
        report["raw_codecs"] = dict(
            ours=raw_ours, peers=peer_rows, entropy_bits_per_element=entropy_bits(symbols)
        )

        b_default = rows[2]["ours"]
        report["bits_vs_compress"] = dict(
            bits_meps=b_default["bits_meps"],
            compress_meps=b_default["compress_beside_bits_meps"],
            ratio=b_default["bits_meps"] / b_default["compress_beside_bits_meps"],
        )
        log("scaling")
        sizes = [1, 2, 4, 8, 16] if args.quick else [1, 2, 4, 8, 16, 32, 64]
        report["scaling"] = scaling(tf, sizes, repeats)
        log("rate()")
        report["rate"] = rate_overhead(tf, rate_shape, repeats)
        log("speed rows: scale sweep, model against codec, small calls")
        report["speed"] = speed.run(args.quick)
        log("memory")
        report["memory"] = memory_check(0.25 if args.quick else 1.0)
        report["machine"]["load_average_end"] = os.getloadavg()
        report["targets"] = targets(report)
    finally:
        if reference:
            reference.close()
        shutil.rmtree(workdir, ignore_errors=True)

    with open(args.json, "w") as f:
        json.dump(report, f, indent=1)
    print_tables(report)
    speed.print_speed(report["speed"])
    print(f"\nAll figures: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
