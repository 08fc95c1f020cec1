"""Times the same math as gpu_harness through JAX jit (XLA's fused kernels)
or PyTorch eager, on float32 data of the same size and layouts.

    python peers.py jax|torch --json FILE [--mib 256] [--reps 30]

One framework per process, so that neither holds the other's GPU memory.
Writes {"impl", "device", "timings": [{"impl", "op", "layout", "ms", "bytes"}]}
or {"impl", "skipped": reason} when the framework or a GPU is missing.
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


# Calls per timed sample: launches are asynchronous, so back-to-back calls
# hide the Python dispatch cost behind the GPU work, as in a training loop.
CALLS_PER_SAMPLE = 10


def median_ms(fn, block, reps: int) -> float:
    """Median GPU time of fn() in ms; block(result) waits for the result."""
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


def time_jax(n: int, reps: int) -> tuple[str, list[dict]]:
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    import jax
    import jax.numpy as jnp

    gpus = [d for d in jax.devices() if d.platform == "gpu"]
    if not gpus:
        raise RuntimeError("JAX sees no GPU")
    bytes_ = 4.0 * n
    flat = jax.random.laplace(jax.random.PRNGKey(0), (n,), jnp.float32) * 3
    out = []
    quantize = jax.jit(jnp.round)  # round half to even
    ms = median_ms(lambda: quantize(flat), jax.block_until_ready, reps)
    out.append(dict(op="quantize", layout="flat", ms=ms, bytes=2 * bytes_))
    for name, (units, size) in layouts(n):
        x = flat.reshape(units, size)
        g = flat[:units]
        penalty = jax.jit(lambda x: L1 * jnp.sum(jnp.abs(x), axis=1))
        fused = jax.jit(lambda x: (jnp.round(x), L1 * jnp.sum(jnp.abs(x), axis=1)))
        grad = jax.jit(lambda x, g: jnp.sign(x) * (L1 * g)[:, None])
        cases = (
            ("fused", lambda f=fused, x=x: f(x), 2 * bytes_),
            ("penalty", lambda f=penalty, x=x: f(x), bytes_),
            ("penalty_grad", lambda f=grad, x=x, g=g: f(x, g), 2 * bytes_),
        )
        for op, fn, moved in cases:
            ms = median_ms(fn, jax.block_until_ready, reps)
            out.append(dict(op=op, layout=name, ms=ms, bytes=moved + 4.0 * units))
    return str(gpus[0].device_kind), out


def time_torch(n: int, reps: int) -> tuple[str, list[dict]]:
    import torch

    if not torch.cuda.is_available():
        raise RuntimeError("PyTorch sees no GPU")

    def sync(_result) -> None:
        torch.cuda.synchronize()

    bytes_ = 4.0 * n
    gen = torch.Generator(device="cuda").manual_seed(0)
    flat = torch.randn(n, device="cuda", generator=gen) * 3
    out = []
    ms = median_ms(lambda: torch.round(flat), sync, reps)
    out.append(dict(op="quantize", layout="flat", ms=ms, bytes=2 * bytes_))
    for name, (units, size) in layouts(n):
        x = flat.view(units, size)
        g = flat[:units]
        cases = (
            ("fused", lambda x=x: (torch.round(x), L1 * x.abs().sum(dim=1)), 2 * bytes_),
            ("penalty", lambda x=x: L1 * x.abs().sum(dim=1), bytes_),
            ("penalty_grad", lambda x=x, g=g: torch.sign(x) * (L1 * g)[:, None], 2 * bytes_),
        )
        for op, fn, moved in cases:
            out.append(
                dict(op=op, layout=name, ms=median_ms(fn, sync, reps), bytes=moved + 4.0 * units)
            )
    return torch.cuda.get_device_name(0), out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("impl", choices=["jax", "torch"])
    parser.add_argument("--json", required=True)
    parser.add_argument("--mib", type=int, default=256)
    parser.add_argument("--reps", type=int, default=30)
    args = parser.parse_args()
    n = args.mib * 1024 * 1024 // 4
    timer = time_jax if args.impl == "jax" else time_torch
    try:
        device, timings = timer(n, args.reps)
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
