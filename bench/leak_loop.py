"""Leak loop: many TF op calls, good and hostile strings mixed, RSS flat.

    python bench/leak_loop.py [--calls 100000] [--report-every 10000]

Calls `LaplaceEntropyModel.compress` and `.decompress` (eager, the TF ops)
CALLS times in total, cycling through a fixed pool of cases:

- compress of random Laplace tensors (several batch sizes and coding units),
  strings checked against `laplace_rice.codec` (the oracle without TF);
- decompress of those strings, checked against `np.rint(x)`;
- decompress of hostile strings: random bytes, strict prefixes of valid
  strings, valid strings with a byte appended, valid strings with a flipped
  bit; each kept only if the codec oracle rejects it, and the op must then
  raise `DataLossError` (an error path that leaked would show here first).

Prints RSS every REPORT_EVERY calls. Exits 1 if any result is wrong, or if
RSS at the end exceeds RSS at the end of the warm-up (the first
--warmup-fraction of the calls, default 10 %) by more than --max-growth
(default 2 %), net of TensorFlow's own leak per failed op call.

That leak is TensorFlow's, not this library's: in TF 2.21 every op call that
fails keeps about 0.9 KB, for stock ops too (measured: eager `tf.reshape`
with a bad shape 856 B/call, `tf.io.decode_compressed` of non-zlib bytes
inside a `tf.function` 965 B/call). So the script first makes as many
failing calls of a stock op (the control: `tf.io.decode_compressed`,
`DataLossError`, eager like ours), measures its growth per call, and charges
each of our hostile calls that much. `--no-control` judges the raw growth.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import laplace_rice  # noqa: E402
from laplace_rice import codec  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def rejected(string: bytes, code_shape, params) -> bool:
    """Whether the oracle (the codec without TF) refuses the string."""
    try:
        codec.decode(string, code_shape, **params)
    except ValueError:
        return True
    return False


def build_cases(rng: np.random.Generator) -> list[tuple]:
    configs = [
        (dict(), (8, 8)),
        (dict(run_length_code=2, magnitude_code=1, use_run_length_for_non_zeros=True), (50,)),
        (dict(run_length_code=-1, magnitude_code=-1), (4, 4, 3)),
    ]
    cases = []
    for params, code_shape in configs:
        model = laplace_rice.LaplaceEntropyModel(coding_rank=len(code_shape), **params)
        for batch in (1, 3, 8):
            x = (rng.laplace(scale=3.0, size=(batch,) + code_shape)).astype(np.float32)
            strings = [codec.encode(u, **params) for u in x]
            cases.append(("compress", model, tf.constant(x), strings))
            cases.append(("decompress", model, tf.constant(strings), code_shape, np.rint(x)))
            hostile = []
            for s in strings:
                flipped = bytearray(s)
                flipped[int(rng.integers(len(s)))] ^= 1 << int(rng.integers(8))
                candidates = [
                    rng.bytes(int(rng.integers(1, 40))),
                    s[: int(rng.integers(0, len(s)))],
                    s + b"\x00",
                    bytes(flipped),
                ]
                hostile += [h for h in candidates if rejected(h, code_shape, params)]
            for h in hostile:
                # One hostile string among good ones: the whole call must fail.
                mixed = list(strings)
                mixed[len(mixed) // 2] = h
                cases.append(("hostile", model, tf.constant(mixed), code_shape))
    return cases


def run_case(case) -> None:
    kind, model = case[0], case[1]
    if kind == "compress":
        got = model.compress(case[2]).numpy().tolist()
        if got != case[3]:
            raise AssertionError("compress: strings differ from laplace_rice.codec's")
    elif kind == "decompress":
        got = model.decompress(case[2], case[3]).numpy()
        if not np.array_equal(got, case[4]):
            raise AssertionError("decompress: values differ from np.rint(x)")
    else:
        try:
            model.decompress(case[2], case[3])
        except tf.errors.DataLossError:
            return
        raise AssertionError("decompress of a hostile string did not raise DataLossError")


def control_case():
    """A stock TensorFlow op that fails the same way: `DataLossError` from
    `tf.io.decode_compressed` of bytes that are not zlib."""
    data = tf.constant(b"not a zlib stream")

    def call():
        try:
            tf.io.decode_compressed(data, compression_type="ZLIB")
        except tf.errors.DataLossError:
            return
        raise AssertionError("control: decode_compressed did not raise DataLossError")

    return call


def loop(calls: int, call_at, warmup_calls: int, report_every: int, label: str) -> dict:
    """Runs call_at(i) for i < calls; RSS after the warm-up and at the end."""
    rss_warm = None
    errors = 0
    start = time.monotonic()
    for i in range(calls):
        try:
            call_at(i)
        except Exception as e:  # noqa: BLE001  (any failure is a finding)
            errors += 1
            if errors <= 5:
                print(f"ERROR {label} call {i}: {type(e).__name__}: {e}", file=sys.stderr)
        done = i + 1
        if done == warmup_calls:
            rss_warm = rss_bytes()
        if done % report_every == 0 or done == calls:
            elapsed = time.monotonic() - start
            print(
                f"  {label:8} {done:>8} calls {elapsed:7.1f} s  RSS {rss_bytes() / 2**20:8.1f} MiB"
            )
    return dict(
        seconds=time.monotonic() - start, rss_warm=rss_warm, rss_end=rss_bytes(), errors=errors
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--report-every", type=int, default=10_000)
    parser.add_argument("--warmup-fraction", type=float, default=0.1)
    parser.add_argument("--max-growth", type=float, default=0.02)
    parser.add_argument(
        "--no-control",
        action="store_true",
        help="judge the raw RSS growth, without subtracting what TensorFlow's own "
        "error path leaks (fails with TF 2.21: about 0.9 KB per failed call)",
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    warmup_calls = max(1, int(args.warmup_fraction * args.calls))

    cases = build_cases(np.random.default_rng(args.seed))
    kinds = {k: sum(c[0] == k for c in cases) for k in ("compress", "decompress", "hostile")}
    print(f"leak loop: {len(cases)} cases in the pool {kinds}, {args.calls} calls")
    # Good and hostile calls alternate, whatever the pool's proportions.
    good = [c for c in cases if c[0] != "hostile"]
    hostile = [c for c in cases if c[0] == "hostile"]

    def ours(i: int) -> None:
        pool = hostile if i % 2 else good
        run_case(pool[(i // 2) % len(pool)])

    failing = args.calls // 2  # the hostile calls: each raises DataLossError
    control = None
    if not args.no_control:
        # TensorFlow 2.21 keeps about 0.9 KB per op call that fails, for its
        # own ops as well (tf.reshape eagerly, tf.io.decode_compressed in and
        # out of tf.function): measured with the same number of failing calls
        # of a stock op, and subtracted, so that what remains is laplace_rice's.
        control_call = control_case()
        control = loop(
            failing, lambda i: control_call(), warmup_calls // 2, args.report_every, "control"
        )
    r = loop(args.calls, ours, warmup_calls, args.report_every, "ours")
    growth_bytes = r["rss_end"] - r["rss_warm"]
    # The failing calls after our warm-up, each charged what a stock op's costs.
    tf_bytes = 0.0
    if control is not None:
        per_failed_call = (control["rss_end"] - control["rss_warm"]) / (failing - warmup_calls // 2)
        tf_bytes = max(0.0, per_failed_call) * (args.calls - warmup_calls) / 2
    net = (growth_bytes - tf_bytes) / r["rss_warm"]
    result = dict(
        calls=args.calls,
        seconds=round(r["seconds"], 1),
        calls_per_s=round(args.calls / r["seconds"], 1),
        rss_warm_mib=round(r["rss_warm"] / 2**20, 1),
        rss_end_mib=round(r["rss_end"] / 2**20, 1),
        rss_growth_pct=round(100 * growth_bytes / r["rss_warm"], 2),
        tf_error_path_mib=round(tf_bytes / 2**20, 1),
        net_growth_pct=round(100 * net, 2),
        errors=r["errors"] + (control["errors"] if control else 0),
    )
    if control is not None:
        result["control_bytes_per_failed_call"] = round(per_failed_call, 1)
    print(
        f"leak loop: RSS {result['rss_warm_mib']} MiB after {warmup_calls} calls, "
        f"{result['rss_end_mib']} MiB after {args.calls} ({result['rss_growth_pct']:+.2f} %); "
        f"TensorFlow's own error path accounts for {result['tf_error_path_mib']} MiB; "
        f"net {result['net_growth_pct']:+.2f} %; {result['errors']} errors"
    )
    print(json.dumps(result))
    if net > args.max_growth:
        print(
            f"leak loop: RSS grew {100 * net:.2f} % after the warm-up "
            f"(limit {100 * args.max_growth:g} %)",
            file=sys.stderr,
        )
        return 1
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
