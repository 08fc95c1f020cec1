"""What every part of the benchmark shares: the data, the clock, the units."""

from __future__ import annotations

import hashlib
import os
import statistics
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MI = 1 << 20
SCALE = 2.0


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


def meps(elements: int, seconds: float) -> float:
    return elements / seconds / 1e6


def strings_digest(strings: np.ndarray) -> tuple[int, str]:
    """Total bytes and a SHA-256 over the length-prefixed strings (both sides)."""
    digest = hashlib.sha256()
    total = 0
    for s in strings.reshape(-1):
        digest.update(len(s).to_bytes(8, "little"))
        digest.update(s)
        total += len(s)
    return total, digest.hexdigest()
