"""Reads a `.lrc` container: `ContainerReader`.

The framing is checked when the file is opened (the header, the sizes, the
length table, and the strings' CRC32 unless `verify=False`), before any
decoding, so that a corrupt, truncated or foreign file is rejected with a
`ContainerError` up front; the strings are then read back chunk by chunk.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator

import numpy as np

from laplace_rice.container.header import read_header
from laplace_rice.container.layout import _TRAILER, END_MAGIC, ContainerError, _read_exact

__all__ = ["ContainerReader"]


class ContainerReader:
    """Opens a container and checks its framing and checksums.

    Opening reads the header, then the length table in chunks (checking its
    CRC32 and that the file's size matches), then the strings (checking their
    CRC32), so a corrupt or truncated file is rejected before any decoding.
    Memory stays bounded: the table and strings are read again, chunk by
    chunk, by `iter_units()`.
    """

    def __init__(self, path: str | os.PathLike, verify: bool = True, chunk_bytes: int = 1 << 24):
        """Opens and checks the container at `path`.

        Args:
          path: The container file.
          verify: Whether to check the strings' CRC32 now (the header's and the
            table's are always checked).
          chunk_bytes: How many bytes to read at a time.

        Raises:
          ContainerError: if the file is not a valid container.
          OSError: if it cannot be read.
        """
        self._file = open(path, "rb")  # noqa: SIM115 (closed in close())
        try:
            self._open(verify, max(int(chunk_bytes), 4))
        except BaseException:
            self._file.close()
            raise

    def _open(self, verify: bool, chunk_bytes: int) -> None:
        f = self._file
        file_size = os.fstat(f.fileno()).st_size
        self.header = read_header(f)
        self.chunk_bytes = chunk_bytes
        self._table_offset = self.header.nbytes
        units = self.header.num_units
        # Checked before reading the table, so a forged unit count costs nothing.
        if self._table_offset + 4 * units + _TRAILER.size > file_size:
            raise ContainerError(
                f"truncated file: {file_size} bytes cannot hold the table of {units} units"
            )
        crc = zlib.crc32(self.header.to_bytes())
        self.payload_bytes = 0
        self.min_unit_bytes = None if units == 0 else 1 << 62
        self.max_unit_bytes = None if units == 0 else 0
        for lengths, raw in self._iter_tables():
            crc = zlib.crc32(raw, crc)
            self.payload_bytes += int(lengths.sum())
            self.min_unit_bytes = min(self.min_unit_bytes, int(lengths.min()))
            self.max_unit_bytes = max(self.max_unit_bytes, int(lengths.max()))
        self._payload_offset = self._table_offset + 4 * units
        expected = self._payload_offset + self.payload_bytes + _TRAILER.size
        if file_size < expected:
            raise ContainerError(f"truncated file: {file_size} bytes, expected {expected}")
        if file_size > expected:
            raise ContainerError(
                f"corrupt file: {file_size - expected} unexpected bytes (expected {expected})"
            )
        f.seek(expected - _TRAILER.size)
        table_crc, self._payload_crc, end = _TRAILER.unpack(f.read(_TRAILER.size))
        if end != END_MAGIC:
            raise ContainerError("corrupt file: bad end marker")
        if table_crc != crc:
            raise ContainerError("corrupt file: CRC32 mismatch in the length table")
        self.verified = False
        if verify:
            self.verify_payload()

    def _iter_tables(self) -> Iterator[tuple[np.ndarray, bytes]]:
        per_chunk = max(1, self.chunk_bytes // 4)
        self._file.seek(self._table_offset)
        for start in range(0, self.header.num_units, per_chunk):
            count = min(per_chunk, self.header.num_units - start)
            raw = _read_exact(self._file, 4 * count, "length table")
            yield np.frombuffer(raw, dtype="<u4").astype(np.int64), raw

    def verify_payload(self) -> None:
        """Checks the strings' CRC32.

        Raises:
          ContainerError: on a mismatch.
        """
        self._file.seek(self._payload_offset)
        crc, left = 0, self.payload_bytes
        while left:
            data = _read_exact(self._file, min(left, self.chunk_bytes), "strings")
            crc = zlib.crc32(data, crc)
            left -= len(data)
        if crc != self._payload_crc:
            raise ContainerError("corrupt file: CRC32 mismatch in the compressed strings")
        self.verified = True

    def iter_units(self, max_units: int) -> Iterator[tuple[int, list[bytes]]]:
        """Yields the strings in chunks.

        Args:
          max_units: The most units per chunk.

        Yields:
          `(first_unit_index, strings)` with `strings` a list of `bytes`.
        """
        per_chunk = max(1, int(max_units))
        table = self._iter_tables()
        lengths = np.zeros(0, dtype=np.int64)
        table_position = self._table_offset
        payload_position = self._payload_offset
        for start in range(0, self.header.num_units, per_chunk):
            count = min(per_chunk, self.header.num_units - start)
            while lengths.size < count:
                self._file.seek(table_position)
                more, raw = next(table)
                table_position += len(raw)
                lengths = np.concatenate([lengths, more])
            chunk, lengths = lengths[:count], lengths[count:]
            self._file.seek(payload_position)
            total = int(chunk.sum())
            data = _read_exact(self._file, total, "strings")
            payload_position += total
            ends = np.cumsum(chunk)
            starts = ends - chunk
            yield start, [data[s:e] for s, e in zip(starts.tolist(), ends.tolist(), strict=True)]

    def close(self) -> None:
        """Closes the file."""
        self._file.close()

    def __enter__(self) -> ContainerReader:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close()
