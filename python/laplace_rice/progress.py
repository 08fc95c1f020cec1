"""A plain-text progress bar, shared by the command line tool and the demo."""

from __future__ import annotations

import sys
import time
from typing import Protocol, TextIO

__all__ = ["NoProgress", "Progress", "ProgressBar", "progress_for"]


class Progress(Protocol):
    """What the pipelines report progress to: a `ProgressBar` or `NoProgress`."""

    def update(self, done: float, note: str = "") -> None: ...

    def close(self, note: str = "") -> None: ...


class ProgressBar:
    """A plain-text progress bar on a stream, without dependencies.

    On a terminal it redraws one line (at most 10 times a second); elsewhere
    (a log, a pipe) it prints only the final line, so logs stay readable.
    """

    def __init__(self, total: float, label: str, stream: TextIO | None = None, width: int = 30):
        """Starts a bar.

        Args:
          total: The amount of work that makes 100%.
          label: Text before the bar.
          stream: Where to draw (default: `sys.stderr`).
          width: Characters in the bar.
        """
        self.total = max(float(total), 1e-12)
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self._interactive = bool(getattr(self.stream, "isatty", lambda: False)())
        self._start = time.perf_counter()
        self._last_draw = 0.0
        self._done = 0.0

    def update(self, done: float, note: str = "") -> None:
        """Sets the amount of work done and redraws when due.

        Args:
          done: Work done so far, in the units of `total`.
          note: Text after the bar (e.g. the current loss).
        """
        self._done = done
        now = time.perf_counter()
        if self._interactive and (now - self._last_draw >= 0.1 or done >= self.total):
            self._last_draw = now
            self.stream.write("\r" + self._line(note))
            self.stream.flush()

    def _line(self, note: str) -> str:
        fraction = min(max(self._done / self.total, 0.0), 1.0)
        filled = round(fraction * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        elapsed = time.perf_counter() - self._start
        return f"{self.label} [{bar}] {100 * fraction:3.0f}% {elapsed:5.1f}s {note}".rstrip()

    def close(self, note: str = "") -> None:
        """Draws the final state and ends the line.

        Args:
          note: Text after the bar.
        """
        line = self._line(note)
        self.stream.write(("\r" + line if self._interactive else line) + "\n")
        self.stream.flush()


class NoProgress:
    """A progress sink that shows nothing."""

    def update(self, done: float, note: str = "") -> None:
        """Does nothing."""

    def close(self, note: str = "") -> None:
        """Does nothing."""


def progress_for(show: bool | None, total: float, label: str, min_total: float) -> Progress:
    """A `ProgressBar` when `show`, or when `show` is None and `total >= min_total`.

    Args:
      show: True or False to decide, None to decide by size.
      total: The amount of work that makes 100%.
      label: Text before the bar.
      min_total: The least `total` that shows a bar when `show` is None.

    Returns:
      A `ProgressBar` on stderr, or a `NoProgress`.
    """
    if show is None:
        show = total >= min_total
    return ProgressBar(total, label) if show else NoProgress()
