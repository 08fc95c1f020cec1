"""The reference, tensorflow-compression 2.14.1: its side venv, and its worker
(bench/reference_worker.py) driven over a pipe under its own interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from common import HERE, meps, wait_until_idle

REFERENCE_PYTHON = os.path.join(os.environ.get("REFERENCE_VENV", "/tmp/tfc-ref"), "bin", "python")


def setup_reference() -> None:
    script = os.path.join(HERE, "setup_reference.sh")
    subprocess.run(["bash", script, sys.executable], check=True, stdout=sys.stderr)


class Reference:
    """The reference worker (bench/reference_worker.py) under its own interpreter."""

    def __init__(self):
        worker = os.path.join(HERE, "reference_worker.py")
        self._process = subprocess.Popen(
            [REFERENCE_PYTHON, worker], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.versions = json.loads(self._read())

    def _read(self) -> str:
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError("the reference worker exited; see its output above")
        return line

    def command(self, request: dict) -> dict:
        self._process.stdin.write(json.dumps(request) + "\n")
        self._process.stdin.flush()
        return json.loads(self._read())

    def wait_until_idle(self) -> float:
        """Waits until the worker's threads are idle (common.wait_until_idle)."""
        return wait_until_idle(self._process.pid)

    def close(self) -> None:
        self._process.stdin.close()
        self._process.wait(timeout=60)


def add_reference(row: dict, result: dict) -> None:
    row["reference"] = dict(
        result,
        compress_meps=meps(result["elements"], result["compress_s"]),
        decompress_meps=meps(result["elements"], result["decompress_s"]),
    )
    row["compress_ratio"] = row["ours"]["compress_meps"] / row["reference"]["compress_meps"]
    row["decompress_ratio"] = row["ours"]["decompress_meps"] / row["reference"]["decompress_meps"]
    if result["elements"] == row["elements"]:
        row["same_bytes"] = "yes" if result["sha256"] == row["ours"]["sha256"] else "NO"
    else:
        row["same_bytes"] = "n/a (subset)"
