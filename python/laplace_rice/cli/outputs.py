"""Writing the tool's outputs so that a kill or a full disk never leaves a partial file.

Both commands write `OUT.tmp-<pid>` (`OUT.tmp-<pid>.npy` for decompress) in
the output's own folder, fsync it, and rename it over `OUT` (atomic within a
filesystem). A process killed before the rename leaves its temporary file;
the next run for the same `OUT` removes those of processes that no longer
exist (`remove_stale_temps`).
"""

from __future__ import annotations

import errno
import os
import re

from laplace_rice.cli.errors import CliError

__all__ = ["WRITE_ERRNOS", "fsync_dir", "remove_stale_temps", "temp_path", "write_error"]

_TEMP_SUFFIX = re.compile(r"\.tmp-(\d+)(\.npy)?")

WRITE_ERRNOS = frozenset(
    {
        errno.ENOSPC,
        errno.EFBIG,
        errno.EROFS,
        errno.EACCES,
        errno.EPERM,
        errno.EDQUOT,
        errno.ENOENT,  # the output's folder does not exist
        errno.ENOTDIR,
        errno.EISDIR,  # OUT is a folder: the rename fails
    }
)
"""Errors that mean the output cannot be written where it was asked for."""


def temp_path(out_path: str, suffix: str = "") -> str:
    """The temporary name this process writes `out_path` under (same folder)."""
    return f"{out_path}.tmp-{os.getpid()}{suffix}"


def _alive(pid: int) -> bool:
    """Whether a process `pid` exists (one owned by another user counts)."""
    if pid <= 0:  # 0 and negatives would name process groups, not a process
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OverflowError:  # larger than any pid
        return False
    return True


def remove_stale_temps(out_path: str) -> list[str]:
    """Removes temporary files for `out_path` left by processes that are gone.

    A temporary name carries its writer's pid; a file whose pid is not a
    running process was left by a killed run. One carrying this process's own
    pid is stale too (a dead writer's pid, reused): this process has not
    created its own yet. Temporaries of live processes are left alone (they
    may be writing). Pids are per host and per pid namespace: two tools
    writing the same `OUT` from different containers could remove each other's
    temporary file, and the later rename then fails with an error.

    Returns:
      The paths removed.
    """
    folder, name = os.path.split(os.path.abspath(out_path))
    try:
        entries = os.listdir(folder)
    except OSError:  # the write that follows reports a missing or unreadable folder
        return []
    removed = []
    for entry in entries:
        if not entry.startswith(name):
            continue
        match = _TEMP_SUFFIX.fullmatch(entry[len(name) :])
        if match is None:
            continue
        pid = int(match.group(1))
        if pid != os.getpid() and _alive(pid):
            continue
        path = os.path.join(folder, entry)
        try:
            os.remove(path)
        except OSError:  # gone already, or a read-only folder: the write reports it
            continue
        removed.append(path)
    return removed


def fsync_dir(path: str) -> None:
    """Flushes the folder holding `path`, so that a rename into it survives a crash."""
    try:
        fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some filesystems cannot fsync a folder; the rename stands
        pass
    finally:
        os.close(fd)


def write_error(out_path: str, error: OSError) -> CliError | None:
    """A one-line error naming `out_path` for a failed write, or None for other errors."""
    if error.errno not in WRITE_ERRNOS:
        return None
    reason = error.strerror or os.strerror(error.errno)
    return CliError(f"{out_path}: cannot write: {reason}")
