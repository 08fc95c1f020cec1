"""How the command line tool reports failures: one line, never a traceback."""

from __future__ import annotations

from laplace_rice.container import ContainerError

__all__ = ["CliError", "describe", "one_line"]


class CliError(Exception):
    """An error reported to the user as one line."""


def one_line(error: BaseException) -> str:
    """The first line of an error's message (its type's name when it has none)."""
    text = str(error).strip() or type(error).__name__
    line = text.splitlines()[0]
    # TensorFlow (the demo) prefixes the function node that failed; the message follows.
    if line.startswith("{{function_node") and "}}" in line:
        line = line.split("}}", 1)[1].strip()
    return line


def describe(error: Exception) -> str:
    """What `laplace-rice: error: ...` says about `error`."""
    if isinstance(error, (CliError, ContainerError)):
        return one_line(error)
    if isinstance(error, OSError) and error.filename is not None:
        return f"{error.filename}: {error.strerror or one_line(error)}"
    if isinstance(error, MemoryError):
        return "out of memory (try a smaller --chunk-bytes or coding rank)"
    return f"{type(error).__name__}: {one_line(error)}"
