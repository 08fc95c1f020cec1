"""The `.lrc` container of the `laplace-rice` command line tool.

A container holds one array compressed unit by unit with the run-length
Rice/Gamma code: a header (magic number, version, dtype, shape, coding rank,
code parameters), the byte length of every coding unit's string, the strings,
and CRC32 checksums. docs/CONTAINER.md specifies the layout byte by byte.

This package reads and writes the container's framing only; it does no coding
and does not import TensorFlow, so `laplace-rice info` stays fast, and a
corrupt, truncated or foreign file is rejected before any decoding starts.
Writing streams: units are appended as they are encoded and their lengths are
written into a table reserved up front, so memory stays bounded by one chunk.

One module per job: `layout` (magic numbers, dtype codes, packed records, the
error type), `header` (`Header`, `read_header`), `writer` (`ContainerWriter`),
`reader` (`ContainerReader`). Import from `laplace_rice.container` itself: the
names below are the API, the modules' split is not.
"""

from __future__ import annotations

from laplace_rice.container.header import Header, read_header
from laplace_rice.container.layout import (
    DTYPE_CODES,
    MAGIC,
    VERSION,
    ContainerError,
)

# END_MAGIC, MAX_NDIM and MAX_STRING_BYTES were public attributes of the one-file
# module but not in __all__: re-exported as themselves, they stay importable
# from here while `import *` brings what it always did.
from laplace_rice.container.layout import END_MAGIC as END_MAGIC
from laplace_rice.container.layout import MAX_NDIM as MAX_NDIM
from laplace_rice.container.layout import MAX_STRING_BYTES as MAX_STRING_BYTES
from laplace_rice.container.reader import ContainerReader
from laplace_rice.container.writer import ContainerWriter

__all__ = [
    "ContainerError",
    "Header",
    "MAGIC",
    "VERSION",
    "ContainerWriter",
    "ContainerReader",
    "DTYPE_CODES",
    "read_header",
]
