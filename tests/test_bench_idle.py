"""bench/common.py's wait for the other side of a side-by-side timing to go
idle: it waits while a process spins, and not when it sleeps."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "bench"))
import common  # noqa: E402

pytestmark = pytest.mark.skipif(
    not os.path.isdir("/proc/self/task"), reason="reads CPU time from Linux's /proc"
)

SPIN_THEN_SLEEP = """
import sys, time
print("ready", flush=True)
end = time.perf_counter() + float(sys.argv[1])
while time.perf_counter() < end:
    pass
time.sleep(30)
"""


def start(spin_s: float) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-c", SPIN_THEN_SLEEP, str(spin_s)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout.readline().strip() == "ready"
    return process


def test_waits_while_the_process_spins():
    process = start(0.3)
    try:
        started = time.perf_counter()
        waited = common.wait_until_idle(process.pid, timeout_s=2.0)
        assert 0.1 <= waited < 1.5
        # Idle now: its CPU time no longer grows.
        before = common.cpu_seconds(process.pid)
        time.sleep(0.05)
        assert common.cpu_seconds(process.pid) - before < 0.005
        assert time.perf_counter() - started < 2.0
    finally:
        process.kill()
        process.wait()


def test_returns_at_once_for_a_sleeping_process():
    process = start(0.0)
    try:
        time.sleep(0.1)
        assert common.wait_until_idle(process.pid) < 0.1
    finally:
        process.kill()
        process.wait()


def test_gives_up_after_the_timeout():
    process = start(5.0)
    try:
        waited = common.wait_until_idle(process.pid, timeout_s=0.2)
        assert 0.2 <= waited < 0.6
    finally:
        process.kill()
        process.wait()


def test_own_threads_but_the_caller():
    assert common.cpu_seconds("self") is not None
    assert common.cpu_seconds(2**22 + 12345) is None  # no such process
