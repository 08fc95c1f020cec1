"""Reading .npy arrays for the tool: the header, then coding units read with
plain bounded reads, chunk by chunk or as a sample.

The data is never memory-mapped: touching a mapped page beyond the end of a
file that shrank under the tool raises SIGBUS, which kills the process. A
short read is an error instead (`CliError`: one line, status 1).
"""

from __future__ import annotations

import dataclasses
import math
import mmap
import os
from collections.abc import Iterator

import numpy as np

from laplace_rice.cli.errors import CliError, one_line
from laplace_rice.container import Header

__all__ = [
    "DEFAULT_CHUNK_BYTES",
    "TUNE_SAMPLE_ELEMENTS",
    "NpyFile",
    "NpyReader",
    "default_coding_rank",
    "iter_chunks",
    "load_npy",
    "release_pages",
    "sample_units",
    "units_per_chunk",
]

DEFAULT_CHUNK_BYTES = 1 << 26
"""Array bytes coded per chunk: bounds the tool's memory on large arrays."""

TUNE_SAMPLE_ELEMENTS = 1 << 20
"""`tune` and `--auto` look at about this many elements (whole coding units)."""

_INT32 = np.iinfo(np.int32)

_COALESCE_BYTES = 1 << 16
"""Wanted bytes at most this far apart in the file are read in one call, the
bytes between them read and dropped: a sample spread over the file, or the
units of a Fortran-ordered chunk, would otherwise take a call per value."""

_SPAN_BYTES = 1 << 23
"""The most bytes one such call reads into a buffer of its own (the memory
the reader takes beside its chunk)."""

_ZIP_MAGIC = b"PK\x03\x04"  # an .npz archive is a zip file


def default_coding_rank(ndim: int) -> int:
    """The coding rank `compress` uses unless told: one unit per leading index.

    Args:
      ndim: The array's rank.

    Returns:
      `ndim - 1` for arrays of rank 2 or more (each entry along the first axis
      is a coding unit), else `ndim` (the whole array is one unit).
    """
    return ndim - 1 if ndim >= 2 else ndim


@dataclasses.dataclass(frozen=True)
class NpyFile:
    """A .npy file as its header describes it; the data stays in the file.

    Attributes:
      path: The file.
      dtype: The elements' dtype (its byte order as stored).
      shape: The array's shape.
      fortran_order: Whether the data is stored in Fortran (column-major)
        order.
      offset: Where the data starts in the file.
    """

    path: str
    dtype: np.dtype
    shape: tuple[int, ...]
    fortran_order: bool
    offset: int

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def nbytes(self) -> int:
        return self.size * self.dtype.itemsize


def _read_header(f, version: tuple[int, int]) -> tuple[tuple[int, ...], bool, np.dtype]:
    fmt = np.lib.format
    if version == (1, 0):
        return fmt.read_array_header_1_0(f)
    if version == (2, 0):
        return fmt.read_array_header_2_0(f)
    # Version 3.0 (UTF-8 field names) has no public reader; NumPy 1.x keeps
    # it in np.lib.format, 2.x in np.lib._format_impl.
    for module in (fmt, getattr(np.lib, "_format_impl", None)):
        read = getattr(module, "_read_array_header", None)
        if read is not None:
            return read(f, version)
    raise ValueError(f"format version {version[0]}.{version[1]} is not supported")


def load_npy(path: str) -> NpyFile:
    """Reads and checks the header of a .npy file (not its data).

    Raises:
      CliError: the file is missing, a directory, an .npz archive, not a .npy
        array that loads without pickle, or shorter than its header says.
    """
    try:
        with open(path, "rb") as f:
            if f.read(len(_ZIP_MAGIC)) == _ZIP_MAGIC:
                raise CliError(f"{path}: an .npz archive, not a .npy array")
            f.seek(0)
            version = np.lib.format.read_magic(f)
            shape, fortran_order, dtype = _read_header(f, version)
            offset = f.tell()
            file_size = os.fstat(f.fileno()).st_size
    except FileNotFoundError:
        raise CliError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CliError(f"{path}: is a directory") from None
    except (ValueError, OSError, EOFError) as error:
        raise CliError(f"{path}: not a readable .npy array ({one_line(error)})") from None
    if dtype.hasobject:
        raise CliError(
            f"{path}: not a readable .npy array (it holds Python objects, which need pickle)"
        )
    npy = NpyFile(str(path), dtype, tuple(int(d) for d in shape), bool(fortran_order), offset)
    if file_size - offset < npy.nbytes:
        raise CliError(
            f"{path}: not a readable .npy array (its header says {npy.nbytes} bytes of "
            f"data, the file holds {max(file_size - offset, 0)})"
        )
    return npy


class NpyReader:
    """Reads coding units of a .npy file with plain reads (`os.preadv`).

    Units are numbered in C order over `header.batch_shape`, whatever the
    file's order, and come back as `(n, *code_shape)` C-ordered arrays.

    A C-ordered file holds the units one after another: a run of units is one
    read straight into the result. A Fortran-ordered file holds, for each
    element of a unit (in Fortran order within the unit), that element of
    every unit (in Fortran order over the batch shape): a matrix of
    `unit_size` rows by `num_units` columns, each unit a column. The reader
    reads, for each row, the stretch of columns it needs (for many rows in
    one call when the stretches lie close together), picks the columns, and
    transposes each unit to C order.

    Use as a context manager (it holds the file open).
    """

    def __init__(self, npy: NpyFile, header: Header):
        self._npy = npy
        self._header = header
        try:
            self._fd = os.open(npy.path, os.O_RDONLY)
        except OSError as error:
            raise CliError(f"{npy.path}: cannot read: {one_line(error)}") from None

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> NpyReader:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    @property
    def transposes(self) -> bool:
        """Whether units are gathered and transposed (Fortran order, rank 2 or more)."""
        return self._npy.fortran_order and self._npy.ndim >= 2

    def read_units(self, picks: np.ndarray) -> np.ndarray:
        """Units `picks` (ascending unit numbers) as a `(len(picks), *code_shape)` array.

        Raises:
          CliError: the file ended before the data was read (it shrank while
            the tool read it), or a read failed.
        """
        picks = np.asarray(picks, dtype=np.int64)
        header = self._header
        if self.transposes:
            return self._read_columns(picks)
        out = np.empty((len(picks), *header.code_shape), dtype=self._npy.dtype)
        if out.size:
            rows = out.reshape(len(picks), header.unit_size).view(np.uint8)
            self._read_rows(picks, rows)
        return out

    # --------------------------------------------------------------- C order

    def _read_rows(self, picks: np.ndarray, out: np.ndarray) -> None:
        """Rows `picks` of the file's (num_units, unit bytes) matrix into `out`."""
        row_bytes = out.shape[1]
        for lo, hi in _segments(picks, row_bytes, keep_runs=True):
            first, last = int(picks[lo]), int(picks[hi - 1])
            position = self._npy.offset + first * row_bytes
            if last - first == hi - lo - 1:  # consecutive rows: straight into `out`
                self._pread(out[lo:hi].reshape(-1), position, picks[lo:hi])
            else:
                span = np.empty((last - first + 1, row_bytes), dtype=np.uint8)
                self._pread(span.reshape(-1), position, picks[lo:hi])
                out[lo:hi] = span[picks[lo:hi] - first]

    # --------------------------------------------------------- Fortran order

    def _read_columns(self, picks: np.ndarray) -> np.ndarray:
        """Units `picks` of a Fortran-ordered file, gathered and in C order."""
        header, npy = self._header, self._npy
        n, rows = len(picks), header.unit_size
        item = npy.dtype.itemsize
        # Row c, column b of the file: element c (Fortran order) of the unit
        # whose batch index has Fortran rank b.
        if len(header.batch_shape) <= 1:
            columns = picks
        else:
            index = np.unravel_index(picks, header.batch_shape)
            columns = np.ravel_multi_index(index, header.batch_shape, order="F")
        order = np.argsort(columns, kind="stable")
        columns = columns[order]
        gathered = np.empty((n, rows), dtype=npy.dtype)  # units in Fortran order
        if n and rows:
            for lo, hi in _segments(columns, item, keep_runs=False):
                self._read_column_stretch(columns[lo:hi], order[lo:hi], picks, gathered)
        code_rank = len(header.code_shape)
        if code_rank <= 1:
            return gathered.reshape(n, *header.code_shape)
        # Each unit from Fortran to C order: one copy of the chunk.
        as_stored = gathered.reshape(n, *header.code_shape[::-1])
        return np.ascontiguousarray(as_stored.transpose(0, *range(code_rank, 0, -1)))

    def _read_column_stretch(
        self, columns: np.ndarray, targets: np.ndarray, picks: np.ndarray, gathered: np.ndarray
    ) -> None:
        """Columns `columns` (ascending, close together) of every row into
        `gathered[targets]`, a block of rows at a time (so that each unit's
        row of `gathered` is written a block's worth of values at once)."""
        npy, header = self._npy, self._header
        item, rows, width = npy.dtype.itemsize, header.unit_size, header.num_units
        first, last = int(columns[0]), int(columns[-1])
        stretch = last - first + 1
        wanted = None if len(columns) == stretch else columns - first  # None: all
        begin = int(targets[0])
        in_order = bool(np.all(targets == np.arange(begin, begin + len(targets))))
        units = picks[np.sort(targets)]  # for the error message

        def scatter(block: np.ndarray, row: int) -> None:
            values = (block if wanted is None else block[:, wanted]).T
            if in_order:
                gathered[begin : begin + len(targets), row : row + len(block)] = values
            else:
                gathered[targets, row : row + len(block)] = values

        if (width - stretch) * item <= _COALESCE_BYTES:
            # Row c's stretch ends close to row c + 1's: one call reads the
            # stretches of many rows and what lies between them.
            per_call = max(1, _SPAN_BYTES // (width * item))
            for row in range(0, rows, per_call):
                count = min(per_call, rows - row)
                span = np.empty((count - 1) * width + stretch, dtype=npy.dtype)
                position = npy.offset + (row * width + first) * item
                self._pread(span.view(np.uint8), position, units)
                scatter(
                    np.lib.stride_tricks.as_strided(
                        span, shape=(count, stretch), strides=(width * item, item)
                    ),
                    row,
                )
        else:
            per_block = max(1, min(rows, _SPAN_BYTES // (stretch * item)))
            block = np.empty((per_block, stretch), dtype=npy.dtype)
            for row in range(0, rows, per_block):
                count = min(per_block, rows - row)
                for i in range(count):
                    position = npy.offset + ((row + i) * width + first) * item
                    self._pread(block[i].view(np.uint8), position, units)
                scatter(block[:count], row)

    # ----------------------------------------------------------------- reads

    def _pread(self, buffer: np.ndarray, position: int, units: np.ndarray) -> None:
        """Fills `buffer` (uint8) from the file at `position`; a short file is an error."""
        view = memoryview(buffer).cast("B")
        done = 0
        while done < len(view):
            try:
                got = os.preadv(self._fd, [view[done:]], position + done)
            except OSError as error:
                raise CliError(f"{self._npy.path}: cannot read: {one_line(error)}") from None
            if got == 0:
                raise CliError(self._truncated(position + done, units))
            done += got

    def _truncated(self, position: int, units: np.ndarray) -> str:
        npy, header = self._npy, self._header
        try:
            size = os.fstat(self._fd).st_size
        except OSError:
            size = position
        if self.transposes:
            where = f"while reading coding units {int(units[0])} to {int(units[-1])}"
        else:
            unit_bytes = max(header.unit_size * npy.dtype.itemsize, 1)
            where = f"inside coding unit {(position - npy.offset) // unit_bytes}"
        return f"{npy.path}: the file ends at byte {size}, {where} (truncated while it was read?)"


def _segments(indices: np.ndarray, stride: int, keep_runs: bool) -> Iterator[tuple[int, int]]:
    """Cuts ascending `indices` of items `stride` bytes apart into `[lo, hi)`
    stretches read one call each: gaps of at most _COALESCE_BYTES, spans of
    at most _SPAN_BYTES (or one item). With `keep_runs`, a stretch of
    consecutive items is left whole: it is read straight into place."""
    n = len(indices)
    if n == 0:
        return
    gaps = (np.diff(indices) - 1) * stride
    breaks = np.flatnonzero(gaps > _COALESCE_BYTES) + 1
    per_span = max(_SPAN_BYTES // max(stride, 1), 1)
    for lo, hi in zip(np.r_[0, breaks].tolist(), np.r_[breaks, n].tolist(), strict=True):
        if keep_runs and indices[hi - 1] - indices[lo] == hi - lo - 1:
            yield lo, hi
            continue
        while lo < hi:
            # At least one: indices[lo] itself is below the limit.
            end = lo + int(np.searchsorted(indices[lo:hi], indices[lo] + per_span))
            yield lo, end
            lo = end


def units_per_chunk(header: Header, chunk_bytes: int) -> int:
    """How many whole coding units make about `chunk_bytes` (at least one)."""
    unit_bytes = header.unit_size * header.dtype.itemsize
    # Cap the unit count too: each unit costs a Python bytes object.
    return max(1, min(chunk_bytes // max(unit_bytes, 1), 1 << 20))


def iter_chunks(
    npy: NpyFile, header: Header, chunk_bytes: int
) -> Iterator[tuple[int, int, np.ndarray]]:
    """Yields `(start, stop, units)`: the array's coding units, chunk by chunk.

    Each chunk is a `(stop - start, *code_shape)` array of about `chunk_bytes`
    read from the file with plain reads (`NpyReader`): memory stays at about
    a chunk plus an 8 MiB read buffer, also for Fortran order, where units of
    rank 2 or more are transposed through a copy and chunks are half as
    large to keep the total.

    Raises:
      CliError: the file became shorter than the array, or cannot be read.
    """
    with NpyReader(npy, header) as reader:
        if reader.transposes and len(header.code_shape) > 1:
            chunk_bytes //= 2  # the chunk is read, then copied in C order
        per_chunk = units_per_chunk(header, chunk_bytes)
        for start in range(0, header.num_units, per_chunk):
            stop = min(start + per_chunk, header.num_units)
            yield start, stop, reader.read_units(np.arange(start, stop))


def release_pages(array: np.ndarray, start: int, stop: int) -> None:
    """Drops bytes [start, stop) of a memory-mapped array from this process's memory.

    Pages of a mapped file that were read or written stay resident until the
    kernel needs the memory; dropping each chunk's pages once it is coded keeps
    the tool's resident size bounded by a chunk. The data is safe: a shared
    file mapping re-reads dropped pages from the (page-cached) file.
    """
    mm = getattr(array, "_mmap", None)
    if mm is None or not hasattr(mmap, "MADV_DONTNEED") or array.offset is None:
        return
    base = array.offset % mmap.ALLOCATIONGRANULARITY  # where the data starts in the map
    begin = (base + start) // mmap.PAGESIZE * mmap.PAGESIZE
    end = min(base + stop, len(mm))
    if end > begin:
        mm.madvise(mmap.MADV_DONTNEED, begin, end - begin)


def sample_units(npy: NpyFile, header: Header) -> np.ndarray:
    """Whole coding units spread evenly over the array, about TUNE_SAMPLE_ELEMENTS in all.

    The units are read with plain reads (`NpyReader`), like `iter_chunks`.

    Returns:
      An int32 array of shape (units taken, *code_shape), floats rounded
      half to even as `compress` rounds them.

    Raises:
      CliError: NaN, infinities, or values outside the int32 range; the file
        shrank while it was read.
    """
    count = header.num_units
    take = max(1, min(count, TUNE_SAMPLE_ELEMENTS // max(header.unit_size, 1)))
    picks = np.unique(np.linspace(0, count - 1, take).round().astype(np.int64))
    if count == 0:
        picks = picks[:0]
    with NpyReader(npy, header) as reader:
        sample = reader.read_units(picks)
    if sample.dtype.kind == "f":
        if not np.all(np.isfinite(sample)):
            raise CliError("the array holds NaN or infinite values, which cannot be coded")
        sample = np.rint(sample)
    if sample.size and (sample.min() < _INT32.min or sample.max() > _INT32.max):
        raise CliError("values do not fit the codec's int32 range")
    return sample.astype(np.int32)
