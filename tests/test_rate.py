"""`LaplaceEntropyModel.rate()`: exact `bits()` forward, the surrogate's gradient backward."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import tensorflow as tf

from laplace_rice import LaplaceEntropyModel
from laplace_rice.rate import exact_bits, rate_surrogate, surrogate_gradient

# (run_length_code, magnitude_code, use_run_length_for_non_zeros): gamma and
# several Rice parameters on both sides, with and without runs of non-zeros.
CODES = list(itertools.product([-1, 0, 2, 5], [-1, 0, 1, 4], [False, True]))
SCALES = [0.2, 0.7, 2.0, 10.0, 300.0, 1e6]
# (coding_rank, shape): empty units, one-element units and several ranks.
SHAPES = [(0, [6]), (1, [5, 37]), (1, [3, 0]), (2, [2, 3, 9]), (3, [2, 4, 4, 3]), (1, [1])]


def _model(code, coding_rank, dtype=tf.float32):
    rl, mag, nzr = code
    return LaplaceEntropyModel(
        coding_rank,
        run_length_code=rl,
        magnitude_code=mag,
        use_run_length_for_non_zeros=nzr,
        bottleneck_dtype=dtype,
    )


def _sparse_laplace(rng, shape, scale):
    """Laplace values with extra zeros, so that runs of every length occur."""
    x = rng.laplace(scale=scale, size=shape)
    return np.where(rng.random(shape) < rng.random(), 0.0, x)


def _kwargs(code):
    rl, mag, nzr = code
    return dict(run_length_code=rl, magnitude_code=mag, use_run_length_for_non_zeros=nzr)


@pytest.mark.parametrize("code", CODES, ids=str)
def test_exact_bits_and_rate_equal_bits_for_every_code_scale_and_rank(code):
    rng = np.random.default_rng(abs(hash(code)) % 2**32)
    for scale, (coding_rank, shape) in itertools.product(SCALES, SHAPES):
        model = _model(code, coding_rank)
        x = tf.constant(_sparse_laplace(rng, shape, scale), tf.float32)
        expected = model.bits(x).numpy()
        np.testing.assert_array_equal(
            exact_bits(x, coding_rank, **_kwargs(code)).numpy(), expected, err_msg=str(scale)
        )
        rate = model.rate(x)
        assert rate.dtype == tf.float32 and rate.shape == expected.shape
        np.testing.assert_array_equal(rate.numpy(), expected.astype(np.float32))


@pytest.mark.parametrize("code", [(-1, 0, False), (3, -1, True), (0, 2, True)], ids=str)
def test_all_zero_units_halves_and_int32_extremes(code):
    model = _model(code, 1, tf.float64)
    x = np.zeros([6, 40])
    x[1, -1] = 0.5  # rounds to 0 (half to even)
    x[2, 0] = 1.5  # rounds to 2
    x[3, :] = 2.5
    x[4, 7] = -(2.0**31)  # INT32_MIN: gamma writes it as -(2^31 - 1)
    x[5, ::2] = 2.0**31 - 1
    x = tf.constant(x)
    np.testing.assert_array_equal(exact_bits(x, 1, **_kwargs(code)).numpy(), model.bits(x).numpy())
    np.testing.assert_array_equal(model.rate(x).numpy(), model.bits(x).numpy())


def test_exact_bits_takes_integers_and_checks_the_rank():
    x = np.array([[0, 0, 3, -1, 0, 0, 0, 7]], np.int32)
    model = _model((-1, 0, False), 1)
    np.testing.assert_array_equal(exact_bits(x, 1).numpy(), model.bits(x).numpy())
    with pytest.raises(ValueError, match="coding_rank"):
        exact_bits(tf.zeros([3]), 2)


def _away_from_kinks(rng, shape, scale):
    """Values whose |y| is not within 0.02 of 1 (where the magnitude term bends)."""
    x = rng.laplace(scale=scale, size=shape)
    near = np.abs(np.abs(x) - 1.0) < 0.02
    return np.where(near, x * 1.1, x)


@pytest.mark.parametrize("code", CODES, ids=str)
def test_rate_gradient_is_the_surrogate_gradient_by_finite_differences(code):
    rng = np.random.default_rng(7)
    model = _model(code, 2, tf.float64)
    x = tf.constant(_away_from_kinks(rng, [3, 4, 6], 1.5))
    weights = tf.constant([1.0, -0.5, 2.0], tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(weights * model.rate(x))
    gradient = tape.gradient(loss, x).numpy()

    def surrogate(values):
        return float(tf.reduce_sum(weights * rate_surrogate(values, 2, **_kwargs(code))))

    eps = 1e-6
    flat = x.numpy().ravel()
    numeric = np.empty_like(flat)
    for i in range(flat.size):
        up, down = flat.copy(), flat.copy()
        up[i] += eps
        down[i] -= eps
        numeric[i] = (
            surrogate(tf.constant(up.reshape(x.shape)))
            - surrogate(tf.constant(down.reshape(x.shape)))
        ) / (2 * eps)
    np.testing.assert_allclose(gradient.ravel(), numeric, rtol=1e-5, atol=1e-6)
    assert np.any(np.abs(gradient) > 0.1)  # not vacuous


@pytest.mark.parametrize("code", CODES, ids=str)
def test_written_out_gradient_equals_autodiff_of_the_surrogate(code):
    rng = np.random.default_rng(13)
    for (coding_rank, shape), scale in itertools.product(SHAPES, [0.3, 1.5, 20.0]):
        x = tf.constant(_sparse_laplace(rng, shape, scale))
        with tf.GradientTape() as tape:
            tape.watch(x)
            total = tf.reduce_sum(rate_surrogate(x, coding_rank, **_kwargs(code)))
        expected = tape.gradient(total, x)
        expected = np.zeros(shape) if expected is None else expected.numpy()
        actual = surrogate_gradient(x, coding_rank, **_kwargs(code))
        assert actual.shape == x.shape
        np.testing.assert_allclose(actual.numpy(), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("code", CODES, ids=str)
def test_a_gradient_step_lowers_the_real_bits_more_than_the_l1_step(code):
    rng = np.random.default_rng(11)
    model = _model(code, 1)
    x = tf.constant(rng.laplace(scale=2.0, size=[64, 256]), tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        total = tf.reduce_sum(model.rate(x))
    gradient = tape.gradient(total, x)
    # Steps of the same size, 0.1 per element on average: the rate's gradient
    # and the l1 penalty's, sign(x).
    rate_step = 0.1 * gradient / tf.reduce_mean(tf.abs(gradient))
    l1_step = 0.1 * tf.sign(x)
    before = model.bits(x).numpy()
    after = model.bits(x - rate_step).numpy()
    after_l1 = model.bits(x - l1_step).numpy()
    assert np.mean(after) < 0.98 * np.mean(before)
    assert np.mean(after < before) > 0.9  # nearly every unit, not just the sum
    assert np.mean(after) < np.mean(after_l1)


def _step(model):
    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            rate = model.rate(x)
            weights = tf.cast(tf.range(1, tf.size(rate) + 1), rate.dtype)
            loss = tf.reduce_sum(rate * tf.reshape(weights, tf.shape(rate)))
        return rate, tape.gradient(loss, x)

    return step


@pytest.mark.parametrize("dtype", [tf.float16, tf.bfloat16, tf.float32, tf.float64], ids=str)
@pytest.mark.parametrize("code", [(-1, 0, False), (2, -1, True), (0, 3, False)], ids=str)
def test_eager_function_and_jit_compile_agree(dtype, code):
    rng = np.random.default_rng(3)
    model = _model(code, 2, dtype)
    x = tf.constant(_sparse_laplace(rng, [4, 5, 8], 3.0), dtype)
    step = _step(model)
    eager = step(x)
    graph = tf.function(step)(x)
    jit = tf.function(step, jit_compile=True)(x)
    out_dtype = tf.float64 if dtype == tf.float64 else tf.float32
    bits = model.bits(x).numpy()
    for rate, gradient in (eager, graph, jit):
        assert rate.dtype == out_dtype and gradient.dtype == dtype
        np.testing.assert_array_equal(rate.numpy(), bits)
        assert np.all(np.isfinite(tf.cast(gradient, tf.float32).numpy()))
    # Values exactly; gradients to rounding (graph rewrites and XLA fusion may
    # order the surrogate's float math differently).
    for other in (graph, jit):
        np.testing.assert_allclose(
            tf.cast(other[1], tf.float64).numpy(),
            tf.cast(eager[1], tf.float64).numpy(),
            rtol=1e-2 if dtype in (tf.float16, tf.bfloat16) else 1e-5,
            atol=1e-5,
        )


@pytest.mark.parametrize("dtype", [tf.float16, tf.bfloat16], ids=str)
def test_mixed_precision_surrogate_runs_in_float32(dtype):
    rng = np.random.default_rng(5)
    values = rng.laplace(scale=2.0, size=[8, 64])
    model16 = _model((-1, 0, False), 1, dtype)
    model32 = _model((-1, 0, False), 1, tf.float32)
    x16 = tf.constant(values, dtype)
    x32 = tf.cast(x16, tf.float32)  # the same values
    grads = []
    for model, x in ((model16, x16), (model32, x32)):
        with tf.GradientTape() as tape:
            tape.watch(x)
            rate = model.rate(x)
        grads.append(tf.cast(tape.gradient(rate, x), tf.float32).numpy())
        np.testing.assert_array_equal(rate.numpy(), model32.bits(x32).numpy())
    # The 16-bit gradient is the float32 one, rounded once.
    expected = tf.cast(tf.cast(grads[1], dtype), tf.float32).numpy()
    np.testing.assert_array_equal(grads[0], expected)


def test_rate_jit_compiles_for_every_code():
    rng = np.random.default_rng(9)
    x = tf.constant(_sparse_laplace(rng, [3, 7, 11], 4.0), tf.float32)
    for code in CODES:
        model = _model(code, 2)
        jit = tf.function(lambda v, m=model: m.rate(v), jit_compile=True)
        np.testing.assert_array_equal(jit(x).numpy(), model.bits(x).numpy(), err_msg=str(code))


def test_surrogate_is_zero_for_empty_units_and_tracks_the_size():
    assert rate_surrogate(tf.zeros([3, 0]), 1).numpy().tolist() == [0.0, 0.0, 0.0]
    rng = np.random.default_rng(2)
    for code in CODES:
        x = tf.constant(rng.laplace(scale=3.0, size=[16, 512]), tf.float32)
        surrogate = rate_surrogate(tf.round(x), 1, **_kwargs(code)).numpy()
        bits = exact_bits(x, 1, **_kwargs(code)).numpy()
        # An estimate, not the count: within 25% of the real size on integers.
        np.testing.assert_allclose(surrogate, bits, rtol=0.25, err_msg=str(code))


@pytest.mark.parametrize("jit", [False, True], ids=["function", "jit"])
@pytest.mark.parametrize("code", [(-1, 0, False), (1, -1, True)], ids=str)
def test_shapes_known_only_at_run_time(code, jit):
    model = _model(code, 1)

    @tf.function(jit_compile=jit, input_signature=[tf.TensorSpec([None, None], tf.float32)])
    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            rate = model.rate(x)
            total = tf.reduce_sum(rate)
        return rate, tape.gradient(total, x)

    rng = np.random.default_rng(4)
    for shape in ([3, 17], [2, 1], [2, 0], [0, 5]):
        x = tf.constant(_sparse_laplace(rng, shape, 2.0), tf.float32)
        rate, gradient = step(x)
        np.testing.assert_array_equal(rate.numpy(), model.bits(x).numpy(), err_msg=str(shape))
        assert gradient.shape == x.shape
        np.testing.assert_allclose(
            gradient.numpy(),
            surrogate_gradient(x, 1, **_kwargs(code)).numpy(),
            rtol=1e-5,
            atol=1e-6,
        )
