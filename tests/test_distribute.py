"""Graph-mode training with the Laplace penalty under tf.distribute strategies.

Runs examples/distributed/train.py in subprocesses (strategies and logical
devices must be set up before TensorFlow initializes, and multi-worker
training needs one process per worker): MultiWorkerMirroredStrategy with two
workers on loopback ports, and MirroredStrategy over two logical CPUs. The
training step is a `tf.function`; gradients reach the analysis weights only
through quantize (straight-through) and the penalty.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

EXAMPLE = pathlib.Path(__file__).resolve().parents[1] / "examples" / "distributed" / "train.py"
STEPS = 6
TIMEOUT_S = 150


def _run_example(*args: str, cwd: pathlib.Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    env.pop("TF_CONFIG", None)
    return subprocess.run(
        [sys.executable, str(EXAMPLE), "--steps", str(STEPS), *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        env=env,
        cwd=cwd,
    )


def _check_training(report: dict, replicas: int) -> None:
    assert report["num_replicas_in_sync"] == replicas
    losses = report["losses"]
    assert len(losses) == STEPS and all(np.isfinite(losses))
    assert losses[-1] < 0.6 * losses[0], losses
    # Both weight matrices moved: the analysis weights get gradients only
    # through the quantizer's straight-through estimator and the penalty.
    assert min(report["max_change"]) > 1e-3, report["max_change"]


@pytest.fixture(scope="module")
def multi_worker_reports(tmp_path_factory) -> list[dict]:
    out = tmp_path_factory.mktemp("multi_worker")
    result = _run_example(
        "--strategy",
        "multi_worker",
        "--local-workers",
        "2",
        "--out",
        str(out),
        "--timeout",
        str(TIMEOUT_S - 30),
        cwd=out,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    return [json.loads((out / f"worker-{i}.json").read_text()) for i in range(2)]


def test_multi_worker_trains(multi_worker_reports):
    for index, report in enumerate(multi_worker_reports):
        assert report["strategy"] in ("MultiWorkerMirroredStrategy", "CollectiveAllReduceStrategy")
        assert report["task"] == {"type": "worker", "index": index}
        _check_training(report, replicas=2)


def test_multi_worker_variables_equal_across_workers(multi_worker_reports):
    first, second = multi_worker_reports
    assert first["losses"] == second["losses"]  # the loss is reduced over both workers
    assert sorted(first["variables"]) == ["analysis", "synthesis"]
    for name, values in first["variables"].items():
        np.testing.assert_array_equal(values, second["variables"][name], err_msg=name)


def test_mirrored_over_two_logical_cpus(tmp_path):
    out = tmp_path / "mirrored.json"
    result = _run_example(
        "--strategy", "mirrored", "--logical-cpus", "2", "--out", str(out), cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr[-6000:]
    report = json.loads(out.read_text())
    assert report["strategy"] == "MirroredStrategy"
    _check_training(report, replicas=2)
    for name, (first, second) in report["variables"].items():
        np.testing.assert_array_equal(first, second, err_msg=name)
