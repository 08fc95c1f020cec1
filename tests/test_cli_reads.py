"""How the command line tool reads .npy inputs: plain bounded reads, never a map.

`laplace_rice.cli.arrays` reads coding units with `os.preadv`, straight into
place for C order, and gathered and transposed for Fortran order; a file that
shrinks under it gives one error instead of SIGBUS (tests/test_cli_faults.py
runs those cases in child processes). These tests compare what it reads with
`np.load`, with the read sizes shrunk so that every read path runs on small
arrays, and truncate the file inside a read.
"""

from __future__ import annotations

import mmap
import os

import numpy as np
import pytest

from laplace_rice import cli
from laplace_rice.cli import arrays
from laplace_rice.cli.errors import CliError
from laplace_rice.container import ContainerReader, Header

SHAPES = [(), (0,), (3, 0), (0, 4, 4), (1,), (17,), (40, 16), (6, 7, 8), (5, 4, 3, 2)]

# (_COALESCE_BYTES, _SPAN_BYTES): the defaults; gaps read through, spans cut
# into pieces of a few values; nothing coalesced, one value per span; spans
# smaller than one value.
READ_SIZES = [(1 << 16, 1 << 23), (8, 64), (0, 16), (1 << 30, 8)]


def _save(tmp_path, array: np.ndarray, order: str) -> arrays.NpyFile:
    array = np.array(array, order=order)  # (np.asfortranarray makes 0-d arrays 1-d)
    path = tmp_path / "a.npy"
    np.save(path, array)
    npy = arrays.load_npy(str(path))
    # np.save writes Fortran order only for arrays that are not C-contiguous
    # too (rank 2 or more, not empty).
    assert npy.fortran_order == (order == "F" and not array.flags.c_contiguous)
    return npy


@pytest.fixture(params=READ_SIZES, ids=["default", "small", "none", "tiny"])
def read_sizes(request, monkeypatch):
    coalesce, span = request.param
    monkeypatch.setattr(arrays, "_COALESCE_BYTES", coalesce)
    monkeypatch.setattr(arrays, "_SPAN_BYTES", span)


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_chunks_are_the_units_np_load_sees(tmp_path, read_sizes, shape, order):
    rng = np.random.default_rng(len(shape))
    for dtype in (np.int16, np.float64):
        array = rng.integers(-100, 100, size=shape).astype(dtype)
        npy = _save(tmp_path, array, order)
        assert (npy.dtype, npy.shape, npy.nbytes) == (array.dtype, array.shape, array.nbytes)
        for rank in range(len(shape) + 1):
            header = Header(array.dtype, array.shape, rank)
            expected = array.reshape(header.num_units, *header.code_shape)
            for chunk_bytes in (1, 50, 1 << 26):
                chunks = list(arrays.iter_chunks(npy, header, chunk_bytes))
                assert [start for start, _, _ in chunks] == [
                    stop - len(units) for _, stop, units in chunks
                ]
                if header.num_units == 0:
                    assert chunks == []
                    continue
                assert chunks[-1][1] == header.num_units
                for start, stop, units in chunks:
                    assert units.flags.c_contiguous and units.dtype == array.dtype
                    np.testing.assert_array_equal(units, expected[start:stop])


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("shape", [(300, 20), (50, 6, 7), (13, 11, 9), (1000,)], ids=str)
@pytest.mark.parametrize("elements", [1, 7, 64, 500])
def test_samples_are_the_units_np_load_sees(
    tmp_path, monkeypatch, read_sizes, shape, order, elements
):
    """Samples spread over the file: picks far apart, close together, every unit."""
    monkeypatch.setattr(arrays, "TUNE_SAMPLE_ELEMENTS", elements)
    array = np.random.default_rng(7).laplace(scale=20.0, size=shape).astype(np.float32)
    npy = _save(tmp_path, array, order)
    for rank in range(len(shape) + 1):
        header = Header(array.dtype, array.shape, rank)
        units = array.reshape(header.num_units, *header.code_shape)
        take = max(1, min(header.num_units, elements // max(header.unit_size, 1)))
        picks = np.unique(np.linspace(0, header.num_units - 1, take).round().astype(np.int64))
        sample = arrays.sample_units(npy, header)
        assert sample.dtype == np.int32
        np.testing.assert_array_equal(sample, np.rint(units[picks]).astype(np.int32))


@pytest.mark.parametrize(
    "order, rank, calls",
    [
        ("C", 1, 1),  # the first chunk's read comes back short
        ("C", 1, 3),
        ("F", 1, 1),
        ("F", 1, 5),
        ("F", 2, 1),  # units transposed
        ("F", 2, 40),
    ],
)
def test_a_file_truncated_inside_a_read_is_an_error(tmp_path, monkeypatch, order, rank, calls):
    """The file loses its second half just before read call `calls`: the read
    comes back short or empty, and the reader says so (no SIGBUS, no hang)."""
    array = np.random.default_rng(0).laplace(scale=2.0, size=(32, 32, 32)).astype(np.float32)
    npy = _save(tmp_path, array, order)
    header = Header(array.dtype, array.shape, rank)
    monkeypatch.setattr(arrays, "_SPAN_BYTES", 4096)  # many calls per chunk
    preadv, seen = os.preadv, []

    def truncate_then_read(fd, buffers, offset):
        seen.append(offset)
        if len(seen) == calls:
            os.truncate(npy.path, os.path.getsize(npy.path) // 2)
        return preadv(fd, buffers, offset)

    monkeypatch.setattr(arrays.os, "preadv", truncate_then_read)
    with pytest.raises(CliError, match="truncated while it was read") as error:
        for _ in arrays.iter_chunks(npy, header, 1 << 14):
            pass
    assert str(error.value).startswith(f"{npy.path}: the file ends at byte ")
    assert len(seen) >= calls


@pytest.mark.parametrize("order", ["C", "F"])
def test_inputs_are_never_memory_mapped(tmp_path, monkeypatch, capsys, order):
    """compress, tune and compress --auto read the input without a map (decompress
    still writes its output through one, with the disk blocks reserved first)."""
    array = np.random.default_rng(1).laplace(scale=3.0, size=(64, 32, 16)).astype(np.float32)
    npy = _save(tmp_path, array, order)

    def no_map(*args, **kwargs):
        raise AssertionError("the input was memory-mapped")

    with monkeypatch.context() as patched:
        patched.setattr(mmap, "mmap", no_map)
        patched.setattr(np, "memmap", no_map)
        for argv in (
            ["compress", npy.path, str(tmp_path / "a.lrc"), "--chunk-bytes", "5000"],
            ["compress", npy.path, str(tmp_path / "b.lrc"), "--coding-rank", "1", "--auto"],
            ["tune", npy.path, "--coding-rank", "2"],
        ):
            assert cli.main(argv) == 0, capsys.readouterr().err
    capsys.readouterr()
    with ContainerReader(tmp_path / "a.lrc") as reader:
        assert reader.header.shape == array.shape
    assert cli.main(["decompress", str(tmp_path / "a.lrc"), str(tmp_path / "a2.npy")]) == 0
    np.testing.assert_array_equal(np.load(tmp_path / "a2.npy"), np.rint(array))


def test_headers_that_are_refused(tmp_path):
    np.savez(tmp_path / "z.npz", a=np.zeros(3))
    with pytest.raises(CliError, match="an .npz archive"):
        arrays.load_npy(str(tmp_path / "z.npz"))
    np.save(tmp_path / "o.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(CliError, match="not a readable .npy array.*pickle"):
        arrays.load_npy(str(tmp_path / "o.npy"))
    np.save(tmp_path / "s.npy", np.zeros((4, 4), np.int32))
    os.truncate(tmp_path / "s.npy", os.path.getsize(tmp_path / "s.npy") - 4)
    with pytest.raises(CliError, match="header says 64 bytes of data, the file holds 60"):
        arrays.load_npy(str(tmp_path / "s.npy"))
    (tmp_path / "e.npy").write_bytes(b"")
    with pytest.raises(CliError, match="not a readable .npy array"):
        arrays.load_npy(str(tmp_path / "e.npy"))
