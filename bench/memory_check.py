"""Peak RSS rise while compressing a float32 tensor already in memory.

Run by bench/run.py in a subprocess of its own (the peak is per process):

    python bench/memory_check.py [GIB]

Builds a float32 Laplace tensor of GIB GiB (default 1) as one coding unit,
resets the kernel's peak-RSS mark (/proc/self/clear_refs), compresses, and
prints JSON: the peak RSS (VmHWM) before and after, the output size, and the
bound of the issue (2 x output + 300 MiB).
"""

from __future__ import annotations

import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import laplace_rice  # noqa: E402

MIB = 1 << 20


def status_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def reset_peak() -> bool:
    """Sets VmHWM to the current RSS (Linux >= 4.0); False if not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def laplace_float32(count: int, scale: float, seed: int) -> np.ndarray:
    """Generated in chunks, so no float64 copy of the whole tensor exists."""
    out = np.empty(count, np.float32)
    rng = np.random.default_rng(seed)
    chunk = 1 << 22
    for start in range(0, count, chunk):
        stop = min(count, start + chunk)
        out[start:stop] = rng.laplace(0.0, scale, stop - start)
    return out


def main() -> None:
    gib = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    count = int(gib * (1 << 30)) // 4
    model = laplace_rice.LaplaceEntropyModel(coding_rank=1, bottleneck_dtype=tf.float32)
    model.compress(tf.zeros([1024], tf.float32))  # load the kernels first
    bottleneck = tf.constant(laplace_float32(count, 2.0, seed=11))
    reset_ok = reset_peak()
    rss_before = status_kib("VmRSS")
    hwm_before = status_kib("VmHWM")
    start = time.perf_counter()
    strings = model.compress(bottleneck)
    seconds = time.perf_counter() - start
    hwm_after = status_kib("VmHWM")
    output = len(strings.numpy())
    rise = (hwm_after - hwm_before) * 1024
    bound = 2 * output + 300 * MIB
    json.dump(
        dict(
            input_bytes=count * 4,
            elements=count,
            output_bytes=output,
            rss_before_bytes=rss_before * 1024,
            hwm_before_bytes=hwm_before * 1024,
            hwm_after_bytes=hwm_after * 1024,
            peak_rise_bytes=rise,
            bound_bytes=bound,
            within_bound=rise <= bound,
            peak_reset=reset_ok,
            compress_s=seconds,
        ),
        sys.stdout,
    )


if __name__ == "__main__":
    main()
