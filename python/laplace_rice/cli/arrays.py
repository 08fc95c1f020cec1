"""Reading .npy arrays for the tool: memory mapping, coding-unit chunks, samples."""

from __future__ import annotations

import io
import mmap
import os
from collections.abc import Iterator

import numpy as np

from laplace_rice.cli.errors import CliError, one_line
from laplace_rice.container import Header

__all__ = [
    "DEFAULT_CHUNK_BYTES",
    "TUNE_SAMPLE_ELEMENTS",
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


def default_coding_rank(ndim: int) -> int:
    """The coding rank `compress` uses unless told: one unit per leading index.

    Args:
      ndim: The array's rank.

    Returns:
      `ndim - 1` for arrays of rank 2 or more (each entry along the first axis
      is a coding unit), else `ndim` (the whole array is one unit).
    """
    return ndim - 1 if ndim >= 2 else ndim


def load_npy(path: str) -> np.ndarray:
    """Memory-maps a .npy file (read-only); loads it when mapping is impossible.

    Raises:
      CliError: the file is missing, a directory, an .npz archive, or not a
        .npy array that loads without pickle.
    """
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except FileNotFoundError:
        raise CliError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CliError(f"{path}: is a directory") from None
    except (ValueError, OSError, EOFError) as error:
        raise CliError(f"{path}: not a readable .npy array ({one_line(error)})") from None
    if not isinstance(array, np.ndarray):  # an .npz archive
        raise CliError(f"{path}: an .npz archive, not a .npy array")
    return array


def _unit_view(array: np.ndarray, header: Header) -> np.ndarray | None:
    """A (num_units, *code_shape) view of `array` when one exists without copying."""
    try:
        view = array.view()
        view.shape = (header.num_units, *header.code_shape)
        return view
    except AttributeError:  # not C-contiguous: units are gathered chunk by chunk
        return None


def _gather(
    array: np.ndarray, units: np.ndarray | None, header: Header, start: int, stop: int
) -> np.ndarray:
    """Units [start, stop) as one (stop - start, *code_shape) array."""
    if units is not None:
        return np.asarray(units[start:stop])
    index = np.unravel_index(np.arange(start, stop), header.batch_shape)
    return np.asarray(array[index]).reshape(stop - start, *header.code_shape)


def units_per_chunk(header: Header, chunk_bytes: int) -> int:
    """How many whole coding units make about `chunk_bytes` (at least one)."""
    unit_bytes = header.unit_size * header.dtype.itemsize
    # Cap the unit count too: each unit costs a Python bytes object.
    return max(1, min(chunk_bytes // max(unit_bytes, 1), 1 << 20))


def iter_chunks(
    array: np.ndarray, header: Header, chunk_bytes: int, path: str | None = None
) -> Iterator[tuple[int, int, np.ndarray]]:
    """Yields `(start, stop, units)`: the array's coding units, chunk by chunk.

    Each chunk is a (stop - start, *code_shape) array. A memory-mapped
    C-ordered array is read from its file chunk by chunk instead of through
    the map: a file truncated while it is read then gives a short read (a
    `CliError`), where touching a mapped page past the end of the file raises
    SIGBUS, which kills the process. Otherwise (Fortran order) the map is
    used, and its pages are dropped once the caller has coded the chunk (when
    it asks for the next), so resident memory stays bounded by a chunk.

    Raises:
      CliError: the file became shorter than the array, or cannot be read.
    """
    units = _unit_view(array, header)
    per_chunk = units_per_chunk(header, chunk_bytes)
    unit_bytes = header.unit_size * header.dtype.itemsize
    source = _open_source(array, path) if units is not None else None
    try:
        for start in range(0, header.num_units, per_chunk):
            stop = min(start + per_chunk, header.num_units)
            if source is not None:
                chunk = _read_units(source, array, header, start, stop, path)
            else:
                chunk = _gather(array, units, header, start, stop)
            yield start, stop, chunk
            if units is not None and source is None:
                release_pages(array, start * unit_bytes, stop * unit_bytes)
    finally:
        if source is not None:
            source.close()


def _open_source(array: np.ndarray, path: str | None) -> io.FileIO | None:
    """The file behind a memory-mapped array, opened for reading; None if there is none."""
    filename = getattr(array, "filename", None)
    if not isinstance(array, np.memmap) or filename is None or array.offset is None:
        return None
    if not array.flags.c_contiguous:  # the file's bytes are not in unit order
        return None
    try:
        return io.FileIO(filename, "r")
    except OSError as error:
        raise CliError(f"{path or filename}: cannot read: {one_line(error)}") from None


def _read_units(
    source: io.FileIO,
    array: np.memmap,
    header: Header,
    start: int,
    stop: int,
    path: str | None,
) -> np.ndarray:
    """Units [start, stop) read from the file of a C-ordered memory-mapped array."""
    chunk = np.empty((stop - start, *header.code_shape), dtype=array.dtype)
    flat = chunk.reshape(-1).view(np.uint8)
    position = array.offset + start * header.unit_size * header.dtype.itemsize
    done = 0
    while done < flat.size:
        try:
            source.seek(position + done)
            got = source.readinto(flat[done:])
        except OSError as error:
            raise CliError(f"{path or source.name}: cannot read: {one_line(error)}") from None
        if not got:
            size = os.fstat(source.fileno()).st_size
            raise CliError(
                f"{path or source.name}: the file ends at byte {size}, inside coding unit "
                f"{start + done // max(header.unit_size * header.dtype.itemsize, 1)} "
                f"(truncated while it was read?)"
            )
        done += got
    return chunk


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


def sample_units(array: np.ndarray, header: Header) -> np.ndarray:
    """Whole coding units spread evenly over the array, about TUNE_SAMPLE_ELEMENTS in all.

    Returns:
      An int32 array of shape (units taken, *code_shape), floats rounded
      half to even as `compress` rounds them.

    Raises:
      CliError: NaN, infinities, or values outside the int32 range.
    """
    count = header.num_units
    take = max(1, min(count, TUNE_SAMPLE_ELEMENTS // max(header.unit_size, 1)))
    units = _unit_view(array, header)
    picks = np.unique(np.linspace(0, count - 1, take).round().astype(np.int64))
    parts = [_gather(array, units, header, int(i), int(i) + 1) for i in picks]
    sample = np.concatenate(parts) if parts else np.zeros((0, *header.code_shape))
    if sample.dtype.kind == "f":
        if not np.all(np.isfinite(sample)):
            raise CliError("the array holds NaN or infinite values, which cannot be coded")
        sample = np.rint(sample)
    if sample.size and (sample.min() < _INT32.min or sample.max() > _INT32.max):
        raise CliError("values do not fit the codec's int32 range")
    return sample.astype(np.int32)
