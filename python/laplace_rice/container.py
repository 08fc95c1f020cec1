"""The `.lrc` container of the `laplace-rice` command line tool.

A container holds one array compressed unit by unit with the run-length
Rice/Gamma code: a header (magic number, version, dtype, shape, coding rank,
code parameters), the byte length of every coding unit's string, the strings,
and CRC32 checksums. docs/CONTAINER.md specifies the layout byte by byte.

This module reads and writes the container's framing only; it does no coding
and does not import TensorFlow, so `laplace-rice info` stays fast, and a
corrupt, truncated or foreign file is rejected before any decoding starts.
Writing streams: units are appended as they are encoded and their lengths are
written into a table reserved up front, so memory stays bounded by one chunk.
"""

from __future__ import annotations

import dataclasses
import math
import os
import struct
import zlib
from collections.abc import Iterator
from typing import BinaryIO

import numpy as np

from laplace_rice.params import GAMMA, MAX_RICE_PARAMETER, MAX_UNIT_SIZE, CodeParams

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

MAGIC = b"\x89LRC\r\n\x1a\n"
"""The first 8 bytes of every container (PNG-style: catches text-mode mangling)."""

END_MAGIC = b"LRC-END\n"
"""The last 8 bytes of every complete container."""

VERSION = 1
"""The container version this module writes and reads."""

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


@dataclasses.dataclass(frozen=True)
class Header:
    """What a container says about the array it holds.

    Attributes:
      dtype: numpy dtype of the original array (decompression restores it).
      shape: Shape of the original array.
      coding_rank: Number of innermost dimensions that form one coding unit.
      run_length_code: Rice parameter for run lengths, or negative for gamma.
      magnitude_code: Rice parameter for magnitudes, or negative for gamma.
      use_run_length_for_non_zeros: Whether runs of non-zeros are coded too.
    """

    dtype: np.dtype
    shape: tuple[int, ...]
    coding_rank: int
    run_length_code: int = -1
    magnitude_code: int = 0
    use_run_length_for_non_zeros: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "dtype", np.dtype(self.dtype))
        object.__setattr__(self, "shape", tuple(int(d) for d in self.shape))
        if self.dtype not in _CODE_OF_DTYPE:
            names = ", ".join(str(d) for d in DTYPE_CODES.values())
            raise ContainerError(f"unsupported dtype {self.dtype} (supported: {names})")
        if len(self.shape) > MAX_NDIM:
            raise ContainerError(f"arrays of rank {len(self.shape)} are not supported (max 32)")
        if any(d < 0 for d in self.shape):
            raise ContainerError(f"negative dimension in shape {self.shape}")
        if not 0 <= self.coding_rank <= len(self.shape):
            raise ContainerError(
                f"coding rank {self.coding_rank} must be between 0 and the array's "
                f"rank {len(self.shape)}"
            )
        try:
            params = CodeParams(
                self.run_length_code, self.magnitude_code, self.use_run_length_for_non_zeros
            )
        except (TypeError, ValueError) as error:
            raise ContainerError(str(error)) from None
        for name in ("run_length_code", "magnitude_code"):
            # The file stores gamma as -1 only: a byte below that is corruption.
            value = getattr(self, name)
            if value < GAMMA:
                raise ContainerError(
                    f"{name} must be -1 (gamma) or 0 to {MAX_RICE_PARAMETER}, got {value}"
                )
        for name, value in params.as_kwargs().items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "_params", params)
        if self.unit_size > MAX_UNIT_SIZE:
            raise ContainerError(
                f"a coding unit of shape {self.code_shape} has {self.unit_size} elements, "
                f"more than the codec's limit of {MAX_UNIT_SIZE}; use a smaller coding rank"
            )

    @property
    def code_shape(self) -> tuple[int, ...]:
        """Shape of one coding unit: the innermost `coding_rank` dimensions."""
        return self.shape[len(self.shape) - self.coding_rank :]

    @property
    def batch_shape(self) -> tuple[int, ...]:
        """The dimensions outside the coding unit."""
        return self.shape[: len(self.shape) - self.coding_rank]

    @property
    def num_units(self) -> int:
        """Number of coding units (one string each)."""
        return math.prod(self.batch_shape)

    @property
    def unit_size(self) -> int:
        """Number of elements in one coding unit."""
        return math.prod(self.code_shape)

    @property
    def size(self) -> int:
        """Number of elements of the array."""
        return math.prod(self.shape)

    @property
    def params(self) -> CodeParams:
        """The three code parameters, as one `CodeParams`."""
        return self._params

    def code_params(self) -> dict:
        """The three code parameters, as keyword arguments of `LaplaceEntropyModel`."""
        return self._params.as_kwargs()

    def to_bytes(self) -> bytes:
        """The header as stored, ending with its own CRC32.

        Returns:
          `bytes`: the fixed fields, the shape, the unit count and the CRC32.
        """
        flags = _FLAG_RUN_LENGTH_FOR_NON_ZEROS if self.use_run_length_for_non_zeros else 0
        body = _FIXED.pack(
            MAGIC,
            VERSION,
            _CODE_OF_DTYPE[self.dtype],
            len(self.shape),
            self.coding_rank,
            flags,
            self.run_length_code,
            self.magnitude_code,
        )
        body += struct.pack(f"<{len(self.shape)}QQ", *self.shape, self.num_units)
        return body + struct.pack("<I", zlib.crc32(body))

    @property
    def nbytes(self) -> int:
        """Size of the stored header in bytes."""
        return _FIXED.size + 8 * len(self.shape) + 8 + 4


def _read_exact(f: BinaryIO, count: int, what: str) -> bytes:
    data = f.read(count)
    if len(data) != count:
        raise ContainerError(f"truncated file: it ends inside the {what}")
    return data


def read_header(f: BinaryIO) -> Header:
    """Reads and checks a container's header from the start of `f`.

    Args:
      f: A binary file positioned at the container's first byte.

    Returns:
      The `Header`.

    Raises:
      ContainerError: if the file is not a container, is of another version,
        is truncated, or its header is corrupt.
    """
    fixed = f.read(_FIXED.size)
    if len(fixed) < len(MAGIC) or fixed[: len(MAGIC)] != MAGIC:
        raise ContainerError("not a laplace-rice container (bad magic number)")
    if len(fixed) != _FIXED.size:
        raise ContainerError("truncated file: it ends inside the header")
    _, version, dtype_code, ndim, rank, flags, rl_code, mag_code = _FIXED.unpack(fixed)
    if version != VERSION:
        raise ContainerError(
            f"container version {version} is not supported (this tool reads version {VERSION})"
        )
    if ndim > MAX_NDIM:
        raise ContainerError(f"corrupt header: rank {ndim} exceeds {MAX_NDIM}")
    rest = _read_exact(f, 8 * ndim + 8 + 4, "header")
    *shape, num_units, crc = struct.unpack(f"<{ndim}QQI", rest)
    if zlib.crc32(fixed + rest[:-4]) != crc:
        raise ContainerError("corrupt header: CRC32 mismatch")
    if dtype_code not in DTYPE_CODES:
        raise ContainerError(f"corrupt header: unknown dtype code {dtype_code}")
    if flags & ~_FLAG_RUN_LENGTH_FOR_NON_ZEROS:
        raise ContainerError(f"corrupt header: unknown flags 0x{flags:02x}")
    header = Header(
        dtype=DTYPE_CODES[dtype_code],
        shape=tuple(shape),
        coding_rank=rank,
        run_length_code=rl_code,
        magnitude_code=mag_code,
        use_run_length_for_non_zeros=bool(flags & _FLAG_RUN_LENGTH_FOR_NON_ZEROS),
    )
    if header.num_units != num_units:
        raise ContainerError(
            f"corrupt header: {num_units} units stored, the shape implies {header.num_units}"
        )
    return header


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
