"""Counts LeakSanitizer reports that point into given modules.

    python3 tests/leaks/lsan_report.py LOG_DIR MODULE [MODULE ...]

LOG_DIR holds the reports of a run under LeakSanitizer with
`log_path=LOG_DIR/lsan` and `symbolize=0` (one file per process, frames as
"(module+offset)"). A leak record counts when any frame of its allocation
stack lies in a module whose path contains one of the MODULE strings (e.g.
`_codec`, the pybind module). The others are the interpreter's own: CPython
does not free everything at exit (interned strings, static types, module
state), and those records never pass through the module under test. They
are tallied, not judged.

Prints each counted record; exits 1 if there is any, 2 if LOG_DIR has no
report at all (LeakSanitizer did not run: a check that passed without it
would prove nothing).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

RECORD = re.compile(r"^(Direct|Indirect) leak of (\d+) byte", re.M)


def records(text: str):
    """Splits one report into (header line, frames) per leak record."""
    starts = [m.start() for m in RECORD.finditer(text)]
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        block = text[start:end].strip().splitlines()
        yield block[0], block[1:]


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    log_dir, modules = Path(argv[0]), argv[1:]
    files = sorted(log_dir.glob("lsan*"))
    if not files:
        print(f"lsan_report: no LeakSanitizer report in {log_dir}", file=sys.stderr)
        return 2
    ours, others, other_bytes = [], 0, 0
    for path in files:
        for header, frames in records(path.read_text(errors="replace")):
            if any(m in frame for frame in frames for m in modules):
                ours.append((path.name, header, frames))
            else:
                others += 1
                other_bytes += int(RECORD.match(header).group(2))
    for name, header, frames in ours:
        print(f"{name}: {header}")
        for frame in frames:
            print(f"    {frame.strip()}")
    print(
        f"lsan_report: {len(files)} processes; {len(ours)} leak records in "
        f"{', '.join(modules)}; {others} records ({other_bytes} bytes) elsewhere "
        f"(the interpreter's own)"
    )
    return 1 if ours else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
