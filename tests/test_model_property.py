"""Property-based round trips of LaplaceEntropyModel over parameters, shapes,
coding ranks and dtypes (hypothesis)."""

from __future__ import annotations

import numpy as np
import tensorflow as tf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from laplace_rice import LaplaceEntropyModel

DTYPES = {
    "float16": (tf.float16, 2000.0),
    "bfloat16": (tf.bfloat16, 200.0),
    "float32": (tf.float32, 1e6),
    "float64": (tf.float64, 1e9),
}


@st.composite
def cases(draw):
    rank = draw(st.integers(0, 4))
    shape = draw(st.lists(st.integers(0, 6), min_size=rank, max_size=rank))
    coding_rank = draw(st.integers(0, rank))
    dtype_name = draw(st.sampled_from(sorted(DTYPES)))
    dtype, limit = DTYPES[dtype_name]
    # Mostly Laplace-like small values, with zeros and occasional large ones.
    scale = draw(st.sampled_from([0.3, 2.0, 30.0, limit / 10]))
    seed = draw(st.integers(0, 2**31 - 1))
    values = np.random.default_rng(seed).laplace(scale=scale, size=shape)
    values = np.clip(values, -limit, limit)
    params = dict(
        run_length_code=draw(st.integers(-2, 8)),
        magnitude_code=draw(st.sampled_from([-1, 0, 1, 2, 4, 12, 31])),
        use_run_length_for_non_zeros=draw(st.booleans()),
    )
    if params["magnitude_code"] in (0, 1, 2) and scale > 100:
        params["magnitude_code"] = -1  # keep unary prefixes (and the test) short
    return values, coding_rank, dtype, params


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_compress_decompress_round_trip(case):
    values, coding_rank, dtype, params = case
    model = LaplaceEntropyModel(coding_rank=coding_rank, bottleneck_dtype=dtype, **params)
    x = tf.constant(values, dtype)
    strings = model.compress(x)
    batch_shape = x.shape[: x.shape.rank - coding_rank]
    assert strings.shape == batch_shape
    code_shape = x.shape[x.shape.rank - coding_rank :]
    decoded = model.decompress(strings, code_shape)
    assert decoded.dtype == dtype
    as_f64 = lambda t: tf.cast(t, tf.float64).numpy()  # noqa: E731 (bfloat16 scalars)
    np.testing.assert_array_equal(as_f64(decoded), as_f64(model.quantize(x)))
    np.testing.assert_array_equal(model.bits(x), 8 * tf.strings.length(strings))
    quantized, penalty = model(x)
    np.testing.assert_array_equal(as_f64(quantized), as_f64(tf.round(x)))
    assert penalty.shape == batch_shape
