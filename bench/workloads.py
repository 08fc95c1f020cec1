"""Ours, model level: the workloads A, B and C timed beside the reference,
one unit at growing sizes, rate() beside model(x), and the memory check."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np
from common import HERE, MI, laplace, log, median_seconds, meps, strings_digest, wait_until_idle

DEFAULTS = dict(run_length_code=-1, magnitude_code=0, use_run_length_for_non_zeros=False)
WORKLOADS = [
    # name, shape, coding_rank, what
    ("A", (10_000, 64), 1, "10,000 units x 64"),
    ("B", (4_194_304,), 1, "1 unit x 4,194,304"),
    ("C", (16, 64, 64, 192), 3, "[16,64,64,192] rank 3"),
]


def params_label(params: dict) -> str:
    def code(k):
        return "gamma" if k < 0 else f"rice{k}"

    nz = "+nz" if params["use_run_length_for_non_zeros"] else ""
    return f"rl={code(params['run_length_code'])} mag={code(params['magnitude_code'])}{nz}"


def time_side_by_side(ours_fn, reference, op: str, repeats: int) -> tuple[list, list]:
    """Times `repeats` calls of ours and of the reference, alternating call by
    call, so that both see the same load; each call starts once the other
    side's threads are idle. Warm-ups happened at load time."""
    ours, ref = [], []
    for _ in range(repeats):
        if reference:
            reference.wait_until_idle()
        start = time.perf_counter()
        ours_fn()
        ours.append(time.perf_counter() - start)
        if reference:
            wait_until_idle()
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
    if reference:
        reference.wait_until_idle()
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


def time_rounds(tf, x: np.ndarray, params: dict, reference, rounds: int = 3) -> dict:
    """Ours and the reference in alternating rounds, as a training or serving
    loop calls them: in each round ours 15 calls back to back after one
    untimed call (the model with .numpy()), then the reference's 3 calls;
    per round the ratio of the medians, and the median of the rounds'
    ratios. The call-by-call timings
    of time_workload() start each call of ours after an idle wait, which on
    this machine's virtual cores slows a 4 ms call by up to 2x
    (docs/benchmark.md, "Why B's compress is slow in some calls")."""
    import laplace_rice

    model = laplace_rice.LaplaceEntropyModel(1, bottleneck_dtype=tf.float32, **params)
    bottleneck = tf.constant(x)
    strings = model.compress(bottleneck)
    ours_fns = dict(
        compress=lambda: model.compress(bottleneck).numpy(),
        decompress=lambda: model.decompress(strings, x.shape).numpy(),
    )
    out = {}
    for op, fn in ours_fns.items():
        ours_s, theirs_s = [], []
        for _ in range(rounds):
            ours_s.append(median_seconds(fn, 15)[0])
            reference.wait_until_idle()
            theirs_s.append(
                statistics.median(
                    reference.command(dict(cmd="time", op=op))["seconds"] for _ in range(3)
                )
            )
        ratios = [theirs / ours for ours, theirs in zip(ours_s, theirs_s, strict=True)]
        out[op] = dict(
            ours_s=ours_s,
            reference_s=theirs_s,
            ratios=ratios,
            median_ratio=statistics.median(ratios),
        )
    return out


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


def memory_check(gib: float) -> dict:
    script = os.path.join(HERE, "memory_check.py")
    done = subprocess.run(
        [sys.executable, script, str(gib)], check=True, stdout=subprocess.PIPE, text=True
    )
    return json.loads(done.stdout)
