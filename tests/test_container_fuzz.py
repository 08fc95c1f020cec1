"""Property-based fuzzing of the `.lrc` container reader (docs/CONTAINER.md).

`ContainerReader` reads files from outside; whatever their bytes, opening
one and reading all its units must either succeed or raise `ContainerError`
(never IndexError, struct.error, OverflowError, MemoryError, ...), and must
never allocate much more than the file's size: a forged unit count or length
must not make the reader reserve gigabytes (tracemalloc's peak is bounded by
a multiple of the file size).

Inputs: random bytes (with and without the magic number), and valid
containers made by `ContainerWriter`, then mutated: bit flips, truncation,
extension, and fields overwritten with edge values (0, 1, 2**31, 2**32 - 1,
2**63, 2**64 - 1, ...). Mutants are tried twice: as they are, and with every
CRC32 recomputed over the mutated bytes, so that a mutation of the header or
table reaches the checks behind the checksums instead of stopping at them.

LAPLACE_RICE_FUZZ_EXAMPLES (default 200) sets hypothesis' examples per test;
a longer campaign: LAPLACE_RICE_FUZZ_EXAMPLES=20000 pytest test_container_fuzz.py.
"""

from __future__ import annotations

import os
import struct
import tempfile
import tracemalloc
import zlib

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from laplace_rice.container import (
    DTYPE_CODES,
    MAGIC,
    ContainerError,
    ContainerReader,
    ContainerWriter,
    Header,
)

EXAMPLES = int(os.environ.get("LAPLACE_RICE_FUZZ_EXAMPLES", "200"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# tracemalloc's peak while reading may be at most this multiple of the file
# size plus a constant: the reader holds at most a few copies of one chunk
# (raw bytes, the int64 lengths made of them, the unit strings sliced out),
# never something sized by a number read from the file.
ALLOCATION_FACTOR = 4
ALLOCATION_SLACK = 256 << 10

TRAILER_SIZE = 16
FIXED_SIZE = 16
EDGE_U64 = [0, 1, 2, 255, 256, 2**31 - 1, 2**31, 2**32 - 1, 2**32, 2**63 - 1, 2**63, 2**64 - 1]


def read_all(path: str, chunk_bytes: int, max_units: int):
    """Opens a container and reads every unit; (header, strings)."""
    with ContainerReader(path, verify=True, chunk_bytes=chunk_bytes) as reader:
        strings = []
        for start, chunk in reader.iter_units(max_units):
            assert start == len(strings)
            strings += chunk
        assert len(strings) == reader.header.num_units
        return reader.header, strings


def check_reader(data: bytes, chunk_bytes: int = 1 << 24, max_units: int = 1 << 16):
    """The property: a result or ContainerError, and a bounded allocation.

    Returns the (header, strings) read, or None when the file was refused.
    """
    with tempfile.NamedTemporaryFile(suffix=".lrc", delete=False) as f:
        f.write(data)
        path = f.name
    try:
        tracemalloc.start()
        try:
            result = read_all(path, chunk_bytes, max_units)
        except ContainerError:
            result = None
        finally:
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
    finally:
        os.remove(path)
    limit = ALLOCATION_FACTOR * len(data) + ALLOCATION_SLACK
    assert peak <= limit, f"reading a {len(data)}-byte file allocated {peak} bytes"
    return result


def write_container(header: Header, strings: list[bytes]) -> bytes:
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "x.lrc")
        with ContainerWriter(path, header) as writer:
            # In two calls, as the CLI streams chunks.
            half = len(strings) // 2
            writer.write_units(strings[:half])
            writer.write_units(strings[half:])
        with open(path, "rb") as f:
            return f.read()


@st.composite
def containers(draw):
    """A valid container: (bytes, header, strings). Strings are any bytes:
    the container frames them and does not decode them."""
    ndim = draw(st.integers(0, 4))
    shape = tuple(draw(st.lists(st.integers(0, 4), min_size=ndim, max_size=ndim)))
    header = Header(
        dtype=DTYPE_CODES[draw(st.sampled_from(sorted(DTYPE_CODES)))],
        shape=shape,
        coding_rank=draw(st.integers(0, ndim)),
        run_length_code=draw(st.integers(-1, 31)),
        magnitude_code=draw(st.integers(-1, 31)),
        use_run_length_for_non_zeros=draw(st.booleans()),
    )
    strings = draw(
        st.lists(st.binary(max_size=24), min_size=header.num_units, max_size=header.num_units)
    )
    return write_container(header, strings), header, strings


def fix_checksums(data: bytearray) -> bytearray:
    """Recomputes the three CRC32s of a (mutated) container where its own
    fields say they are, so that parsing gets past them. Leaves the bytes
    alone where the fields make no sense (the reader must refuse it anyway)."""
    if len(data) < FIXED_SIZE:
        return data
    ndim = data[11]
    header_end = FIXED_SIZE + 8 * ndim + 8 + 4
    if header_end > len(data):
        return data
    struct.pack_into("<I", data, header_end - 4, zlib.crc32(data[: header_end - 4]))
    (units,) = struct.unpack_from("<Q", data, header_end - 12)
    table_end = header_end + 4 * units
    if table_end + TRAILER_SIZE > len(data):
        return data
    trailer = len(data) - TRAILER_SIZE
    struct.pack_into("<I", data, trailer, zlib.crc32(data[:table_end]))
    struct.pack_into("<I", data, trailer + 4, zlib.crc32(data[table_end:trailer]))
    return data


@st.composite
def mutations(draw, data: bytes) -> bytes:
    """One to four mutations of a container's bytes."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "truncate", "extend", "u64", "u32", "byte"]))
        if kind == "truncate" or not out:
            out = out[: draw(st.integers(0, max(0, len(out) - 1)))]
        elif kind == "extend":
            out += draw(st.binary(min_size=1, max_size=64))
        elif kind == "flip":
            i = draw(st.integers(0, len(out) - 1))
            out[i] ^= 1 << draw(st.integers(0, 7))
        elif kind == "byte":
            out[draw(st.integers(0, len(out) - 1))] = draw(st.integers(0, 255))
        else:
            size = 8 if kind == "u64" else 4
            if len(out) >= size:
                i = draw(st.integers(0, len(out) - size))
                value = draw(st.sampled_from(EDGE_U64)) & ((1 << (8 * size)) - 1)
                out[i : i + size] = value.to_bytes(size, "little")
    if draw(st.booleans()):
        out = fix_checksums(out)
    return bytes(out)


@FUZZ
@given(st.binary(max_size=4096), st.integers(4, 4096), st.integers(1, 64))
def test_random_bytes(data, chunk_bytes, max_units):
    check_reader(data, chunk_bytes, max_units)


@FUZZ
@given(st.binary(max_size=2048), st.booleans())
def test_random_bytes_after_the_magic_number(rest, fix):
    data = bytearray(MAGIC + rest)
    check_reader(bytes(fix_checksums(data) if fix else data))


@FUZZ
@given(containers(), st.integers(4, 256), st.integers(1, 8))
def test_valid_containers_read_back(container, chunk_bytes, max_units):
    data, header, strings = container
    result = check_reader(data, chunk_bytes, max_units)
    assert result is not None, "a container written by ContainerWriter was refused"
    assert result == (header, strings)


@FUZZ
@given(st.data())
def test_mutated_containers(data):
    container, _, _ = data.draw(containers())
    mutant = data.draw(mutations(container))
    check_reader(mutant, data.draw(st.integers(4, 256)), data.draw(st.integers(1, 8)))


@FUZZ
@given(st.data())
def test_forged_header_fields(data):
    """Header fields overwritten with edge values, CRCs made consistent: the
    unit count, the shape, ndim and the coding rank disagree with each other
    and with the file's size in every way."""
    container, header, _ = data.draw(containers())
    out = bytearray(container)
    ndim = len(header.shape)
    field = data.draw(st.sampled_from(["ndim", "rank", "dim", "units", "version", "codes"]))
    if field == "ndim":
        out[11] = data.draw(st.sampled_from([0, 1, ndim + 1, 32, 33, 255]))
    elif field == "rank":
        out[12] = data.draw(st.sampled_from([0, ndim, ndim + 1, 255]))
    elif field == "dim" and ndim:
        i = data.draw(st.integers(0, ndim - 1))
        struct.pack_into("<Q", out, FIXED_SIZE + 8 * i, data.draw(st.sampled_from(EDGE_U64)))
    elif field == "units":
        struct.pack_into("<Q", out, FIXED_SIZE + 8 * ndim, data.draw(st.sampled_from(EDGE_U64)))
    elif field == "version":
        struct.pack_into("<H", out, 8, data.draw(st.sampled_from([0, 2, 0xFFFF])))
    else:
        out[14] = data.draw(st.integers(0, 255))
        out[15] = data.draw(st.integers(0, 255))
    check_reader(bytes(fix_checksums(out)))


def test_a_forged_unit_count_allocates_nothing():
    """Hand-made: a header announcing 2**40 units of an empty shape product
    in a 60-byte file is refused before any table is read."""
    header = Header(dtype=np.dtype("int32"), shape=(3, 0), coding_rank=1)
    data = bytearray(write_container(header, [b"", b"", b""]))
    struct.pack_into("<Q", data, FIXED_SIZE, 2**40)  # dim 0
    struct.pack_into("<Q", data, FIXED_SIZE + 16, 2**40)  # num_units
    assert check_reader(bytes(fix_checksums(data))) is None


def test_tracemalloc_sees_numpy_allocations():
    """The allocation bound is live: the reader's arrays are NumPy's, and
    tracemalloc must see them (NumPy reports its buffers to it), or a reader
    reserving gigabytes in an array would pass unnoticed."""
    tracemalloc.start()
    try:
        np.ones(4 * ALLOCATION_SLACK, np.uint8)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak >= 4 * ALLOCATION_SLACK
