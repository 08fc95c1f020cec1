"""Times the same math as gpu_harness through JAX jit (XLA's fused kernels)
or PyTorch eager, on float32, float16 and bfloat16 data of the same size and
layouts.

    python peers.py jax|torch --json FILE [--mib 256] [--reps 30] [--inner 20]

One framework per process, so that neither holds the other's GPU memory.
Writes {"impl", "device", "timings": [{"impl", "dtype", "op", "layout", "ms",
"bytes"}]} or {"impl", "skipped": reason} when the framework or a GPU is
missing.

Timing, as the harness: `inner` back-to-back calls per sample, median of
`reps` samples. PyTorch: CUDA events on its current stream around the calls,
like the harness. JAX: XLA runs on streams of its own that JAX does not
expose, so an event on another stream would not bracket its work; there the
sample is host wall clock from the first call to block_until_ready of the
last, which includes one dispatch and one synchronization per `inner` calls
(with inner=20 a few microseconds per call at most, against milliseconds of
work at 256 MiB).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

L1 = 0.01


def layouts(n: int) -> list[tuple[str, tuple[int, int]]]:
    """The harness's layouts: (name, (units, unit length))."""
    return [
        ("units16x4Mi", (16, n // 16)),
        ("units65536x1024", (65536, n // 65536)),
        ("units64Mix1", (n, 1)),
    ]


# Calls per timed sample (--inner): launches are asynchronous, so back-to-back
# calls hide the Python dispatch cost behind the GPU work, as in a training
# loop.
CALLS_PER_SAMPLE = 20
DTYPES = ("float32", "float16", "bfloat16")
ITEMSIZE = {"float32": 4, "float16": 2, "bfloat16": 2}


def median_ms(fn, block, reps: int) -> float:
    """Median wall time per call of fn() in ms; block(result) waits for it."""
    for _ in range(3):
        block(fn())
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        for _ in range(CALLS_PER_SAMPLE):
            result = fn()
        block(result)
        times.append((time.perf_counter() - start) * 1e3 / CALLS_PER_SAMPLE)
    return statistics.median(times)


def median_event_ms(fn, reps: int) -> float:
    """Median GPU time per call of fn() in ms, between two CUDA events."""
    import torch

    for _ in range(3):
        fn()
    times = []
    for _ in range(reps):
        start = torch.cuda.Event(enable_timing=True)
        stop = torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(CALLS_PER_SAMPLE):
            fn()
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop) / CALLS_PER_SAMPLE)
    return statistics.median(times)


def time_jax(mib: int, reps: int) -> tuple[str, list[dict]]:
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    import jax
    import jax.numpy as jnp

    gpus = [d for d in jax.devices() if d.platform == "gpu"]
    if not gpus:
        raise RuntimeError("JAX sees no GPU")
    out = []
    for dtype in DTYPES:
        size = ITEMSIZE[dtype]
        n = mib * 1024 * 1024 // size
        bytes_ = float(size * n)
        flat = (jax.random.laplace(jax.random.PRNGKey(0), (n,), jnp.float32) * 3).astype(dtype)
        quantize = jax.jit(jnp.round)  # round half to even
        ms = median_ms(lambda q=quantize, x=flat: q(x), jax.block_until_ready, reps)
        out.append(dict(dtype=dtype, op="quantize", layout="flat", ms=ms, bytes=2 * bytes_))
        for name, (units, length) in layouts(n):
            x = flat.reshape(units, length)
            g = flat[:units]
            # Summed in float32 like ours (which sums in double): not the
            # 16-bit accumulation XLA would otherwise pick.
            penalty = jax.jit(
                lambda x: (L1 * jnp.sum(jnp.abs(x), axis=1, dtype=jnp.float32)).astype(x.dtype)
            )
            fused = jax.jit(
                lambda x: (
                    jnp.round(x),
                    (L1 * jnp.sum(jnp.abs(x), axis=1, dtype=jnp.float32)).astype(x.dtype),
                )
            )
            grad = jax.jit(lambda x, g: jnp.sign(x) * (L1 * g)[:, None])
            cases = (
                ("fused", lambda f=fused, x=x: f(x), 2 * bytes_),
                ("penalty", lambda f=penalty, x=x: f(x), bytes_),
                ("penalty_grad", lambda f=grad, x=x, g=g: f(x, g), 2 * bytes_),
            )
            for op, fn, moved in cases:
                ms = median_ms(fn, jax.block_until_ready, reps)
                out.append(
                    dict(dtype=dtype, op=op, layout=name, ms=ms, bytes=moved + float(size * units))
                )
    return str(gpus[0].device_kind), out


def time_torch(mib: int, reps: int) -> tuple[str, list[dict]]:
    import torch

    if not torch.cuda.is_available():
        raise RuntimeError("PyTorch sees no GPU")
    out = []
    for dtype in DTYPES:
        size = ITEMSIZE[dtype]
        n = mib * 1024 * 1024 // size
        bytes_ = float(size * n)
        gen = torch.Generator(device="cuda").manual_seed(0)
        flat = (torch.randn(n, device="cuda", generator=gen) * 3).to(getattr(torch, dtype))
        ms = median_event_ms(lambda x=flat: torch.round(x), reps)
        out.append(dict(dtype=dtype, op="quantize", layout="flat", ms=ms, bytes=2 * bytes_))
        for name, (units, length) in layouts(n):
            x = flat.view(units, length)
            g = flat[:units]
            cases = (
                ("fused", lambda x=x: (torch.round(x), L1 * x.abs().sum(dim=1)), 2 * bytes_),
                ("penalty", lambda x=x: L1 * x.abs().sum(dim=1), bytes_),
                ("penalty_grad", lambda x=x, g=g: torch.sign(x) * (L1 * g)[:, None], 2 * bytes_),
            )
            for op, fn, moved in cases:
                out.append(
                    dict(
                        dtype=dtype,
                        op=op,
                        layout=name,
                        ms=median_event_ms(fn, reps),
                        bytes=moved + float(size * units),
                    )
                )
    return torch.cuda.get_device_name(0), out


def main() -> None:
    global CALLS_PER_SAMPLE
    parser = argparse.ArgumentParser()
    parser.add_argument("impl", choices=["jax", "torch"])
    parser.add_argument("--json", required=True)
    parser.add_argument("--mib", type=int, default=256)
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--inner", type=int, default=CALLS_PER_SAMPLE)
    args = parser.parse_args()
    CALLS_PER_SAMPLE = max(1, args.inner)
    timer = time_jax if args.impl == "jax" else time_torch
    try:
        device, timings = timer(args.mib, args.reps)
        result = dict(
            impl=args.impl, device=device, timings=[dict(impl=args.impl, **t) for t in timings]
        )
    except Exception as error:  # missing framework or GPU: say so, don't fail the run
        result = dict(impl=args.impl, skipped=f"{type(error).__name__}: {error}")
    with open(args.json, "w") as f:
        json.dump(result, f, indent=1)
    print(json.dumps({k: v for k, v in result.items() if k != "timings"}))


if __name__ == "__main__":
    main()
