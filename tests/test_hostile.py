"""Hostile input to the ops: nothing crashes, hangs or eats all memory.

Every case of hostile_cases.py is a pytest item of its own
(test_hostile_case[<case>], so `-k <case>` picks one) and runs in a child
process of its own: a crash (a signal, an abort, an OOM kill) or a hang
fails that case, naming how the child ended and showing its stderr, instead
of taking pytest down. Each child imports TensorFlow (seconds), so the
children of the selected cases are started ahead, a few at a time, while
earlier ones are checked.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import hostile_cases
import pytest

HERE = Path(__file__).resolve().parent
CASES_SCRIPT = HERE / "hostile_cases.py"
# Seconds a case's child may run (the slowest takes about 10 s with
# TensorFlow's import on a loaded 2-core machine).
TIMEOUT = 240
# Children at once: each spends most of its time importing TensorFlow, which
# is CPU-bound, so more than the cores gain nothing.
PARALLEL = max(2, min(4, os.cpu_count() or 2))


class _Child:
    """One case's child process, its output in files (pipes could fill up
    and stall a child while the parent waits on another)."""

    def __init__(self, name: str):
        self.name = name
        env = dict(os.environ)
        env.pop("LAPLACE_RICE_MAX_OUTPUT_BYTES", None)
        env.update(TF_CPP_MIN_LOG_LEVEL="3", **hostile_cases.CASES[name].env)
        # A child about to be killed as hung first prints where it is.
        env[hostile_cases.STACK_AFTER_ENV] = str(TIMEOUT - 5)
        self.stdout = tempfile.TemporaryFile("w+")
        self.stderr = tempfile.TemporaryFile("w+")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            # faulthandler: a crash prints the case's Python stack to stderr.
            [sys.executable, "-X", "faulthandler", str(CASES_SCRIPT), name],
            stdout=self.stdout,
            stderr=self.stderr,
            text=True,
            cwd=HERE,
            env=env,
        )

    def running(self) -> bool:
        return self.proc.poll() is None

    def wait(self) -> tuple[int | None, str, str, float]:
        """(exit status, or None if it hung and was killed; stdout; stderr;
        seconds)."""
        remaining = max(1.0, TIMEOUT - (time.monotonic() - self.started))
        try:
            status: int | None = self.proc.wait(timeout=remaining)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            status = None
        seconds = time.monotonic() - self.started
        outputs = []
        for f in (self.stdout, self.stderr):
            f.seek(0)
            outputs.append(f.read())
            f.close()
        return status, outputs[0], outputs[1], seconds

    def kill(self) -> None:
        if self.running():
            self.proc.kill()
            self.proc.wait()


class _Children:
    """Starts the selected cases' children in test order, PARALLEL at a
    time; a test takes its own (starting it now if it is not yet)."""

    def __init__(self, names: list[str]):
        self.queue = list(names)
        self.children: dict[str, _Child] = {}

    def _top_up(self) -> None:
        running = sum(child.running() for child in self.children.values())
        while self.queue and running < PARALLEL:
            name = self.queue.pop(0)
            self.children[name] = _Child(name)
            running += 1

    def take(self, name: str) -> _Child:
        if name not in self.children:
            if name in self.queue:
                self.queue.remove(name)
            self.children[name] = _Child(name)
        self._top_up()
        return self.children.pop(name)

    def close(self) -> None:
        self.queue.clear()
        for child in self.children.values():
            child.kill()


@pytest.fixture(scope="module")
def children(request):
    """The children of the cases this run selected (after -k and the like)."""
    selected = [
        item.callspec.params["name"]
        for item in request.session.items
        if Path(str(item.path)).resolve() == Path(__file__).resolve() and hasattr(item, "callspec")
    ]
    pool = _Children(selected)
    yield pool
    pool.close()


def _how_it_ended(status: int | None) -> str:
    if status is None:
        return f"hung: no result within {TIMEOUT} s, killed"
    if status < 0:
        try:
            name = signal.Signals(-status).name
        except ValueError:
            name = "unknown signal"
        return f"crashed: killed by signal {-status} ({name})"
    if status == 1:
        return "failed a check (exit status 1)"
    return f"exited with status {status}"


def _tail(text: str, limit: int = 6000) -> str:
    if not text.strip():
        return "(nothing)"
    return text if len(text) <= limit else "...\n" + text[-limit:]


@pytest.mark.parametrize("name", list(hostile_cases.CASES))
def test_hostile_case(children, name):
    status, stdout, stderr, seconds = children.take(name).wait()
    passed = f"{hostile_cases.PASSED_MARKER} {name}" in stdout.splitlines()
    if status == 0 and passed:
        return
    if status == 0:
        how = "exited with status 0 before the case returned"
    else:
        how = _how_it_ended(status)
    pytest.fail(
        f"hostile case {name} {how} ({seconds:.1f} s)\n"
        f"--- stderr of the child ---\n{_tail(stderr)}\n"
        f"--- stdout of the child ---\n{_tail(stdout, 2000)}\n"
        f"(run it alone: cd tests && python hostile_cases.py {name})",
        pytrace=False,
    )
