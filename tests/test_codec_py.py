"""laplace_rice.codec: the pybind11 codec, without TensorFlow."""

from __future__ import annotations

import itertools
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest

from conftest import DATA_DIR
from laplace_rice import codec

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


def params(rl: int, mag: int, nz: bool) -> dict:
    return dict(run_length_code=rl, magnitude_code=mag, use_run_length_for_non_zeros=nz)


# Every code: gamma and Rice k = 0..31, for runs and magnitudes.
ALL_CODES = list(range(-1, 32))
ALL_PARAMS = [params(*p) for p in itertools.product(ALL_CODES, ALL_CODES, (False, True))]


def random_units(rng: np.random.Generator, mag: int, shape=(4, 60)) -> np.ndarray:
    """Laplace-like data with long zero runs; huge values only where they are cheap."""
    x = rng.laplace(scale=3.0, size=shape).round()
    x[rng.random(shape) < 0.5] = 0
    x = x.astype(np.int32)
    if mag < 0 or mag >= 20:  # Rice with small k would write 2^31 >> k zero bits
        x.flat[rng.integers(0, x.size, 3)] = [INT32_MAX, INT32_MIN + 1, -(2**30)]
    return x


def run_python(code: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout


def test_import_does_not_load_tensorflow():
    out = run_python(
        "import sys, numpy as np\n"
        "import laplace_rice.codec as c\n"
        "assert c.decode(c.encode(np.arange(5)), 5).tolist() == [0, 1, 2, 3, 4]\n"
        "print('tensorflow' in sys.modules)\n"
    )
    assert out.strip() == "False"


def test_works_where_tensorflow_cannot_be_imported():
    # sys.modules[name] = None makes `import name` raise ImportError.
    out = run_python(
        "import sys, numpy as np\n"
        "sys.modules['tensorflow'] = None\n"
        "from laplace_rice import codec\n"
        "x = np.arange(12, dtype=np.int32).reshape(3, 4) - 5\n"
        "s = codec.encode_batch(x)\n"
        "assert (codec.decode_batch(s, 4) == x).all()\n"
        "try:\n"
        "    import laplace_rice.ops\n"
        "except ImportError:\n"
        "    print('ops need tensorflow')\n"
    )
    assert out.strip() == "ops need tensorflow"


def test_golden_vectors():
    """The reference's strings (FORMAT.md), where its round trip was right."""
    checked = 0
    for line in (DATA_DIR / "golden_ops.txt").read_text().splitlines():
        fields = line.split()
        rl, mag, nz, ref_ok, count = map(int, fields[:5])
        values = np.array(fields[5 : 5 + count], dtype=np.int64).astype(np.int32)
        hex_code = fields[5 + count]
        hex_code = "" if hex_code == "-" else hex_code
        p = params(rl, mag, bool(nz))
        code = codec.encode(values, **p)
        assert (code.hex() == hex_code) == bool(ref_ok), (line, code.hex())
        expected = values.copy()
        if mag < 0:
            expected[expected == INT32_MIN] = -INT32_MAX
        np.testing.assert_array_equal(codec.decode(code, count, **p), expected)
        checked += 1
    assert checked > 900


@pytest.mark.parametrize("nz", [False, True])
def test_every_code_round_trips(nz):
    rng = np.random.default_rng(1)
    for rl, mag in itertools.product(ALL_CODES, ALL_CODES):
        p = params(rl, mag, nz)
        x = random_units(rng, mag)
        strings = codec.encode_batch(x, **p)
        assert strings == [codec.encode(unit, **p) for unit in x]
        bits = codec.encoded_bits_batch(x, **p)
        assert [(b + 7) // 8 for b in bits] == [len(s) for s in strings]
        assert bits[0] == codec.encoded_bits(x[0], **p)
        np.testing.assert_array_equal(codec.decode_batch(strings, x.shape[1:], **p), x)


def test_edge_values_and_empty_units():
    for p in [params(-1, -1, False), params(3, 25, True), params(0, 31, False)]:
        for v in [0, 1, -1, INT32_MAX, INT32_MIN]:
            x = np.array([v], np.int32)
            expected = -INT32_MAX if (v == INT32_MIN and p["magnitude_code"] < 0) else v
            assert codec.decode(codec.encode(x, **p), 1, **p).tolist() == [expected]
    for p in ALL_PARAMS[::37]:
        assert codec.encode(np.zeros(0, np.int32), **p) == b""
        assert codec.encoded_bits([], **p) == 0
        assert codec.decode(b"", (0, 3), **p).shape == (0, 3)
        assert codec.encode_batch(np.zeros((3, 0)), **p) == [b"", b"", b""]
        assert codec.decode_batch([b"", b""], (2, 0), **p).shape == (2, 2, 0)
        assert codec.decode_batch([], (4,), **p).shape == (0, 4)
        assert codec.encode_batch(np.zeros((0, 5)), **p) == []


def test_long_unary_prefixes():
    """Rice k = 0 magnitudes of 57 and more, at every offset in a byte."""
    for lead in range(8):
        x = np.array([1] * lead + [58, -1000, 64, 3], np.int32)
        for p in [params(-1, 0, False), params(0, 0, True)]:
            np.testing.assert_array_equal(codec.decode(codec.encode(x, **p), x.size, **p), x)


def test_strings_do_not_depend_on_threads():
    rng = np.random.default_rng(2)
    big = random_units(rng, 0, shape=(1, 400_000))[0]
    big[1000:150_000] = 0
    for p in [params(-1, 0, False), params(2, 1, True)]:
        one = codec.encode(big, **p)
        assert codec.encode(big, threads=3, **p) == one
        assert codec.encoded_bits(big, threads=4, **p) == codec.encoded_bits(big, **p)
        units = big[:399_000].reshape(57, -1)
        serial = codec.encode_batch(units, threads=1, **p)
        for threads in (2, 5, 64):
            assert codec.encode_batch(units, threads=threads, **p) == serial
            np.testing.assert_array_equal(
                codec.decode_batch(serial, units.shape[1:], threads=threads, **p), units
            )


def test_contiguous_int32_is_read_in_place():
    """32 MiB of int32: the traced peak (NumPy reports its buffers to
    tracemalloc) stays far below one copy."""
    x = np.zeros(1 << 23, np.int32)
    x[::4096] = 5
    y = x.astype(np.float32)
    tracemalloc.start()
    try:
        code = codec.encode(x)
        codec.encoded_bits(x)
        codec.encode_batch(x.reshape(64, -1), threads=2)
        assert codec.encode(y) == code  # float32 is read in place too
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < (1 << 20), peak  # a copy would be 32 MiB
    # A non-contiguous view is copied, with the same result.
    assert codec.encode(np.stack([x, x], axis=1)[:, 0]) == code


def test_input_conversions():
    ints = np.array([0, 3, -2, 0, 0, 7], np.int32)
    code = codec.encode(ints)
    assert codec.encode(ints.tolist()) == code  # Python ints
    for dtype in (np.int8, np.int16, np.int64, np.uint64, ">i4", "<i8", np.float16, ">f8"):
        assert codec.encode(np.abs(ints).astype(dtype)) == codec.encode(np.abs(ints)), dtype
    # Floats round half to even, as tf.round in LaplaceEntropyModel.compress.
    halves = np.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49, 3.7])
    rounded = np.array([0, 2, 2, 0, -2, -2, 0, 4], np.int32)
    for dtype in (np.float32, np.float64):
        assert codec.encode(halves.astype(dtype)) == codec.encode(rounded)
        assert codec.encode_batch(halves.astype(dtype)[None]) == [codec.encode(rounded)]
    with pytest.raises(ValueError, match="outside the int32 range"):
        codec.encode(np.array([2**31], np.int64))
    for bad in (np.nan, np.inf, -np.inf, 2147483647.5, -2147483648.6):
        with pytest.raises(ValueError, match="index 1"):
            codec.encode(np.array([0.0, bad]))
    with pytest.raises(ValueError, match="unit 1"):
        codec.encode_batch(np.array([[0.0, 1.0], [np.nan, 0.0]]))
    for bad in (np.array([True]), np.array([1j]), np.array(["a"]), np.array([None])):
        with pytest.raises(TypeError):
            codec.encode(bad)
    with pytest.raises(ValueError, match="at least one dimension"):
        codec.encode_batch(np.int32(3))


def test_bad_parameters():
    x = np.arange(4, dtype=np.int32)
    for name in ("run_length_code", "magnitude_code"):
        with pytest.raises(ValueError, match=f"{name} = 32"):
            codec.encode(x, **{name: 32})
        with pytest.raises(ValueError, match=name):
            codec.decode(b"\x01", 1, **{name: 10**20})
        with pytest.raises(TypeError, match=name):
            codec.encoded_bits(x, **{name: 1.5})
    with pytest.raises(TypeError, match="use_run_length_for_non_zeros"):
        codec.encode(x, use_run_length_for_non_zeros="yes")
    # An int flag is taken as a bool, as the model takes it.
    assert codec.encode(x, use_run_length_for_non_zeros=1) == codec.encode(
        x, use_run_length_for_non_zeros=True
    )
    # Any negative value is gamma.
    assert codec.encode(x, run_length_code=-(10**20), magnitude_code=-7) == codec.encode(
        x, run_length_code=-1, magnitude_code=-1
    )
    with pytest.raises(ValueError, match="threads"):
        codec.encode_batch(x[None], threads=0)
    with pytest.raises(TypeError):
        codec.encode(x, 1)  # parameters are keyword-only


def test_bad_shapes_and_data():
    with pytest.raises(ValueError, match="negative"):
        codec.decode(b"\x01", (2, -1))
    with pytest.raises(ValueError, match="more than"):
        codec.decode(b"\x01", (1 << 16, 1 << 16))
    with pytest.raises(TypeError, match="shape"):
        codec.decode(b"\x01", "abc")
    with pytest.raises(TypeError, match="bytes-like"):
        codec.decode("not bytes", 1)
    with pytest.raises(TypeError, match="unit 1"):
        codec.decode_batch([b"\x01", 5], 1)
    with pytest.raises(TypeError, match="fixed-width"):
        codec.decode_batch(np.array([b"\x01"]), 1)


def test_malformed_strings_raise_value_error():
    p = params(-1, 0, False)
    x = np.array([1, 1, 1], np.int32)
    code = codec.encode(x, **p)  # 9 bits: 2 bytes
    with pytest.raises(ValueError, match="empty string"):
        codec.decode(b"", 10)
    with pytest.raises(ValueError):
        codec.decode(b"\x00" * 8, 10)  # a gamma prefix of 64 zero bits
    with pytest.raises(ValueError):
        codec.decode(code + b"\x00", 3)  # a whole unused byte
    with pytest.raises(ValueError):
        codec.decode(code, 2)  # the wrong count
    with pytest.raises(ValueError, match="unit 2"):
        codec.decode_batch([code, code, code[:1], code], 3)
    with pytest.raises(ValueError, match="unit 0: empty string"):
        codec.decode_batch([b""], 3)
    # bytearray and memoryview are read in place too.
    assert codec.decode(bytearray(code), 3).tolist() == [1, 1, 1]
    assert codec.decode(memoryview(b"xx" + code)[2:], 3).tolist() == [1, 1, 1]


def test_random_and_corrupt_strings_never_crash():
    rng = np.random.default_rng(3)
    for p in ALL_PARAMS[::11]:
        x = random_units(rng, p["magnitude_code"], shape=(80,))
        code = codec.encode(x, **p)
        for cut in range(len(code)):
            try:
                codec.decode(code[:cut], x.size, **p)
            except ValueError:
                pass
        noise = [rng.bytes(int(n)) for n in rng.integers(1, 40, 30)]
        flipped = bytearray(code)
        flipped[rng.integers(len(code))] ^= 1 << int(rng.integers(8))
        for data in [*noise, bytes(flipped)]:
            try:
                codec.decode(data, x.size, **p)
            except ValueError:
                pass
        with pytest.raises(ValueError):
            codec.decode_batch([*noise, code] * 3, x.size, threads=4, **p)


# ---- Identical to the TensorFlow ops (skipped where TensorFlow is absent). ----


@pytest.fixture(scope="module")
def tf_ops():
    pytest.importorskip("tensorflow")
    from laplace_rice import ops

    return ops


def test_same_strings_as_the_tf_ops_all_params(tf_ops):
    rng = np.random.default_rng(4)
    for p in ALL_PARAMS:
        x = random_units(rng, p["magnitude_code"], shape=(3, 40))
        ours = codec.encode_batch(x, **p)
        theirs = tf_ops.library.laplace_rice_encode(x, coding_rank=1, **p).numpy().tolist()
        assert ours == theirs, p
    # The op-level wrappers, one unit of any shape.
    for p in ALL_PARAMS[::29]:
        x = random_units(rng, p["magnitude_code"], shape=(5, 7))
        code = tf_ops.run_length_encode(x, **p).numpy()
        assert codec.encode(x, **p) == code
        np.testing.assert_array_equal(
            codec.decode(code, x.shape, **p), tf_ops.run_length_decode(code, x.shape, **p)
        )


def test_same_strings_as_the_entropy_model(tf_ops):
    import laplace_rice

    rng = np.random.default_rng(6)
    x = rng.laplace(scale=2.0, size=(2, 3, 6, 5)).astype(np.float32)
    x[0, 1] = 0.5  # ties round to even
    for p in [params(-1, 0, False), params(1, 2, True), params(0, -1, True)]:
        model = laplace_rice.LaplaceEntropyModel(coding_rank=2, bottleneck_dtype="float32", **p)
        strings = model.compress(x).numpy()  # shape (2, 3)
        assert codec.encode_batch(x.reshape(6, 6, 5), **p) == strings.ravel().tolist()
        decoded = codec.decode_batch(strings, (6, 5), **p)
        assert decoded.shape == (2, 3, 6, 5)
        np.testing.assert_array_equal(decoded, model.decompress(strings, [6, 5]).numpy())
        # The model counts whole bytes.
        bits = codec.encoded_bits_batch(x.reshape(6, 6, 5), **p)
        np.testing.assert_array_equal(model.bits(x).numpy().ravel(), (bits + 7) // 8 * 8)
