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

Prints RSS every REPORT_EVERY calls. Exits 1 if any result is wrong, if
RSS at the end exceeds RSS at the end of the warm-up (the first
--warmup-fraction of the calls, default 10 %) by more than --max-growth
(default 2 %), or if the bytes malloc holds in use grow by more than
--max-in-use-per-call (default 64 B) per call, both net of TensorFlow's own
leak per failed op call.

That leak is TensorFlow's, not this library's: in TF 2.21 every op call that
fails keeps about 0.65 KB plus its error message, for stock ops too
(measured: eager `tf.reshape` with a bad shape 856 B/call of RSS,
`tf.io.decode_compressed` of non-zlib bytes inside a `tf.function` 965
B/call; `tf.raw_ops.Assert` keeps 651, 893 and 2,700 B/call in use with
messages of 16, 256 and 2,048 bytes). So the script first makes as many
failing calls of a stock op (the control: `tf.io.decode_compressed`,
`DataLossError`, eager like ours), measures its growth per call, and charges
each of our hostile calls that much. `--no-control` judges the raw growth.

RSS grows faster than the bytes in use when a failed call had allocated its
output first (ours does; the control does not): the retained blocks end up
between freed outputs, and the heap grows by holes that malloc keeps but
cannot hand back (`malloc_trim` frees none of it). A stock op failing the
same way shows it too (`tf.strings.to_number` of 512 strings, the last not
a number: 1.9 to 2.2 KB/call of RSS for 670 B/call in use). Hence the
second measure, glibc's bytes in use (`mallinfo2`), which holes do not
move; it is only reported where glibc has it (2.33 or newer).
"""

from __future__ import annotations

import argparse
import ctypes
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


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()
        )
    ]


def _mallinfo2():
    try:
        function = ctypes.CDLL(None).mallinfo2  # glibc 2.33 or newer
    except (AttributeError, OSError):
        return None
    function.restype = _MallInfo2
    return function


_MALLINFO2 = _mallinfo2()


def in_use_bytes() -> int | None:
    """The bytes malloc holds allocated (small blocks and mmap'd ones), or None
    without glibc's mallinfo2. Unlike RSS, free holes in the heap do not count."""
    if _MALLINFO2 is None:
        return None
    info = _MALLINFO2()
    return info.uordblks + info.hblkhd


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


def error_length(case) -> int:
    """The length of the message a hostile case fails with (TensorFlow keeps
    each failed call's message, so longer ones cost more)."""
    try:
        case[1].decompress(case[2], case[3])
    except tf.errors.DataLossError as error:
        return len(str(error))
    raise AssertionError("decompress of a hostile string did not raise DataLossError")


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
        except tf.errors.DataLossError as error:
            return len(str(error))
        raise AssertionError("control: decode_compressed did not raise DataLossError")

    return call


def loop(calls: int, call_at, warmup_calls: int, report_every: int, label: str) -> dict:
    """Runs call_at(i) for i < calls; RSS and bytes in use after the warm-up and at the end."""
    rss_warm = in_use_warm = None
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
            rss_warm, in_use_warm = rss_bytes(), in_use_bytes()
        if done % report_every == 0 or done == calls:
            elapsed = time.monotonic() - start
            print(
                f"  {label:8} {done:>8} calls {elapsed:7.1f} s  RSS {rss_bytes() / 2**20:8.1f} MiB"
            )
    return dict(
        seconds=time.monotonic() - start,
        rss_warm=rss_warm,
        rss_end=rss_bytes(),
        in_use_warm=in_use_warm,
        in_use_end=in_use_bytes(),
        errors=errors,
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--report-every", type=int, default=10_000)
    parser.add_argument("--warmup-fraction", type=float, default=0.1)
    parser.add_argument("--max-growth", type=float, default=0.02)
    parser.add_argument(
        "--max-in-use-per-call",
        type=float,
        default=64.0,
        help="bytes in use (malloc) that may remain per call after the warm-up, net of "
        "the control (our messages are longer than the control's: about 35 B per "
        "failed call, 17 per call)",
    )
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
    message_chars = float(np.mean([error_length(c) for c in hostile]))
    control = control_chars = None
    if not args.no_control:
        # TensorFlow 2.21 keeps about 0.65 KB plus the message per op call
        # that fails, for its own ops as well (tf.reshape eagerly,
        # tf.io.decode_compressed in and out of tf.function): measured with
        # the same number of failing calls of a stock op, and subtracted, so
        # that what remains is laplace_rice's.
        control_call = control_case()
        control_chars = control_call()
        control = loop(
            failing, lambda i: control_call(), warmup_calls // 2, args.report_every, "control"
        )
    r = loop(args.calls, ours, warmup_calls, args.report_every, "ours")
    growth_bytes = r["rss_end"] - r["rss_warm"]
    # The failing calls after our warm-up, each charged what a stock op's costs.
    failed_after_warmup = (args.calls - warmup_calls) / 2
    control_failed = failing - warmup_calls // 2
    tf_bytes = control_in_use = 0.0
    if control is not None:
        per_failed_call = (control["rss_end"] - control["rss_warm"]) / control_failed
        tf_bytes = max(0.0, per_failed_call) * failed_after_warmup
    net = (growth_bytes - tf_bytes) / r["rss_warm"]
    # The same in bytes in use, per call (good and hostile) after the warm-up.
    in_use_per_call = None
    if r["in_use_warm"] is not None:
        if control is not None:
            control_in_use = (control["in_use_end"] - control["in_use_warm"]) / control_failed
        in_use_growth = r["in_use_end"] - r["in_use_warm"]
        in_use_per_call = (in_use_growth - max(0.0, control_in_use) * failed_after_warmup) / (
            args.calls - warmup_calls
        )
    result = dict(
        calls=args.calls,
        seconds=round(r["seconds"], 1),
        calls_per_s=round(args.calls / r["seconds"], 1),
        rss_warm_mib=round(r["rss_warm"] / 2**20, 1),
        rss_end_mib=round(r["rss_end"] / 2**20, 1),
        rss_growth_pct=round(100 * growth_bytes / r["rss_warm"], 2),
        tf_error_path_mib=round(tf_bytes / 2**20, 1),
        net_growth_pct=round(100 * net, 2),
        message_chars=round(message_chars, 1),
        errors=r["errors"] + (control["errors"] if control else 0),
    )
    if control is not None:
        result["control_bytes_per_failed_call"] = round(per_failed_call, 1)
        result["control_message_chars"] = control_chars
    if in_use_per_call is not None:
        result["in_use_warm_mib"] = round(r["in_use_warm"] / 2**20, 1)
        result["in_use_end_mib"] = round(r["in_use_end"] / 2**20, 1)
        result["control_in_use_per_failed_call"] = round(control_in_use, 1)
        result["net_in_use_bytes_per_call"] = round(in_use_per_call, 1)
    print(
        f"leak loop: RSS {result['rss_warm_mib']} MiB after {warmup_calls} calls, "
        f"{result['rss_end_mib']} MiB after {args.calls} ({result['rss_growth_pct']:+.2f} %); "
        f"TensorFlow's own error path accounts for {result['tf_error_path_mib']} MiB; "
        f"net {result['net_growth_pct']:+.2f} %; {result['errors']} errors"
    )
    if in_use_per_call is not None:
        print(
            f"leak loop: in use {result['in_use_warm_mib']} MiB after the warm-up, "
            f"{result['in_use_end_mib']} MiB at the end; the control keeps "
            f"{result['control_in_use_per_failed_call']} B per failed call; net "
            f"{in_use_per_call:+.1f} B per call (error messages: ours {message_chars:.0f} "
            f"characters on average, the control's {control_chars})"
        )
    print(json.dumps(result))
    status = 1 if result["errors"] else 0
    if net > args.max_growth:
        print(
            f"leak loop: RSS grew {100 * net:.2f} % after the warm-up "
            f"(limit {100 * args.max_growth:g} %)",
            file=sys.stderr,
        )
        status = 1
    if in_use_per_call is not None and in_use_per_call > args.max_in_use_per_call:
        print(
            f"leak loop: {in_use_per_call:.1f} bytes per call stayed in use after the warm-up "
            f"(limit {args.max_in_use_per_call:g})",
            file=sys.stderr,
        )
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
