"""XLA: the model's ops compile under tf.function(jit_compile=True).

Traced for XLA, the wrappers in laplace_rice.ops build the kernels' math from
TensorFlow ops (the op library has no XLA lowerings). Compiled runs must
agree with the CPU kernels: quantized values and gradients exactly, the
penalty exactly for 16- and 32-bit types (sums accumulate in double on both
paths) and to the last bits for float64 (the order of the double sum may
differ).
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from laplace_rice import LaplaceEntropyModel, ops
from laplace_rice.ops import library

DTYPES = [tf.float16, tf.bfloat16, tf.float32, tf.float64]


def _bottleneck(shape, dtype, seed=0) -> tf.Tensor:
    """Laplace-like values with exact halves mixed in (half-to-even cases)."""
    rng = np.random.default_rng(seed)
    values = rng.laplace(scale=3.0, size=shape)
    halves = rng.integers(-6, 7, size=shape) + 0.5
    values = np.where(rng.random(shape) < 0.2, halves, values)
    values.flat[0] = 2.5  # never all zero, always one tie
    return tf.constant(values, dtype=dtype)


def _hlo(fn, *args) -> str:
    return fn.experimental_get_compiler_ir(*args)(stage="hlo")


def _assert_same(jit, eager, dtype, what):
    jit = tf.cast(jit, tf.float64).numpy()
    eager = tf.cast(eager, tf.float64).numpy()
    if dtype == tf.float64 and what == "penalty":
        np.testing.assert_allclose(jit, eager, rtol=1e-13, err_msg=what)
    else:
        np.testing.assert_array_equal(jit, eager, err_msg=what)


def _forward_backward(model):
    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            quantized, penalty = model(x)
            # Weights make every element's gradient distinct.
            weights = tf.reshape(tf.cast(tf.range(tf.size(x)) % 7 + 1, x.dtype) / 4, tf.shape(x))
            loss = tf.reduce_sum(quantized * weights) + tf.reduce_sum(penalty)
        return quantized, penalty, tape.gradient(loss, x)

    return step


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.name)
@pytest.mark.parametrize(
    "coding_rank, shape",
    [(0, [5, 3]), (1, [4, 33]), (2, [3, 5, 7]), (3, [2, 4, 4, 9])],
)
def test_call_forward_and_backward_match_without_xla(dtype, coding_rank, shape):
    model = LaplaceEntropyModel(coding_rank=coding_rank, l1=0.03, bottleneck_dtype=dtype)
    x = _bottleneck(shape, dtype, seed=coding_rank)
    step = _forward_backward(model)
    eager = tf.function(step)(x)  # not an XLA trace: the CPU kernels
    jit = tf.function(step, jit_compile=True)
    for name, a, b in zip(("quantized", "penalty", "gradient"), jit(x), eager, strict=True):
        assert a.dtype == dtype and a.shape == b.shape
        _assert_same(a, b, dtype, name)
    assert "LaplaceRice" not in _hlo(jit, x)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.name)
def test_separate_quantize_and_penalty_match_without_xla(dtype):
    model = LaplaceEntropyModel(coding_rank=2, l1=0.125, bottleneck_dtype=dtype)
    x = _bottleneck([3, 6, 5], dtype, seed=7)

    def step(x):
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            quantized = model.quantize(x)
            penalty = model.penalty(x)
        return (
            quantized,
            penalty,
            tape.gradient(quantized, x),
            tape.gradient(penalty, x, output_gradients=tf.constant([-1.0, 0.5, 2.0], dtype)),
        )

    eager = tf.function(step)(x)
    jit = tf.function(step, jit_compile=True)(x)
    for name, a, b in zip(
        ("quantized", "penalty", "quantize grad", "penalty grad"), jit, eager, strict=True
    ):
        _assert_same(a, b, dtype, name)


def test_training_step_compiles_and_matches_without_xla():
    """A full step: forward, penalty, gradients, an optimizer update."""
    model = LaplaceEntropyModel(coding_rank=1, l1=0.01)
    data = _bottleneck([8, 16], tf.float32, seed=3)

    def make():
        weights = tf.Variable(tf.reshape(tf.linspace(-2.0, 2.0, 16 * 16), [16, 16]))
        optimizer = tf.keras.optimizers.SGD(learning_rate=0.1)

        def train_step(x):
            with tf.GradientTape() as tape:
                y = tf.matmul(x, weights)
                quantized, penalty = model(y)
                loss = tf.reduce_mean(tf.square(quantized - x)) + tf.reduce_mean(penalty)
            grads = tape.gradient(loss, [weights])
            optimizer.apply_gradients(zip(grads, [weights], strict=True))
            return loss

        return weights, train_step

    w_eager, step_eager = make()
    w_jit, step_jit = make()
    step_eager = tf.function(step_eager)
    step_jit = tf.function(step_jit, jit_compile=True)
    for _ in range(3):
        loss_eager = step_eager(data)
        loss_jit = step_jit(data)
        np.testing.assert_allclose(loss_jit.numpy(), loss_eager.numpy(), rtol=1e-6)
    np.testing.assert_allclose(w_jit.numpy(), w_eager.numpy(), rtol=1e-6, atol=1e-7)
    # The step really went through XLA, with the math as TensorFlow ops.
    hlo = _hlo(step_jit, data)
    assert "round-nearest-even" in hlo
    assert "LaplaceRice" not in hlo


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.name)
def test_each_op_under_xla_equals_its_kernel(dtype):
    """Each wrapper compiled by XLA against the raw kernel it stands for."""
    x = _bottleneck([4, 10], dtype, seed=11)
    l1 = tf.constant(0.25, dtype)
    grad = tf.constant([1.0, -2.0, 0.5, 3.0], dtype)

    def kernels(x):
        return (
            library.laplace_rice_quantize(x),
            library.laplace_rice_penalty(x, l1, coding_rank=1),
            library.laplace_rice_penalty_grad(x, grad, l1, coding_rank=1),
            *library.laplace_rice_quantize_penalty(x, l1, coding_rank=1),
        )

    def wrappers(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            penalty = ops.penalty(x, l1, coding_rank=1)
        return (
            ops.quantize(x),
            penalty,
            tape.gradient(penalty, x, output_gradients=grad),
            *ops.quantize_penalty(x, l1, coding_rank=1),
        )

    eager = tf.function(kernels)(x)
    jit = tf.function(wrappers, jit_compile=True)(x)
    names = ("quantize", "penalty", "penalty_grad", "fused quantized", "penalty")
    for name, a, b in zip(names, jit, eager, strict=True):
        _assert_same(a, b, dtype, name)


def test_unknown_rank_trace_under_xla():
    """Traced with an unknown rank, the unit axes are found when XLA compiles."""
    model = LaplaceEntropyModel(coding_rank=2, l1=0.03)
    x = _bottleneck([3, 4, 5], tf.float32, seed=5)
    step = _forward_backward(model)
    spec = [tf.TensorSpec(None, tf.float32)]
    jit = tf.function(step, jit_compile=True, input_signature=spec)
    for name, a, b in zip(
        ("quantized", "penalty", "gradient"), jit(x), tf.function(step)(x), strict=True
    ):
        assert a.shape == b.shape
        _assert_same(a, b, tf.float32, name)


def test_zero_sized_units_under_xla():
    x = tf.zeros([3, 0], tf.float32)
    model = LaplaceEntropyModel(coding_rank=1)
    quantized, penalty = tf.function(lambda x: model(x), jit_compile=True)(x)
    assert quantized.shape == [3, 0]
    np.testing.assert_array_equal(penalty.numpy(), np.zeros([3], np.float32))


def test_bad_rank_is_a_clear_error_under_xla():
    l1 = tf.constant(0.1)
    fn = tf.function(lambda x: ops.penalty(x, l1, coding_rank=3), jit_compile=True)
    with pytest.raises((ValueError, tf.errors.InvalidArgumentError), match="coding_rank"):
        fn(tf.ones([2, 2]))


@pytest.mark.parametrize("jit_compile", [False, True], ids=["kernel", "xla"])
def test_non_scalar_l1_is_an_error_with_and_without_xla(jit_compile):
    """Rejected by the op's shape function, or by the XLA path's own check."""
    fn = tf.function(
        lambda x: ops.penalty(x, tf.constant([0.1, 0.2]), coding_rank=1), jit_compile=jit_compile
    )
    with pytest.raises(
        (ValueError, tf.errors.InvalidArgumentError), match="l1 must be a scalar|must be rank 0"
    ):
        fn(tf.ones([2, 2]))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.name)
@pytest.mark.parametrize("coding_rank, shape", [(0, [5, 3]), (2, [3, 5, 7])])
def test_more_data_under_xla_matches_the_kernels(dtype, coding_rank, shape):
    model = LaplaceEntropyModel(coding_rank=coding_rank, l1=0.03, bottleneck_dtype=dtype)
    x = _bottleneck(shape, dtype, seed=coding_rank + 20)
    step = _forward_backward(model)
    eager = tf.function(step)(x)  # not an XLA trace: the CPU kernels
    jit = tf.function(step, jit_compile=True)
    for name, a, b in zip(("quantized", "penalty", "gradient"), jit(x), eager, strict=True):
        _assert_same(a, b, dtype, name)
    assert "LaplaceRice" not in _hlo(jit, x)


def test_raw_ops_have_no_lowering_and_say_so():
    """The raw ops are not XLA-compilable (docs/gpu.md): XLA names the op."""
    fn = tf.function(library.laplace_rice_quantize, jit_compile=True)
    with pytest.raises(tf.errors.InvalidArgumentError, match="LaplaceRiceQuantize"):
        fn(tf.ones([2]))
