"""Times tensorflow-compression 2.14.1's LaplaceEntropyModel; run by bench/run.py.

Runs under the reference's own interpreter (/tmp/tfc-ref/bin/python, TensorFlow
2.14), never in the project's environment. It stays up for the whole benchmark
so that its timed calls alternate with ours on the same workload (the
machine's load drifts): it prints one JSON line with its versions, then answers
each JSON command on stdin (load a case: an .npy path, coding rank and
parameters; time one call of compress or decompress; finish: sizes, digest,
round trip) with one JSON line.

    /tmp/tfc-ref/bin/python bench/reference_worker.py
"""

from __future__ import annotations

import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from common import strings_digest  # noqa: E402
from tensorflow_compression.python.entropy_models.laplace import (  # noqa: E402
    LaplaceEntropyModel,
)


class Case:
    """One workload loaded on the reference's side; timed one call at a time."""

    def __init__(self, case: dict):
        x = np.load(case["npy"])
        if case.get("units_limit"):
            x = x[: case["units_limit"]]
        rank = case["coding_rank"]
        self.x = x
        self.model = LaplaceEntropyModel(coding_rank=rank, **case["params"])
        self.bottleneck = tf.constant(x)
        self.code_shape = x.shape[x.ndim - rank :]
        self.strings = self.model.compress(self.bottleneck)  # warm-up
        self.model.decompress(self.strings, self.code_shape)  # warm-up

    def time(self, op: str) -> float:
        if op == "compress":
            fn = lambda: self.model.compress(self.bottleneck)  # noqa: E731
        else:
            fn = lambda: self.model.decompress(self.strings, self.code_shape)  # noqa: E731
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start

    def finish(self) -> dict:
        decoded = self.model.decompress(self.strings, self.code_shape).numpy()
        total, digest = strings_digest(np.asarray(self.strings.numpy(), dtype=object))
        return dict(
            elements=int(self.x.size),
            bytes=total,
            sha256=digest,
            round_trip_ok=bool(np.array_equal(decoded, np.rint(self.x))),
        )


def handle(request: dict, state: dict) -> dict:
    """Commands: load (a case), time (one call of `op`), finish (sizes, checks)."""
    if request["cmd"] == "load":
        state["case"] = Case(request)
        return dict(elements=int(state["case"].x.size))
    if request["cmd"] == "time":
        return dict(seconds=state["case"].time(request["op"]))
    if request["cmd"] == "finish":
        return state.pop("case").finish()
    raise ValueError(f"unknown command {request['cmd']!r}")


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
    state: dict = {}
    for line in sys.stdin:
        if line.strip():
            print(json.dumps(handle(json.loads(line), state)), flush=True)


if __name__ == "__main__":
    main()
