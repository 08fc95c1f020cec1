"""Property: for any int32 data and code parameters, decode(encode(x)) == x.

The one documented exception (FORMAT.md): with the gamma magnitude code,
INT32_MIN has no code of its own and decodes as -INT32_MAX. Checked through
the TensorFlow ops, and through `laplace_rice.codec` (the NumPy codec
without TensorFlow) where it is installed, which must write the same bytes.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from laplace_rice.ops import library as lib

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1

SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@st.composite
def params(draw) -> dict:
    return dict(
        # Any negative value means gamma; 0 to 31 are Rice parameters.
        run_length_code=draw(st.integers(-3, 31)),
        magnitude_code=draw(st.integers(-3, 31)),
        use_run_length_for_non_zeros=draw(st.booleans()),
    )


def _value_limit(magnitude_code: int) -> int:
    """Largest magnitude drawn: Rice with parameter k writes |v| >> k zero
    bits, so small k get values that keep strings short (< 2^12 bits each)."""
    if magnitude_code < 0 or magnitude_code >= 19:
        return 2**31
    return 2 ** (magnitude_code + 12)


@st.composite
def units(draw, magnitude_code: int) -> np.ndarray:
    """A batch of 1 to 3 units of 0 to 200 values: zeros, runs, small and
    extreme values, in any mix."""
    limit = _value_limit(magnitude_code)
    value = st.one_of(
        st.just(0),
        st.integers(-3, 3),
        st.integers(max(INT32_MIN, -limit), min(INT32_MAX, limit)),
        st.sampled_from([INT32_MIN, INT32_MAX, INT32_MIN + 1, -1, 1])
        if limit == 2**31
        else st.just(0),
    )
    batch = draw(st.integers(1, 3))
    size = draw(st.integers(0, 200))
    values = draw(st.lists(value, min_size=batch * size, max_size=batch * size))
    # Long runs of zeros or non-zeros, as quantized Laplace data has.
    if size and draw(st.booleans()):
        start = draw(st.integers(0, batch * size - 1))
        stop = draw(st.integers(start, batch * size))
        fill = draw(st.sampled_from([0, 0, 1, -2]))
        values[start:stop] = [fill] * (stop - start)
    return np.array(values, np.int32).reshape(batch, size)


def expected(x: np.ndarray, magnitude_code: int) -> np.ndarray:
    if magnitude_code < 0:
        return np.where(x == INT32_MIN, -INT32_MAX, x).astype(np.int32)
    return x


@st.composite
def cases(draw):
    p = draw(params())
    return p, draw(units(p["magnitude_code"]))


@SETTINGS
@given(cases())
def test_round_trip_through_ops(case):
    p, x = case
    strings = lib.laplace_rice_encode(x, coding_rank=1, **p)
    assert strings.shape == (x.shape[0],)
    decoded = lib.laplace_rice_decode(strings, [x.shape[1]], **p).numpy()
    np.testing.assert_array_equal(decoded, expected(x, p["magnitude_code"]))
    # The bit counter is exact: 8 times the string's length.
    bits = lib.laplace_rice_bits(x, coding_rank=1, **p).numpy()
    lengths = [len(s) for s in strings.numpy()]
    assert bits.tolist() == [8 * n for n in lengths]
    # Floating-point input of integral values writes the same strings.
    if np.all(np.abs(x.astype(np.int64)) < 2**24):
        as_float = lib.laplace_rice_encode(x.astype(np.float32), coding_rank=1, **p)
        assert as_float.numpy().tolist() == strings.numpy().tolist()
    as_double = lib.laplace_rice_encode(x.astype(np.float64), coding_rank=1, **p)
    assert as_double.numpy().tolist() == strings.numpy().tolist()


@settings(SETTINGS, max_examples=40)
@given(cases())
def test_units_code_independently(case):
    """A batch's strings are the strings of its units coded one by one."""
    p, x = case
    together = lib.laplace_rice_encode(x, coding_rank=1, **p).numpy().tolist()
    alone = [lib.laplace_rice_encode(unit, coding_rank=1, **p).numpy() for unit in x]
    assert together == alone


HAS_NUMPY_CODEC = importlib.util.find_spec("laplace_rice.codec") is not None


@pytest.mark.skipif(not HAS_NUMPY_CODEC, reason="laplace_rice.codec is not installed")
@SETTINGS
@given(cases())
def test_round_trip_through_numpy_codec(case):
    from laplace_rice import codec

    p, x = case
    for unit in x:
        code = codec.encode(unit, **p)
        tf_code = lib.laplace_rice_encode(tf.constant(unit), coding_rank=1, **p).numpy()
        assert code == tf_code
        decoded = codec.decode(code, unit.shape, **p)
        np.testing.assert_array_equal(decoded, expected(unit, p["magnitude_code"]))
