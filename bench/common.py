"""What every part of the benchmark shares: the data, the clock, the units."""

from __future__ import annotations

import hashlib
import os
import statistics
import sys
import threading
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


def cpu_seconds(pid: int | str = "self") -> float | None:
    """CPU time so far of the threads of process `pid` (those of "self" but
    the calling one), from Linux's /proc; None where that is missing."""
    tasks = f"/proc/{pid}/task"
    if not os.path.isdir(tasks):
        return None
    caller = str(threading.get_native_id()) if pid == "self" else None
    total_ns = 0
    for tid in os.listdir(tasks):
        if tid == caller:
            continue
        try:
            with open(f"{tasks}/{tid}/schedstat") as f:
                total_ns += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass  # the thread ended meanwhile
    return total_ns / 1e9


def wait_until_idle(pid: int | str = "self", timeout_s: float = 0.5) -> float:
    """Waits until process `pid` (its other threads, for "self") uses under a
    tenth of a core over 10 ms, at most `timeout_s`; returns the seconds
    waited. Then a timed call does not share the cores with the other
    side's thread pools winding down (they spin a while before they sleep)."""
    start = time.perf_counter()
    before = cpu_seconds(pid)
    while before is not None and time.perf_counter() - start < timeout_s:
        time.sleep(0.01)
        after = cpu_seconds(pid)
        if after is None or after - before < 0.001:
            break
        before = after
    return time.perf_counter() - start


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
