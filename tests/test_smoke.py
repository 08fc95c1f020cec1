"""The smoke subset: a few seconds that show an install works at all.

scripts/compat.sh runs this file (and only this file) against every supported
TensorFlow and Python, and scripts/checks/65-wheel.sh runs it against a wheel
installed where no compiler is on PATH. It touches each part a build can get
wrong: the op library loads and its kernels run (round trip, `bits`), the
gradients are registered, the XLA path compiles, a SavedModel reloads with the
custom ops, and the pybind11 codec module imports and agrees with the ops.
The full suite (tests/) checks the same things in depth.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from laplace_rice import LaplaceEntropyModel, codec


def _bottleneck(shape=(3, 4, 5), seed=0) -> tf.Tensor:
    rng = np.random.default_rng(seed)
    return tf.constant(rng.laplace(scale=3.0, size=shape), tf.float32)


def test_round_trip():
    model = LaplaceEntropyModel(coding_rank=2)
    x = _bottleneck()
    strings = model.compress(x)
    assert strings.shape == (3,)
    np.testing.assert_array_equal(model.decompress(strings, x.shape[1:]), tf.round(x))


def test_bits_equal_compressed_size():
    model = LaplaceEntropyModel(coding_rank=2, run_length_code=1, magnitude_code=2)
    x = _bottleneck(seed=1)
    np.testing.assert_array_equal(model.bits(x), 8 * tf.strings.length(model.compress(x)))


def test_gradients():
    # Straight through the quantizer, l1 * sign(x) through the penalty.
    model = LaplaceEntropyModel(coding_rank=1, l1=0.5)
    x = tf.constant([[1.2, -0.3, 0.0, 2.7]])
    with tf.GradientTape() as tape:
        tape.watch(x)
        quantized, penalty = model(x)
        loss = tf.reduce_sum(quantized) + 2.0 * tf.reduce_sum(penalty)
    np.testing.assert_allclose(tape.gradient(loss, x), [[2.0, 0.0, 1.0, 2.0]])


def test_xla_step_matches_kernels():
    model = LaplaceEntropyModel(coding_rank=2, l1=0.1)
    x = _bottleneck(seed=2)

    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            quantized, penalty = model(x)
            loss = tf.reduce_sum(quantized * quantized) + tf.reduce_sum(penalty)
        return quantized, penalty, tape.gradient(loss, x)

    compiled = tf.function(step, jit_compile=True)
    for got, want in zip(compiled(x), step(x), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-6)


def test_savedmodel_reload(tmp_path):
    class Codec(tf.Module):
        def __init__(self):
            super().__init__()
            self.model = LaplaceEntropyModel(coding_rank=1, magnitude_code=1)

        @tf.function(input_signature=[tf.TensorSpec([None, 8], tf.float32)])
        def compress(self, x):
            return self.model.compress(x)

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def decompress(self, strings):
            return self.model.decompress(strings, [8])

    module = Codec()
    tf.saved_model.save(module, str(tmp_path))
    loaded = tf.saved_model.load(str(tmp_path))
    x = _bottleneck((4, 8), seed=3)
    strings = loaded.compress(x)
    np.testing.assert_array_equal(strings, module.compress(x))
    np.testing.assert_array_equal(loaded.decompress(strings), tf.round(x))


def test_codec_module_agrees_with_ops():
    model = LaplaceEntropyModel(coding_rank=1)
    x = _bottleneck((2, 6), seed=4)
    strings = model.compress(x).numpy()
    ints = tf.cast(tf.round(x), tf.int32).numpy()
    for row, string in zip(ints, strings, strict=True):
        assert codec.encode(row, run_length_code=-1, magnitude_code=0) == string
