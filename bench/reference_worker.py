"""Times tensorflow-compression 2.14.1's LaplaceEntropyModel; run by bench/run.py.

Runs under the reference's own interpreter (/tmp/tfc-ref/bin/python, TensorFlow
2.14), never in the project's environment. It stays up for the whole benchmark
so that each reference timing runs right after ours on the same workload (the
machine's load drifts): it prints one JSON line with its versions, then reads
one JSON case per line on stdin (an .npy path, coding rank, parameters,
repeats) and answers each with one JSON line of timings.

    /tmp/tfc-ref/bin/python bench/reference_worker.py
"""

from __future__ import annotations

import hashlib
import json
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow_compression.python.entropy_models.laplace import (  # noqa: E402
    LaplaceEntropyModel,
)


def strings_digest(strings: np.ndarray) -> tuple[int, str]:
    """Total bytes and a SHA-256 over the length-prefixed strings (as run.py)."""
    digest = hashlib.sha256()
    total = 0
    for s in strings.reshape(-1):
        digest.update(len(s).to_bytes(8, "little"))
        digest.update(s)
        total += len(s)
    return total, digest.hexdigest()


def median_seconds(fn, repeats: int) -> tuple[float, list[float]]:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def run_case(case: dict) -> dict:
    x = np.load(case["npy"])
    if case.get("units_limit"):
        x = x[: case["units_limit"]]
    rank = case["coding_rank"]
    model = LaplaceEntropyModel(coding_rank=rank, **case["params"])
    bottleneck = tf.constant(x)
    code_shape = x.shape[x.ndim - rank :]
    strings = model.compress(bottleneck)
    compress_s, compress_all = median_seconds(lambda: model.compress(bottleneck), case["repeats"])
    decompress_s, decompress_all = median_seconds(
        lambda: model.decompress(strings, code_shape), case["repeats"]
    )
    decoded = model.decompress(strings, code_shape).numpy()
    total, digest = strings_digest(np.asarray(strings.numpy(), dtype=object))
    return dict(
        name=case["name"],
        elements=int(x.size),
        compress_s=compress_s,
        decompress_s=decompress_s,
        compress_all_s=compress_all,
        decompress_all_s=decompress_all,
        bytes=total,
        sha256=digest,
        round_trip_ok=bool(np.array_equal(decoded, np.rint(x))),
    )


def versions() -> dict:
    out = dict(tensorflow=tf.__version__)
    try:
        import importlib.metadata

        out["tensorflow_compression"] = importlib.metadata.version("tensorflow-compression")
    except Exception:  # noqa: BLE001 - informational only
        pass
    return out


def main() -> None:
    print(json.dumps(versions()), flush=True)
    for line in sys.stdin:
        if line.strip():
            print(json.dumps(run_case(json.loads(line))), flush=True)


if __name__ == "__main__":
    main()
