"""The compress and decompress pipelines: .npy <-> container, chunk by chunk, on the codec."""

from __future__ import annotations

import errno
import os

import numpy as np

from laplace_rice import codec
from laplace_rice.cli.arrays import (
    DEFAULT_CHUNK_BYTES,
    default_coding_rank,
    iter_chunks,
    load_npy,
    release_pages,
    units_per_chunk,
)
from laplace_rice.cli.errors import CliError, one_line
from laplace_rice.cli.outputs import fsync_dir, remove_stale_temps, temp_path, write_error
from laplace_rice.container import ContainerReader, ContainerWriter, Header
from laplace_rice.progress import Progress, progress_for

__all__ = ["PROGRESS_MIN_BYTES", "compress_file", "decompress_file"]

PROGRESS_MIN_BYTES = 1 << 26
"""Inputs at least this large show a progress bar."""

_TRAILER_BYTES = 16  # table CRC32, strings CRC32, end magic


def compress_file(
    in_path: str,
    out_path: str,
    coding_rank: int | None = None,
    run_length_code: int = -1,
    magnitude_code: int = 0,
    use_run_length_for_non_zeros: bool = False,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    progress: bool | None = None,
) -> tuple[Header, int]:
    """Compresses a .npy array into a container, streaming it chunk by chunk.

    Floating-point values are rounded to integers (half to even), as
    `LaplaceEntropyModel.compress()` does; integers are coded exactly. The
    strings are those of `LaplaceEntropyModel.compress()` (the same codec).

    Args:
      in_path: The .npy file (read a chunk at a time, so it may exceed RAM).
      out_path: The container to write.
      coding_rank: Innermost dimensions per coding unit; `None` picks
        `default_coding_rank(ndim)`.
      run_length_code: Rice parameter for run lengths, or -1 for gamma.
      magnitude_code: Rice parameter for magnitudes, or -1 for gamma.
      use_run_length_for_non_zeros: Whether runs of non-zeros are coded too.
      chunk_bytes: Input bytes coded per step (whole units; at least one).
      progress: Show a progress bar (`None`: only for inputs of 64 MiB or more).

    Returns:
      `(header, container_size_in_bytes)`.

    Raises:
      CliError: if the input cannot be read or coded (or shrinks while it is
        read), or the output cannot be written (a full disk, a file size
        limit, a read-only folder).
      ContainerError: if the array or the parameters cannot be stored in a
        container.
    """
    npy = load_npy(in_path)
    if coding_rank is None:
        coding_rank = default_coding_rank(npy.ndim)
    header = Header(
        dtype=npy.dtype,
        shape=npy.shape,
        coding_rank=coding_rank,
        run_length_code=run_length_code,
        magnitude_code=magnitude_code,
        use_run_length_for_non_zeros=use_run_length_for_non_zeros,
    )
    params = header.params.as_kwargs()
    unit_bytes = header.unit_size * header.dtype.itemsize
    bar = progress_for(progress, npy.nbytes, "compress", PROGRESS_MIN_BYTES)
    remove_stale_temps(out_path)
    # ContainerWriter writes OUT.tmp-<pid>, fsyncs it and renames it over OUT;
    # on any error it removes the temporary file.
    try:
        with ContainerWriter(out_path, header, fsync=True) as writer:
            for start, stop, units in iter_chunks(npy, header, chunk_bytes):
                try:
                    strings = codec.encode_batch(units, **params)
                except ValueError as error:  # NaN, infinity, or outside int32
                    raise CliError(
                        f"{in_path}: cannot compress coding units {start} to {stop - 1}: "
                        f"{one_line(error)}"
                    ) from None
                writer.write_units(strings)
                bar.update(stop * unit_bytes, f"{stop}/{header.num_units} units")
            size = header.nbytes + 4 * header.num_units + writer.payload_bytes + _TRAILER_BYTES
    except OSError as error:  # reading errors are CliErrors by now: this is the output
        raise (write_error(out_path, error) or error) from None
    fsync_dir(out_path)
    bar.close(f"{header.num_units} units")
    return header, size


def decompress_file(
    in_path: str,
    out_path: str,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    progress: bool | None = None,
) -> Header:
    """Decompresses a container into a .npy file, chunk by chunk.

    The container's framing and checksums are checked before anything is
    decoded; the output is written under a temporary name (its disk blocks
    reserved first, so that a full disk is an error rather than SIGBUS in the
    memory map), fsynced, and renamed into place only when every unit decoded.

    Args:
      in_path: The container.
      out_path: The .npy file to write (the original dtype and shape).
      chunk_bytes: Output bytes decoded per step (whole units; at least one).
      progress: Show a progress bar (`None`: only for outputs of 64 MiB or more).

    Returns:
      The container's `Header`.

    Raises:
      ContainerError: if the container is corrupt, truncated or foreign.
      CliError: if a string does not decode, or the output cannot be written
        (a full disk, a file size limit, a read-only folder).
    """
    with ContainerReader(in_path) as reader:
        header = reader.header
        remove_stale_temps(out_path)
        tmp_path = temp_path(out_path, ".npy")
        bar = progress_for(
            progress, header.size * header.dtype.itemsize, "decompress", PROGRESS_MIN_BYTES
        )
        try:
            if header.size == 0:
                with open(tmp_path, "wb") as f:
                    np.save(f, np.zeros(header.shape, dtype=header.dtype))
                    f.flush()
                    os.fsync(f.fileno())
            else:
                _decode_into(reader, in_path, tmp_path, chunk_bytes, bar)
            os.replace(tmp_path, out_path)
        except BaseException as error:  # every way out but a kill removes the temporary file
            try:
                os.remove(tmp_path)
            except OSError:
                pass
            if isinstance(error, OSError):
                raise (write_error(out_path, error) or error) from None
            raise
        fsync_dir(out_path)
        bar.close(f"{header.num_units} units")
    return header


def _decode_into(
    reader: ContainerReader, in_path: str, tmp_path: str, chunk_bytes: int, bar: Progress
) -> None:
    """Decodes every unit of `reader` into a new memory-mapped .npy at `tmp_path`."""
    header = reader.header
    params = header.params.as_kwargs()
    out = np.lib.format.open_memmap(tmp_path, mode="w+", dtype=header.dtype, shape=header.shape)
    _allocate(tmp_path)
    units = out.reshape(header.num_units, *header.code_shape)
    unit_bytes = header.unit_size * header.dtype.itemsize
    for start, strings in reader.iter_units(units_per_chunk(header, chunk_bytes)):
        stop = start + len(strings)
        try:
            values = codec.decode_batch(strings, header.code_shape, **params)
        except ValueError as error:
            raise CliError(
                f"{in_path}: corrupt data in coding units {start} to {stop - 1}: {one_line(error)}"
            ) from None
        units[start:stop] = values
        release_pages(out, start * unit_bytes, stop * unit_bytes)
        bar.update(stop * unit_bytes, f"{stop}/{header.num_units} units")
    out.flush()  # msync: the data reaches the file before the fsync below
    del units, out
    with open(tmp_path, "rb+") as f:
        os.fsync(f.fileno())


def _allocate(path: str) -> None:
    """Reserves the disk blocks of the (sparse) file at `path` before it is written.

    The output is written through a memory map; a page that the filesystem
    cannot store (a full disk) is not an error but SIGBUS, which kills the
    process. Allocating first turns a full disk into ENOSPC here.
    """
    with open(path, "rb+") as f:
        size = os.fstat(f.fileno()).st_size
        try:
            os.posix_fallocate(f.fileno(), 0, size)
        except OSError as error:
            # A filesystem without fallocate: glibc writes the blocks itself,
            # but a few refuse even that; the map is then written unreserved.
            if error.errno not in (errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS):
                raise
