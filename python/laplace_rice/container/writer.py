"""Writes a `.lrc` container: `ContainerWriter`.

Writing streams: units are appended as they are encoded and their lengths are
written into a table reserved up front, so memory stays bounded by one chunk;
the file appears under its name only once it is complete.
"""

from __future__ import annotations

import os
import zlib

import numpy as np

from laplace_rice.container.header import Header
from laplace_rice.container.layout import (
    _TRAILER,
    END_MAGIC,
    MAX_STRING_BYTES,
    ContainerError,
)

__all__ = ["ContainerWriter"]


class ContainerWriter:
    """Writes a container, streaming coding units as they are encoded.

    The length table is reserved after the header, the strings are appended
    chunk by chunk, and each chunk's lengths are written into their slot of
    the table. The file is written under a temporary name and renamed into
    place by `close()`, so a failed run never leaves a partial container.

    Use as a context manager:

        with ContainerWriter(path, header) as writer:
            for strings in chunks:
                writer.write_units(strings)
    """

    def __init__(self, path: str | os.PathLike, header: Header, fsync: bool = False):
        """Creates the file and writes the header.

        Args:
          path: Where the container goes.
          header: The array's `Header`.
          fsync: Whether `close()` flushes the file to disk before the rename
            (the command line tool does; it costs a disk write per file).
        """
        self.header = header
        self._fsync = fsync
        self._path = os.fspath(path)
        self._tmp_path = f"{self._path}.tmp-{os.getpid()}"
        self._file = open(self._tmp_path, "wb")  # noqa: SIM115 (closed in close/abort)
        try:
            header_bytes = header.to_bytes()
            self._file.write(header_bytes)
            self._table_offset = len(header_bytes)
            self._payload_offset = self._table_offset + 4 * header.num_units
            self._file.truncate(self._payload_offset)
            self._file.seek(self._payload_offset)
        except BaseException:
            self.abort()
            raise
        self._units_written = 0
        self._payload_bytes = 0
        self._table_crc = zlib.crc32(header_bytes)
        self._payload_crc = 0

    def write_units(self, strings) -> None:
        """Appends the next coding units' strings.

        Args:
          strings: An iterable of `bytes`, one per coding unit, in row-major
            order of the batch dimensions.

        Raises:
          ContainerError: on more units than the header announces, or a string
            longer than 4 GiB - 1 bytes.
        """
        strings = list(strings)
        if self._units_written + len(strings) > self.header.num_units:
            raise ContainerError("more coding units than the shape holds")
        lengths = np.fromiter((len(s) for s in strings), dtype=np.uint64, count=len(strings))
        if lengths.size and int(lengths.max()) > MAX_STRING_BYTES:
            raise ContainerError("a coding unit's string exceeds 4 GiB; use a smaller coding rank")
        table = lengths.astype("<u4").tobytes()
        payload = b"".join(strings)
        self._file.write(payload)
        self._payload_crc = zlib.crc32(payload, self._payload_crc)
        self._payload_bytes += len(payload)
        self._file.seek(self._table_offset + 4 * self._units_written)
        self._file.write(table)
        self._file.seek(self._payload_offset + self._payload_bytes)
        self._table_crc = zlib.crc32(table, self._table_crc)
        self._units_written += len(strings)

    @property
    def payload_bytes(self) -> int:
        """Bytes of strings written so far."""
        return self._payload_bytes

    def close(self) -> None:
        """Writes the trailer and moves the file into place.

        Raises:
          ContainerError: if fewer units were written than the header announces.
        """
        if self._file.closed:
            return
        if self._units_written != self.header.num_units:
            self.abort()
            raise ContainerError(
                f"only {self._units_written} of {self.header.num_units} coding units written"
            )
        try:
            self._file.write(_TRAILER.pack(self._table_crc, self._payload_crc, END_MAGIC))
            if self._fsync:
                # On disk before the rename, so that a crash never leaves the
                # final name pointing at a file whose data was not written.
                self._file.flush()
                os.fsync(self._file.fileno())
            self._file.close()
            os.replace(self._tmp_path, self._path)
        except BaseException:  # a full disk, a size limit: no partial file left
            self.abort()
            raise

    def abort(self) -> None:
        """Closes and removes the partial file."""
        try:
            # Closing flushes the buffer, which fails again on a full disk;
            # the file is removed all the same.
            self._file.close()
        except OSError:
            pass
        finally:
            try:
                os.remove(self._tmp_path)
            except FileNotFoundError:
                pass

    def __enter__(self) -> ContainerWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
