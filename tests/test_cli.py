"""The `laplace-rice` command line tool and its container format."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest

from laplace_rice import cli
from laplace_rice.container import (
    MAGIC,
    ContainerError,
    ContainerReader,
    ContainerWriter,
    Header,
)


def _laplace(shape, scale=2.0, dtype=np.float32, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).laplace(scale=scale, size=shape).astype(dtype)


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _expect_one_line_error(capsys, *argv, match: str = "") -> str:
    code, _, err = _run(capsys, *argv)
    assert code == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("laplace-rice: error: "), err
    assert "Traceback" not in err
    assert match.lower() in lines[0].lower(), lines[0]
    return lines[0]


def _round_trip(capsys, tmp_path, array: np.ndarray, *flags) -> np.ndarray:
    src, packed, dst = tmp_path / "in.npy", tmp_path / "x.lrc", tmp_path / "out.npy"
    np.save(src, array)
    code, out, err = _run(capsys, "compress", src, packed, *flags)
    assert code == 0, err
    assert "bits/element" in out
    code, _, err = _run(capsys, "decompress", packed, dst)
    assert code == 0, err
    restored = np.load(dst)
    assert restored.dtype == array.dtype
    assert restored.shape == array.shape
    return restored


@pytest.fixture
def container(tmp_path, capsys):
    """A small valid container, and the array it holds."""
    array = np.round(_laplace((6, 5, 7))).astype(np.int32)
    np.save(tmp_path / "a.npy", array)
    assert cli.main(["compress", str(tmp_path / "a.npy"), str(tmp_path / "a.lrc")]) == 0
    capsys.readouterr()
    return tmp_path / "a.lrc", array


# ------------------------------------------------------------------------ round trips


@pytest.mark.parametrize(
    "dtype", ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]
)
def test_integers_round_trip_exactly(capsys, tmp_path, dtype):
    info = np.iinfo(dtype)
    values = np.clip(np.round(_laplace((4, 3, 50), scale=5.0, dtype=np.float64)), info.min, None)
    array = values.astype(dtype)
    np.testing.assert_array_equal(_round_trip(capsys, tmp_path, array), array)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_floats_come_back_rounded_half_to_even(capsys, tmp_path, dtype):
    array = _laplace((3, 8, 8), dtype=dtype)
    array.flat[:4] = [0.5, 1.5, -2.5, 2.4999]
    restored = _round_trip(capsys, tmp_path, array)
    np.testing.assert_array_equal(restored, np.rint(array))
    assert list(restored.flat[:4]) == [0.0, 2.0, -2.0, 2.0]


@pytest.mark.parametrize(
    "flags",
    [
        ["--run-length-code", "2", "--magnitude-code", "-1"],
        ["--run-length-code", "0", "--magnitude-code", "3", "--use-run-length-for-non-zeros"],
        ["--coding-rank", "0"],
        ["--coding-rank", "3"],
        ["--coding-rank", "1", "--chunk-bytes", "100"],  # many chunks
    ],
)
def test_parameters_and_chunking_round_trip(capsys, tmp_path, flags):
    array = np.round(_laplace((5, 4, 33), scale=3.0)).astype(np.int16)
    np.testing.assert_array_equal(_round_trip(capsys, tmp_path, array, *flags), array)


def test_chunked_output_equals_one_chunk(capsys, tmp_path):
    array = np.round(_laplace((40, 16))).astype(np.int32)
    np.save(tmp_path / "a.npy", array)
    for name, chunk in (("one.lrc", "1000000"), ("many.lrc", "64")):
        assert cli.main(["compress", str(tmp_path / "a.npy"), str(tmp_path / name),
                         "--chunk-bytes", chunk]) == 0  # fmt: skip
    capsys.readouterr()
    assert (tmp_path / "one.lrc").read_bytes() == (tmp_path / "many.lrc").read_bytes()


@pytest.mark.parametrize("shape", [(), (0,), (3, 0), (0, 4, 4), (1,), (17,)])
def test_edge_shapes_round_trip(capsys, tmp_path, shape):
    array = np.round(_laplace(shape)).astype(np.int32)
    np.testing.assert_array_equal(_round_trip(capsys, tmp_path, array), array)


def test_fortran_order_and_strided_inputs(capsys, tmp_path):
    array = np.asfortranarray(np.round(_laplace((6, 7, 8))).astype(np.int32))
    np.testing.assert_array_equal(
        _round_trip(capsys, tmp_path, array, "--chunk-bytes", "200"), array
    )


def test_strings_match_the_entropy_model(capsys, tmp_path, container):
    import tensorflow as tf

    from laplace_rice import LaplaceEntropyModel

    path, array = container
    model = LaplaceEntropyModel(coding_rank=2, bottleneck_dtype=tf.float32)
    expected = [bytes(s) for s in model.compress(array.astype(np.float32)).numpy()]
    with ContainerReader(path) as reader:
        strings = [s for _, chunk in reader.iter_units(4) for s in chunk]
    assert strings == expected


def test_progress_is_shown_when_asked(capsys, tmp_path):
    np.save(tmp_path / "a.npy", np.zeros((8, 8), np.int32))
    code, _, err = _run(capsys, "compress", tmp_path / "a.npy", tmp_path / "a.lrc",
                        "--progress", "--chunk-bytes", "32")  # fmt: skip
    assert code == 0
    assert "compress [" in err and "100%" in err and "8 units" in err


# ------------------------------------------------------------------------------ info


def test_info_describes_the_container(capsys, container):
    path, array = container
    code, out, _ = _run(capsys, "info", path)
    assert code == 0
    assert "dtype" in out and "int32" in out
    assert "[6, 5, 7]" in out
    assert "coding rank                   2 (unit shape [5, 7])" in out
    assert "coding units                  6" in out
    assert "run_length_code               -1 (Elias gamma)" in out
    assert "magnitude_code                0 (Rice, k=0)" in out
    assert f"file size                     {os.path.getsize(path)} bytes" in out
    assert "CRC32" in out and "OK" in out


# ------------------------------------------------- corrupt, truncated and foreign files


def test_every_truncation_is_rejected(container):
    path, _ = container
    data = path.read_bytes()
    for size in range(len(data)):
        path.write_bytes(data[:size])
        with pytest.raises(ContainerError):
            ContainerReader(path).close()


def test_every_flipped_bit_is_rejected(container):
    path, _ = container
    data = bytearray(path.read_bytes())
    for i in range(len(data)):
        for bit in (0, 7):
            data[i] ^= 1 << bit
            path.write_bytes(bytes(data))
            with pytest.raises(ContainerError):
                ContainerReader(path).close()
            data[i] ^= 1 << bit


@pytest.mark.parametrize("command", ["info", "decompress"])
@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda d: d[:40], "truncated"),
        (lambda d: d[:-1], "truncated"),
        (lambda d: d + b"\0", "unexpected bytes"),
        (lambda d: d[:20] + bytes([d[20] ^ 4]) + d[21:], "corrupt header"),
        (lambda d: d[:-30] + bytes([d[-30] ^ 1]) + d[-29:], "CRC32 mismatch"),
        (lambda d: b"", "not a laplace-rice container"),
        (lambda d: b"hello, world\n" * 10, "not a laplace-rice container"),
    ],
)
def test_damaged_files_get_one_line_and_status_1(capsys, tmp_path, container, command, damage,
                                                 message):  # fmt: skip
    path, _ = container
    path.write_bytes(damage(path.read_bytes()))
    out = tmp_path / "out.npy"
    _expect_one_line_error(capsys, command, path, *([out] if command == "decompress" else []),
                           match=message)  # fmt: skip
    assert not out.exists()
    assert not [p for p in os.listdir(tmp_path) if ".tmp-" in p]


def test_a_npy_file_is_not_a_container(capsys, tmp_path):
    np.save(tmp_path / "a.npy", np.zeros(3))
    _expect_one_line_error(capsys, "info", tmp_path / "a.npy", match="bad magic")


def test_other_versions_are_refused(capsys, container):
    path, _ = container
    data = bytearray(path.read_bytes())
    data[8:10] = struct.pack("<H", 2)
    path.write_bytes(bytes(data))
    _expect_one_line_error(capsys, "info", path, match="version 2 is not supported")


def test_forged_unit_count_is_refused_before_allocating(capsys, tmp_path):
    # A valid header that claims 2**40 units, in a file of a hundred bytes.
    header = Header(np.int32, (1 << 40, 4), 1).to_bytes()
    (tmp_path / "x.lrc").write_bytes(header + b"\0" * 64)
    _expect_one_line_error(capsys, "info", tmp_path / "x.lrc", match="truncated")


def test_strings_that_do_not_decode(capsys, tmp_path):
    # Framing and checksums are right, the strings are not: the codec refuses them.
    with ContainerWriter(tmp_path / "x.lrc", Header(np.int32, (2, 8), 1)) as writer:
        writer.write_units([b"\x01", b"\x00\x00\x00\x00"])
    out = tmp_path / "out.npy"
    _expect_one_line_error(capsys, "decompress", tmp_path / "x.lrc", out,
                           match="corrupt data in coding units 0 to 1")  # fmt: skip
    assert not out.exists()


def test_missing_and_unreadable_inputs(capsys, tmp_path):
    _expect_one_line_error(capsys, "info", tmp_path / "nope.lrc", match="nope.lrc")
    _expect_one_line_error(capsys, "compress", tmp_path / "nope.npy", tmp_path / "x",
                           match="no such file")  # fmt: skip
    (tmp_path / "bad.npy").write_bytes(b"not numpy")
    _expect_one_line_error(capsys, "compress", tmp_path / "bad.npy", tmp_path / "x",
                           match="not a readable .npy")  # fmt: skip
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    _expect_one_line_error(capsys, "compress", tmp_path / "obj.npy", tmp_path / "x",
                           match="not a readable .npy")  # fmt: skip
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(
    "array, flags, message",
    [
        (np.array([1.0, np.nan], np.float32), [], "cannot compress"),
        (np.array([1.0, 3e9], np.float64), [], "cannot compress"),
        (np.array([1, 1 << 40], np.int64), [], "int32 range"),
        (np.zeros((2, 3), np.complex64), [], "unsupported dtype"),
        (np.zeros((2, 3), np.bool_), [], "unsupported dtype"),
        (np.zeros((2, 3), np.int32), ["--coding-rank", "3"], "coding rank 3"),
    ],
)
def test_arrays_that_cannot_be_compressed(capsys, tmp_path, array, flags, message):
    np.save(tmp_path / "a.npy", array)
    _expect_one_line_error(capsys, "compress", tmp_path / "a.npy", tmp_path / "x.lrc", *flags,
                           match=message)  # fmt: skip
    assert sorted(os.listdir(tmp_path)) == ["a.npy"]


def test_usage_errors_exit_2(capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["compress", "a.npy", "b", "--run-length-code", "40"])
    assert exit_info.value.code == 2
    assert "must be -1 (gamma) or 0 to 31" in capsys.readouterr().err


def test_console_entry_point_in_a_subprocess(tmp_path):
    """`python -m laplace_rice`: one line on stderr, status 1, no traceback."""
    (tmp_path / "x.lrc").write_bytes(MAGIC + b"\1\0\3")
    for argv in (["info", "x.lrc"], ["decompress", "x.lrc", "y.npy"]):
        result = subprocess.run(
            [sys.executable, "-m", "laplace_rice", *argv],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 1
        assert result.stdout == ""
        assert result.stderr == "laplace-rice: error: truncated file: it ends inside the header\n"


def test_header_crc_covers_every_field():
    header = Header(np.float32, (3, 4, 5), 2, run_length_code=3, magnitude_code=-1,
                    use_run_length_for_non_zeros=True).to_bytes()  # fmt: skip
    assert header.startswith(MAGIC)
    assert struct.unpack("<I", header[-4:])[0] == zlib.crc32(header[:-4])
    assert len(header) == Header(np.float32, (3, 4, 5), 2).nbytes


# -------------------------------------------------------------------- tune and --auto


def test_tune_suggests_parameters(capsys, tmp_path):
    np.save(tmp_path / "a.npy", _laplace((20, 256), scale=8.0))
    code, out, err = _run(capsys, "tune", tmp_path / "a.npy")
    assert code == 0, err
    assert "suggested: --run-length-code" in out
    assert "bits/element, suggested" in out and "entropy" in out


def test_auto_round_trips_and_is_no_worse_than_defaults(capsys, tmp_path):
    array = _laplace((20, 256), scale=8.0)
    restored = _round_trip(capsys, tmp_path, array, "--auto")
    np.testing.assert_array_equal(restored, np.rint(array))
    auto_size = os.path.getsize(tmp_path / "x.lrc")
    _round_trip(capsys, tmp_path, array)
    assert auto_size <= os.path.getsize(tmp_path / "x.lrc")


def test_auto_refuses_explicit_parameters(capsys, tmp_path):
    np.save(tmp_path / "a.npy", np.zeros((2, 3), np.int32))
    _expect_one_line_error(capsys, "compress", tmp_path / "a.npy", tmp_path / "x", "--auto",
                           "--magnitude-code", "2", match="--auto picks")  # fmt: skip


def test_tune_and_auto_plumbing_with_a_stand_in(capsys, tmp_path, monkeypatch):
    """The CLI's side of tune/--auto, against a stand-in with the tuning interface."""
    import dataclasses
    import types

    @dataclasses.dataclass(frozen=True)
    class Suggestion:
        run_length_code: int = 2
        magnitude_code: int = 1
        use_run_length_for_non_zeros: bool = True
        bits_per_element: float = 3.25
        entropy_bits_per_element: float = 3.0

        def as_kwargs(self) -> dict:
            return dict(run_length_code=2, magnitude_code=1, use_run_length_for_non_zeros=True)

    seen = []
    stand_in = types.ModuleType("laplace_rice.tuning")
    stand_in.suggest_code_params = lambda samples: seen.append(samples) or Suggestion()
    monkeypatch.setitem(sys.modules, "laplace_rice.tuning", stand_in)
    monkeypatch.setattr(cli.arrays, "TUNE_SAMPLE_ELEMENTS", 64)

    array = _laplace((40, 16), scale=4.0)
    np.save(tmp_path / "a.npy", array)
    code, out, _ = _run(capsys, "tune", tmp_path / "a.npy")
    assert code == 0
    assert "sample: 4 of 40 coding units, 64 elements" in out
    assert "suggested: --run-length-code 2 --magnitude-code 1 --use-run-length-for-non-zeros" in out
    assert "3.2500" in out and "3.0000" in out
    sample = seen[-1]
    assert sample.dtype == np.int32 and sample.shape == (4, 16)
    np.testing.assert_array_equal(sample[0], np.rint(array[0]))
    np.testing.assert_array_equal(sample[-1], np.rint(array[-1]))

    restored = _round_trip(capsys, tmp_path, array, "--auto")
    np.testing.assert_array_equal(restored, np.rint(array))
    code, out, _ = _run(capsys, "info", tmp_path / "x.lrc")
    assert "run_length_code               2 (Rice, k=2)" in out
    assert "use_run_length_for_non_zeros  True" in out


def test_coding_commands_run_without_tensorflow(tmp_path):
    """Only `demo` loads TensorFlow: the rest run on the codec, quietly."""
    np.save(tmp_path / "a.npy", _laplace((20, 64), scale=3.0))
    code = (
        "import sys\n"
        "from laplace_rice.cli import main\n"
        "for argv in (['compress', 'a.npy', 'a.lrc'], ['decompress', 'a.lrc', 'b.npy'],\n"
        "             ['info', 'a.lrc'], ['tune', 'a.npy'],\n"
        "             ['compress', '--auto', 'a.npy', 'c.lrc']):\n"
        "    assert main(argv) == 0, argv\n"
        "assert 'tensorflow' not in sys.modules, 'a coding command loaded TensorFlow'\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no TensorFlow log lines
    assert "suggested: --run-length-code" in result.stdout
    np.testing.assert_array_equal(np.load(tmp_path / "b.npy"), np.rint(np.load(tmp_path / "a.npy")))


def test_compress_errors_name_the_coding_units(capsys, tmp_path):
    array = np.zeros((6, 4), np.float32)
    array[4, 1] = np.nan
    np.save(tmp_path / "a.npy", array)
    _expect_one_line_error(capsys, "compress", tmp_path / "a.npy", tmp_path / "x.lrc",
                           "--chunk-bytes", "32",
                           match="cannot compress coding units 4 to 5")  # fmt: skip


def test_the_demo_and_the_tool_do_not_import_each_other():
    code = (
        "import sys\n"
        "import laplace_rice.demo\n"
        "assert 'laplace_rice.cli' not in sys.modules, 'demo imported the CLI'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
