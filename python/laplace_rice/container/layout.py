"""The `.lrc` container's fixed layout: magic numbers, version, dtype codes, the
packed records, the error type, and the one read helper every part shares.

These are the values docs/CONTAINER.md specifies; the header, the writer and
the reader take them from here, so that the three never disagree about a byte.
"""

from __future__ import annotations

import struct
from typing import BinaryIO

import numpy as np

__all__ = [
    "DTYPE_CODES",
    "END_MAGIC",
    "MAGIC",
    "MAX_NDIM",
    "MAX_STRING_BYTES",
    "VERSION",
    "ContainerError",
]

MAGIC = b"\x89LRC\r\n\x1a\n"
"""The first 8 bytes of every container (PNG-style: catches text-mode mangling)."""

END_MAGIC = b"LRC-END\n"
"""The last 8 bytes of every complete container."""

VERSION = 1
"""The container version this package writes and reads."""

MAX_NDIM = 32
MAX_STRING_BYTES = (1 << 32) - 1  # a unit's length is stored as uint32

# dtype code -> numpy dtype. The codes are part of the format: never renumber.
DTYPE_CODES: dict[int, np.dtype] = {
    1: np.dtype("int8"),
    2: np.dtype("int16"),
    3: np.dtype("int32"),
    4: np.dtype("int64"),
    5: np.dtype("uint8"),
    6: np.dtype("uint16"),
    7: np.dtype("uint32"),
    8: np.dtype("uint64"),
    9: np.dtype("float16"),
    10: np.dtype("float32"),
    11: np.dtype("float64"),
}
_CODE_OF_DTYPE = {dtype: code for code, dtype in DTYPE_CODES.items()}

# magic, version, dtype code, ndim, coding rank, flags, run_length_code, magnitude_code
_FIXED = struct.Struct("<8sHBBBBbb")
_TRAILER = struct.Struct("<II8s")  # table CRC32, payload CRC32, end magic
_FLAG_RUN_LENGTH_FOR_NON_ZEROS = 1


class ContainerError(ValueError):
    """A file is not a valid container: foreign, corrupt, truncated, or unsupported."""


def _read_exact(f: BinaryIO, count: int, what: str) -> bytes:
    # A short read means the file ends early: say where, as one ContainerError.
    data = f.read(count)
    if len(data) != count:
        raise ContainerError(f"truncated file: it ends inside the {what}")
    return data
