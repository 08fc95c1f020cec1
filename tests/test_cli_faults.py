"""`laplace-rice compress`/`decompress` under faults: kills, full disks, read-only
folders, size limits, an input truncated while it is read, stale temporary files.

Every case runs the tool in a child process (`python -m laplace_rice`), as a
user would: a fault that kills the process (SIGBUS, SIGXFSZ) fails the case
instead of the test run. The long kill campaign is bench/kill_test.py.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import resource
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from laplace_rice.container import ContainerReader

TOOL = [sys.executable, "-m", "laplace_rice"]


def _tool(*argv, preexec_fn=None, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*TOOL, *(str(a) for a in argv)],
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=preexec_fn,
    )


def _expect_one_line_error(result: subprocess.CompletedProcess, match: str) -> str:
    assert result.returncode == 1, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("laplace-rice: error: "), lines[0]
    assert match.lower() in lines[0].lower(), lines[0]
    return lines[0]


def _digest(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _temps(folder) -> list[str]:
    return sorted(name for name in os.listdir(folder) if ".tmp-" in name)


def _run_script(script: str, *argv) -> subprocess.CompletedProcess:
    """Runs `script` (which patches the CLI, then calls it) in a child process."""
    return subprocess.run(
        [sys.executable, "-c", script, *map(str, argv)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def _laplace(shape, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).laplace(scale=2.0, size=shape).astype(np.float32)


@pytest.fixture
def files(tmp_path):
    """An input array (1 MiB, ~126 KiB compressed) and its container."""
    array = _laplace((256, 1024))
    np.save(tmp_path / "a.npy", array)
    result = _tool("compress", tmp_path / "a.npy", tmp_path / "a.lrc")
    assert result.returncode == 0, result.stderr
    return tmp_path / "a.npy", tmp_path / "a.lrc", array


@contextlib.contextmanager
def _tmpfs(path, size: str, read_only: bool = False):
    """A tmpfs of `size` at `path` (root only; skips the test where it cannot be mounted)."""
    os.makedirs(path)
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()!r}")
    try:
        if read_only:
            subprocess.run(["mount", "-o", "remount,ro", str(path)], check=True)
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=True)


@contextlib.contextmanager
def _read_only_folder(path):
    """A folder this user cannot write into: a read-only tmpfs for root (who ignores
    permission bits), a folder without write permission for anyone else."""
    if os.geteuid() == 0:
        with _tmpfs(path, "1m", read_only=True):
            yield path
        return
    os.makedirs(path)
    os.chmod(path, 0o555)
    try:
        yield path
    finally:
        os.chmod(path, 0o755)


def _file_size_limit(limit: int):
    def preexec():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return preexec


# ---------------------------------------------------------------- read-only, full, limits


def test_read_only_folder(files, tmp_path):
    src, packed, _ = files
    with _read_only_folder(tmp_path / "ro") as folder:
        line = _expect_one_line_error(_tool("compress", src, folder / "o.lrc"), "cannot write")
        assert str(folder / "o.lrc") in line
        _expect_one_line_error(_tool("decompress", packed, folder / "o.npy"), "cannot write")
        assert os.listdir(folder) == []


def test_full_filesystem(files, tmp_path):
    """Decompress writes through a memory map: without reserving the blocks first,
    a full tmpfs killed it with SIGBUS (status -7) and left its temporary file."""
    src, packed, _ = files
    with _tmpfs(tmp_path / "small", "256k") as folder:
        _expect_one_line_error(_tool("decompress", packed, folder / "o.npy"), "no space left")
        assert os.listdir(folder) == []
        # The 126 KiB container fits once, not twice beside a filler.
        assert _tool("compress", src, folder / "o.lrc").returncode == 0
        with open(folder / "fill", "wb") as f:
            f.write(b"\0" * (100 << 10))
        _expect_one_line_error(_tool("compress", src, folder / "p.lrc"), "no space left")
        assert sorted(os.listdir(folder)) == ["fill", "o.lrc"]
        with ContainerReader(folder / "o.lrc") as reader:
            assert reader.header.shape == (256, 1024)


@pytest.mark.parametrize("command", ["compress", "decompress"])
def test_file_size_limit(files, tmp_path, command):
    """`ulimit -f`: SIGXFSZ is ignored, the write fails with EFBIG, a clean error."""
    src, packed, _ = files
    source, out = (
        (src, tmp_path / "o.lrc") if command == "compress" else (packed, tmp_path / "o.npy")
    )
    result = _tool(command, source, out, "--chunk-bytes", "65536",
                   preexec_fn=_file_size_limit(64 << 10))  # fmt: skip
    _expect_one_line_error(result, "file too large")
    assert not out.exists()
    assert _temps(tmp_path) == []


def test_failed_write_keeps_the_previous_output(files, tmp_path):
    src, packed, _ = files
    out = tmp_path / "b.lrc"
    out.write_bytes(packed.read_bytes())
    before = _digest(out)
    result = _tool("compress", src, out, "--coding-rank", "2",
                   preexec_fn=_file_size_limit(64 << 10))  # fmt: skip
    _expect_one_line_error(result, "file too large")
    assert _digest(out) == before
    assert _temps(tmp_path) == []


# ---------------------------------------------------------------- truncated input

_TRUNCATE_WHILE_READING = """
import os, sys
from laplace_rice import codec
from laplace_rice.cli import main

path, out = sys.argv[1], sys.argv[2]
encode, calls = codec.encode_batch, []

def encode_then_truncate(units, **kwargs):
    # The second chunk is coded: the file loses its second half under the tool.
    calls.append(1)
    if len(calls) == 2:
        os.truncate(path, os.path.getsize(path) // 2)
    return encode(units, **kwargs)

codec.encode_batch = encode_then_truncate
sys.exit(main(["compress", path, out, "--chunk-bytes", "65536", *sys.argv[3:]]))
"""


def test_input_truncated_while_it_is_read(files, tmp_path):
    """Reading a truncated file through its memory map raised SIGBUS (status -7)."""
    src, _, _ = files
    out = tmp_path / "t.lrc"
    result = _run_script(_TRUNCATE_WHILE_READING, src, out)
    _expect_one_line_error(result, "truncated while it was read")
    assert not out.exists()
    assert _temps(tmp_path) == []


@pytest.mark.parametrize("coding_rank", [1, 2])
def test_fortran_input_truncated_while_it_is_read(tmp_path, coding_rank):
    """A Fortran-ordered input was read through its memory map: SIGBUS (status -7)
    once the file lost its second half. Coding rank 2 has each unit transposed."""
    src, out = tmp_path / "f.npy", tmp_path / "f.lrc"
    np.save(src, np.asfortranarray(_laplace((64, 64, 64))))  # 1 MiB
    result = _run_script(_TRUNCATE_WHILE_READING, src, out, "--coding-rank", coding_rank)
    _expect_one_line_error(result, "truncated while it was read")
    assert not out.exists()
    assert _temps(tmp_path) == []


_TRUNCATE_BEFORE_SAMPLING = """
import os, sys
from laplace_rice.cli import arrays, main

path, argv = sys.argv[1], sys.argv[2:]
load = arrays.load_npy

def load_then_truncate(name):
    # The header is read (and, before, the file mapped); the data is not yet.
    npy = load(name)
    os.truncate(path, os.path.getsize(path) // 2)
    return npy

arrays.load_npy = load_then_truncate
sys.exit(main(argv))
"""


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("command", ["tune", "--auto"])
def test_input_truncated_before_tune_or_auto_samples_it(tmp_path, command, order):
    """`tune` and `compress --auto` sampled the input through its memory map:
    SIGBUS (status -7) when the file had lost its second half."""
    src, out = tmp_path / "a.npy", tmp_path / "a.lrc"
    array = _laplace((256, 1024))
    np.save(src, np.asfortranarray(array) if order == "F" else array)
    argv = ["tune", str(src)] if command == "tune" else ["compress", str(src), str(out), "--auto"]
    result = _run_script(_TRUNCATE_BEFORE_SAMPLING, src, *argv)
    _expect_one_line_error(result, "truncated while it was read")
    assert result.stdout == ""
    assert not out.exists()
    assert _temps(tmp_path) == []


_TRUNCATE_CONTAINER_WHILE_READING = """
import os, sys
from laplace_rice import codec
from laplace_rice.cli import main

path, out = sys.argv[1], sys.argv[2]
decode, calls = codec.decode_batch, []

def decode_then_truncate(strings, *args, **kwargs):
    # After the CRC32 check, while the units are decoded.
    calls.append(1)
    if len(calls) == 2:
        os.truncate(path, os.path.getsize(path) // 2)
    return decode(strings, *args, **kwargs)

codec.decode_batch = decode_then_truncate
sys.exit(main(["decompress", path, out, "--chunk-bytes", "65536"]))
"""


def test_container_truncated_while_it_is_read(files, tmp_path):
    _, packed, _ = files
    out = tmp_path / "t.npy"
    result = _run_script(_TRUNCATE_CONTAINER_WHILE_READING, packed, out)
    _expect_one_line_error(result, "truncated file")
    assert not out.exists()
    assert _temps(tmp_path) == []


def test_input_shorter_than_its_header(files, tmp_path):
    src, _, _ = files
    os.truncate(src, os.path.getsize(src) - 1)
    _expect_one_line_error(_tool("compress", src, tmp_path / "o.lrc"), "not a readable .npy")
    assert _temps(tmp_path) == []


# ---------------------------------------------------------------- stale temporary files


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.mark.parametrize("command", ["compress", "decompress"])
def test_stale_temporaries_of_dead_processes_are_removed(files, tmp_path, command):
    src, packed, _ = files
    source, out = (
        (src, tmp_path / "o.lrc") if command == "compress" else (packed, tmp_path / "o.npy")
    )
    dead, live = _dead_pid(), os.getpid()
    stale = [f"{out.name}.tmp-{dead}", f"{out.name}.tmp-{dead}.npy"]
    kept = [
        f"{out.name}.tmp-{live}",  # a live writer's: it may still be writing
        f"{out.name}.tmp-{live}.npy",
        f"{out.name}.tmp-x{dead}",  # not a temporary name of the tool
        f"{out.name}.tmp-{dead}.bak",
        f"other.lrc.tmp-{dead}",  # another output's
    ]
    for name in stale + kept:
        (tmp_path / name).write_bytes(b"partial")
    result = _tool(command, source, out)
    assert result.returncode == 0, result.stderr
    names = set(os.listdir(tmp_path))
    assert not names & set(stale)
    assert set(kept) <= names
    assert out.exists()


# ---------------------------------------------------------------- kills


def _check_after_kill(out, expected_digest, src, src_digest) -> None:
    """The output is absent or complete; the input is untouched."""
    if out.exists():
        assert _digest(out) == expected_digest
    assert _digest(src) == src_digest


@pytest.mark.parametrize("command", ["compress", "decompress"])
def test_sigkill_at_random_moments(tmp_path, command):
    """A handful of kills (bench/kill_test.py runs the campaign): never a partial
    output, the input untouched, and a rerun leaves no temporary file."""
    array = _laplace((2048, 2048))  # 16 MiB
    src, packed, restored = tmp_path / "a.npy", tmp_path / "a.lrc", tmp_path / "r.npy"
    np.save(src, array)
    assert _tool("compress", src, packed).returncode == 0
    assert _tool("decompress", packed, restored).returncode == 0
    source, out = (src, packed) if command == "compress" else (packed, restored)
    expected, source_digest = _digest(out), _digest(source)
    argv = [*TOOL, command, str(source), str(out), "--chunk-bytes", str(1 << 20)]
    started = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True)
    seconds = time.perf_counter() - started
    rng = random.Random(1234)
    for attempt in range(6):
        if attempt % 2:  # half the kills with no earlier output, half over one
            out.unlink(missing_ok=True)
        child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.0, seconds))
        child.send_signal(signal.SIGKILL)
        child.wait()
        _check_after_kill(out, expected, source, source_digest)
    subprocess.run(argv, check=True, capture_output=True)
    assert _digest(out) == expected
    assert _temps(tmp_path) == []
