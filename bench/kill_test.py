"""Kill campaign: `laplace-rice compress`/`decompress` killed with SIGKILL at random moments.

    python bench/kill_test.py [--kills 50] [--mib 512] [--seed 0] [--dir /tmp]

For each command, on a float32 Laplace array of --mib MiB (its container for
decompress), the tool is started and killed with SIGKILL after a delay drawn
uniformly from [0, 1.1 x the fastest of 3 uninterrupted runs], so kills land in
the interpreter's start-up, in the coding, in the rename and (a few) after
the end. Half the kills start with no output, half over a complete output
(hard-linked from a reference copy: a tool that wrote into the existing file
instead of renaming over it would corrupt the reference, and the digest
check below would see it). After every kill:

- the output is absent, or byte-identical to the uninterrupted run's (the
  container also opened with every CRC32 checked, at the start);
- the input's SHA-256 is unchanged;
- at most one temporary file is there per kill since the last completed run.

Every 10 kills and at the end, a run to completion: the output must equal
the reference and no temporary file may remain (the run removes those of
killed processes). Prints one table row per command; exits 1 on any
violation.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np

TOOL = [sys.executable, "-m", "laplace_rice"]


def _digest(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 24), b""):
            h.update(block)
    return h.hexdigest()


def _temps(folder: str) -> list[str]:
    return sorted(name for name in os.listdir(folder) if ".tmp-" in name)


def _run_to_completion(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True)
    return time.perf_counter() - started


def campaign(command: str, source: str, out: str, reference: str, kills: int, rng) -> dict:
    """Kills `command` `kills` times; returns the counts of each outcome."""
    folder = os.path.dirname(out)
    argv = [*TOOL, command, source, out, "--no-progress"]
    # The fastest of 3 runs: the first (a new file, a cold cache) can take
    # several times longer, and delays drawn from it would miss most runs.
    seconds = min(_run_to_completion(argv) for _ in range(3))
    expected, source_digest = _digest(reference), _digest(source)
    counts = {
        "kills": 0,
        "finished before the kill": 0,
        "absent": 0,
        "previous output kept": 0,
        "new output complete": 0,
        "temporary file left by the kill": 0,
        "full reruns": 0,
        "violations": 0,
        "seconds per run": seconds,
    }
    failures = []
    killed_since_rerun = 0
    for attempt in range(kills):
        with_previous = attempt % 2 == 0
        if os.path.exists(out):
            os.remove(out)
        if with_previous:
            os.link(reference, out)
        before = set(_temps(folder))
        child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.0, 1.1 * seconds))
        finished = child.poll() is not None
        child.send_signal(signal.SIGKILL)
        child.wait()
        counts["kills"] += 1
        killed_since_rerun += 1
        counts["finished before the kill"] += finished
        after = set(_temps(folder))
        counts["temporary file left by the kill"] += bool(after - before)
        if not os.path.exists(out):
            counts["absent"] += 1
        elif with_previous and os.path.samefile(out, reference):
            counts["previous output kept"] += 1
        else:
            counts["new output complete"] += 1
        problems = []
        if os.path.exists(out) and _digest(out) != expected:
            problems.append("the output differs from the uninterrupted run's")
        if _digest(reference) != expected:
            problems.append("the previous output was written into")
        if _digest(source) != source_digest:
            problems.append("the input changed")
        if len(after) > killed_since_rerun:
            problems.append(f"{len(after)} temporary files after {killed_since_rerun} kills")
        if (attempt + 1) % 10 == 0 or attempt + 1 == kills:
            _run_to_completion(argv)
            counts["full reruns"] += 1
            killed_since_rerun = 0
            if _digest(out) != expected:
                problems.append("a rerun's output differs")
            if _temps(folder):
                problems.append(f"temporary files after a rerun: {_temps(folder)}")
        if problems:
            counts["violations"] += 1
            failures.append(f"{command} kill {attempt}: {'; '.join(problems)}")
    for failure in failures:
        print(failure, file=sys.stderr)
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=50, help="kills per command (50)")
    parser.add_argument("--mib", type=int, default=512, help="array size in MiB (512)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dir", default=None, help="where the files go (a temporary folder)")
    args = parser.parse_args()
    from laplace_rice.container import ContainerReader

    started = time.perf_counter()
    work = tempfile.mkdtemp(prefix="kill_test-", dir=args.dir)
    try:
        rows = 2048
        columns = args.mib * (1 << 20) // 4 // rows
        src = os.path.join(work, "a.npy")
        array = np.lib.format.open_memmap(src, "w+", np.float32, (rows, columns))
        gen = np.random.default_rng(args.seed)
        for start in range(0, rows, 128):  # in blocks: memory stays small
            block = gen.laplace(scale=2.0, size=(min(128, rows - start), columns))
            array[start : start + 128] = np.rint(block)  # integers: the round trip is exact
        array.flush()
        del array
        ref = os.path.join(work, "ref")
        os.mkdir(ref)
        packed, restored = os.path.join(ref, "a.lrc"), os.path.join(ref, "a.npy")
        subprocess.run([*TOOL, "compress", src, packed], check=True, capture_output=True)
        subprocess.run([*TOOL, "decompress", packed, restored], check=True, capture_output=True)
        with ContainerReader(packed) as reader:  # every CRC32 checked
            assert reader.verified
        if not np.array_equal(np.load(restored, mmap_mode="r"), np.load(src, mmap_mode="r")):
            print("the reference round trip is not exact", file=sys.stderr)
            return 1
        out_dir = os.path.join(work, "out")
        os.mkdir(out_dir)
        rng = random.Random(args.seed)
        results = {
            "compress": campaign(
                "compress", src, os.path.join(out_dir, "a.lrc"), packed, args.kills, rng
            ),
            "decompress": campaign(
                "decompress", packed, os.path.join(out_dir, "a.npy"), restored, args.kills, rng
            ),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    names = list(results["compress"])
    print(f"input: float32 {rows}x{columns} ({args.mib} MiB), seed {args.seed}")
    print("| command | " + " | ".join(names) + " |")
    print("| --- |" + " ---: |" * len(names))
    for command, counts in results.items():
        cells = [f"{v:.2f}" if isinstance(v, float) else str(v) for v in counts.values()]
        print(f"| {command} | " + " | ".join(cells) + " |")
    print(f"campaign: {time.perf_counter() - started:.0f} s")
    return 1 if any(c["violations"] for c in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
