"""Speed rows of what users run: a scale sweep of the codec, the model against
the codec on one large unit, and small calls.

    python bench/speed.py [--quick] [--json PATH]

Also run by bench/run.py (its "speed" section). Rows:
  sweep   laplace_rice.codec on one thread, 4 Mi int32 Laplace values at
          scales 0.5, 2, 8, 30, with the defaults and with the codes
          suggest_code_params picks: encode and decode M values/s.
  model   workload B (one unit of 4 Mi float32, scale 2): model.compress(x)
          and model.decompress(s, shape), each with .numpy() as users call
          them, against laplace_rice.codec on the same unit; 15 calls each,
          the slowest over the fastest says how steady the calls are.
  small   compress and decompress of a [1,16,16,192] and a [1,4,4,8]
          latent, eager, microseconds per call.
Figures are medians with their min and max; nothing here is a pass/fail test.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

MI = 1 << 20
SCALES = (0.5, 2.0, 8.0, 30.0)
SMALL_SHAPES = ((1, 16, 16, 192), (1, 4, 4, 8))


def timings(fn, calls: int, warmup: int = 2) -> list[float]:
    """Seconds of each of `calls` calls of fn, after `warmup` untimed ones."""
    for _ in range(warmup):
        fn()
    seconds = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - start)
    return seconds


def summary(seconds: list[float], elements: int | None = None) -> dict:
    """Median/min/max seconds, their spread, and M elements/s if sized."""
    row = dict(
        median_s=statistics.median(seconds),
        min_s=min(seconds),
        max_s=max(seconds),
        slowest_over_fastest=max(seconds) / min(seconds),
    )
    if elements:
        row["meps"] = elements / row["median_s"] / 1e6
        row["meps_range"] = [elements / row["max_s"] / 1e6, elements / row["min_s"] / 1e6]
    return row


def codec_row(x: np.ndarray, params: dict, calls: int) -> dict:
    """One-thread encode and decode of one unit, checked."""
    from laplace_rice import codec

    string = codec.encode(x, threads=1, **params)
    assert np.array_equal(codec.decode(string, x.size, **params), x)
    return dict(
        params=params,
        bits_per_element=8 * len(string) / x.size,
        encode=summary(timings(lambda: codec.encode(x, threads=1, **params), calls), x.size),
        decode=summary(timings(lambda: codec.decode(string, x.size, **params), calls), x.size),
    )


def codec_sweep(size: int, calls: int) -> list[dict]:
    """The codec across scales, with the defaults and the tuned codes."""
    from laplace_rice.tuning import suggest_code_params

    defaults = dict(run_length_code=-1, magnitude_code=0, use_run_length_for_non_zeros=False)
    rows = []
    for seed, scale in enumerate(SCALES):
        x = np.random.default_rng(seed).laplace(0, scale, size).round().astype(np.int32)
        tuned = suggest_code_params(x, coding_rank=1).params.as_kwargs()
        for kind, params in (("defaults", defaults), ("tuned", tuned)):
            rows.append(dict(scale=scale, codes=kind, **codec_row(x, params, calls)))
    return rows


def model_rows(x: np.ndarray, params: dict, calls: int) -> list[dict]:
    """compress/decompress of one unit: the model with .numpy(), the codec."""
    import tensorflow as tf

    from laplace_rice import LaplaceEntropyModel, codec

    size = x.size
    model = LaplaceEntropyModel(coding_rank=1, bottleneck_dtype=tf.float32, **params)
    tensor = tf.constant(x)
    strings = model.compress(tensor)
    string = strings.numpy()[0]
    assert string == codec.encode(x[0], **params)
    # The codec on as many threads as the op's pool: the same work.
    threads = len(os.sched_getaffinity(0))
    pairs = (
        (
            "compress",
            lambda: model.compress(tensor).numpy(),
            lambda: codec.encode(x[0], threads=threads, **params),
        ),
        (
            "decompress",
            lambda: model.decompress(strings, [size]).numpy(),
            lambda: codec.decode(string, size, **params).astype(np.float32),
        ),
    )
    rows = []
    for op, through_model, alone in pairs:
        ours, theirs = timings(through_model, calls), timings(alone, calls)
        rows.append(
            dict(
                op=op,
                model=summary(ours, size),
                codec=summary(theirs, size),
                model_over_codec=statistics.median(ours) / statistics.median(theirs),
            )
        )
    return rows


def model_against_codec(size: int, calls: int) -> list[dict]:
    """Workload B through the model and through the codec, both codes."""
    from laplace_rice.tuning import suggest_code_params

    x = np.random.default_rng(1).laplace(0, 2.0, (1, size)).astype(np.float32)
    tuned = suggest_code_params(x, coding_rank=1).params.as_kwargs()
    rows = []
    for kind, params in (("defaults", {}), ("tuned", tuned)):
        rows += [dict(codes=kind, **row) for row in model_rows(x, params, calls)]
    return rows


def small_row(shape: tuple, seed: int, calls: int) -> dict:
    """Eager compress/decompress of one small latent, microseconds per call."""
    import tensorflow as tf

    from laplace_rice import LaplaceEntropyModel

    x = tf.constant(np.random.default_rng(seed).laplace(0, 2.0, shape).astype(np.float32))
    model = LaplaceEntropyModel(coding_rank=3, bottleneck_dtype=tf.float32)
    strings = model.compress(x)
    row = dict(shape=list(shape))
    for op, fn in (
        ("compress", lambda: model.compress(x)),
        ("decompress", lambda: model.decompress(strings, shape[1:])),
    ):
        times = summary(timings(fn, calls, warmup=20))
        row[f"{op}_us"] = 1e6 * times["median_s"]
        row[f"{op}_us_range"] = [1e6 * times["min_s"], 1e6 * times["max_s"]]
    return row


def small_calls(calls: int) -> list[dict]:
    """Eager compress/decompress of the small latents."""
    return [small_row(shape, seed, calls) for seed, shape in enumerate(SMALL_SHAPES)]


def run(quick: bool) -> dict:
    size = MI if quick else 4 * MI
    calls = 5 if quick else 9
    return dict(
        sweep=codec_sweep(size, calls),
        model=model_against_codec(size, 15),
        small=small_calls(100 if quick else 500),
    )


def spread(row: dict, scale: float, key: str = "s") -> str:
    """`median [min-max]` of a summary, times `scale`."""
    low, mid, high = (scale * row[f"{name}_{key}"] for name in ("min", "median", "max"))
    return f"{mid:.2f} [{low:.2f}-{high:.2f}]"


def print_speed(report: dict) -> None:
    print("\nCodec, one thread, M values/s: median [min-max]")
    print(f"{'scale':>6} {'codes':>9} {'bits/elt':>8} {'encode':>18} {'decode':>18}  params")
    for row in report["sweep"]:
        cells = []
        for op in ("encode", "decode"):
            low, high = row[op]["meps_range"]
            cells.append(f"{row[op]['meps']:.0f} [{low:.0f}-{high:.0f}]")
        print(
            f"{row['scale']:>6} {row['codes']:>9} {row['bits_per_element']:8.2f} "
            f"{cells[0]:>18} {cells[1]:>18}  {row['params']}"
        )
    print("\nWorkload B, the model (.numpy() included) and the codec, ms: median [min-max]")
    header = ("codes", "op", "model", "slow/fast", "codec", "model/codec")
    print("{:>9} {:>11} {:>20} {:>9} {:>20} {:>11}".format(*header))
    for row in report["model"]:
        print(
            f"{row['codes']:>9} {row['op']:>11} {spread(row['model'], 1e3):>20} "
            f"{row['model']['slowest_over_fastest']:9.2f} {spread(row['codec'], 1e3):>20} "
            f"{row['model_over_codec']:11.2f}"
        )
    print("\nSmall calls, eager, microseconds: median [min-max]")
    for row in report["small"]:
        cells = []
        for op in ("compress", "decompress"):
            low, high = row[f"{op}_us_range"]
            cells.append(f"{op} {row[f'{op}_us']:.0f} [{low:.0f}-{high:.0f}]")
        print(f"{str(row['shape']):>16}  {cells[0]}  {cells[1]}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 Mi values, fewer calls")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    report = run(args.quick)
    print_speed(report)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
