"""Gradient checks (tf.test.compute_gradient) of quantize and penalty.

The penalty's analytic Jacobian (l1 * sign(x) within a coding unit, 0
across units) must equal the registered gradient for every dtype, and the
numerical Jacobian where finite differences are exact: inputs and the step
are multiples of 1/8 away from 0, l1 a power of two, so every sum is exact
even in bfloat16. Quantize's gradient is straight-through by design: its
registered Jacobian is the identity, while its true derivative is 0 away
from the rounding steps.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from laplace_rice import LaplaceEntropyModel

DTYPES = [tf.float16, tf.bfloat16, tf.float32, tf.float64]
DELTA = 0.125


def _inputs(shape, dtype, seed=0) -> tf.Tensor:
    """Multiples of 1/8 with |x| in [0.25, 2] (no sign flip within DELTA)."""
    rng = np.random.default_rng(seed)
    magnitudes = rng.integers(2, 17, size=shape) / 8
    signs = rng.choice([-1.0, 1.0], size=shape)
    return tf.constant(magnitudes * signs, dtype=dtype)


def _expected_penalty_jacobian(x: np.ndarray, coding_rank: int, l1: float) -> np.ndarray:
    unit_size = int(np.prod(x.shape[x.ndim - coding_rank :]))
    num_units = x.size // unit_size
    # compute_gradient's layout: [output element, input element].
    jacobian = np.zeros([num_units, x.size])
    for i, value in enumerate(x.reshape(-1)):
        jacobian[i // unit_size, i] = l1 * np.sign(value)
    return jacobian


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.name)
@pytest.mark.parametrize("coding_rank, shape", [(0, [4]), (1, [3, 4]), (2, [2, 3, 3])])
def test_penalty_gradient(dtype, coding_rank, shape):
    l1 = 0.5
    model = LaplaceEntropyModel(coding_rank=coding_rank, l1=l1, bottleneck_dtype=dtype)
    x = _inputs(shape, dtype, seed=coding_rank)
    theoretical, numerical = tf.test.compute_gradient(model.penalty, [x], delta=DELTA)
    expected = _expected_penalty_jacobian(x.numpy().astype(np.float64), coding_rank, l1)
    np.testing.assert_array_equal(np.asarray(theoretical[0], np.float64), expected)
    np.testing.assert_allclose(np.asarray(numerical[0], np.float64), expected, atol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.name)
def test_penalty_gradient_at_zero_is_zero(dtype):
    model = LaplaceEntropyModel(coding_rank=1, l1=0.5, bottleneck_dtype=dtype)
    x = tf.constant([[0.0, 1.0, -1.0]], dtype)
    theoretical, _ = tf.test.compute_gradient(model.penalty, [x], delta=DELTA)
    np.testing.assert_array_equal(np.asarray(theoretical[0], np.float64), [[0.0, 0.5, -0.5]])


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.name)
def test_quantize_gradient_is_straight_through(dtype):
    model = LaplaceEntropyModel(coding_rank=1, bottleneck_dtype=dtype)
    # Away from the rounding steps (.5): rounding is locally constant.
    x = tf.constant([[-2.25, -0.75, 0.0, 0.25, 1.875, 3.125]], dtype)
    theoretical, numerical = tf.test.compute_gradient(model.quantize, [x], delta=DELTA)
    np.testing.assert_array_equal(np.asarray(theoretical[0], np.float64), np.eye(6))
    np.testing.assert_array_equal(np.asarray(numerical[0], np.float64), np.zeros([6, 6]))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.name)
def test_fused_call_gradient_is_identity_plus_penalty(dtype):
    """__call__'s gradient: straight-through plus the penalty's gradient."""
    l1 = 0.25
    model = LaplaceEntropyModel(coding_rank=1, l1=l1, bottleneck_dtype=dtype)
    x = _inputs([2, 3], dtype, seed=5)
    theoretical, _ = tf.test.compute_gradient(lambda x: model(x)[0], [x], delta=DELTA)
    np.testing.assert_array_equal(np.asarray(theoretical[0], np.float64), np.eye(6))
    theoretical, numerical = tf.test.compute_gradient(lambda x: model(x)[1], [x], delta=DELTA)
    expected = _expected_penalty_jacobian(x.numpy().astype(np.float64), 1, l1)
    np.testing.assert_array_equal(np.asarray(theoretical[0], np.float64), expected)
    np.testing.assert_allclose(np.asarray(numerical[0], np.float64), expected, atol=1e-6)
