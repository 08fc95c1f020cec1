"""LaplaceEntropyModel: the reference's own test cases re-expressed, the API,
graph mode, SavedModel, dtypes and bad input."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import laplace_rice
from laplace_rice import LaplaceEntropyModel


def _perturbed_range(seed: int = 0) -> tf.Tensor:
    x = tf.range(-20.0, 20.0)
    return x + tf.random.stateless_uniform(x.shape, (seed, 1), -0.49, 0.49)


# --- The reference's test cases, for ours ---------------------------------


def test_instantiates_with_reference_defaults():
    model = LaplaceEntropyModel(coding_rank=1)
    assert model.coding_rank == 1
    assert model.bottleneck_dtype == tf.float32
    assert model.l1 == 0.01
    assert model.run_length_code == -1
    assert model.magnitude_code == 0
    assert model.use_run_length_for_non_zeros is False


def test_quantizes_to_integers():
    model = LaplaceEntropyModel(coding_rank=1)
    np.testing.assert_array_equal(model.quantize(_perturbed_range()), tf.range(-20.0, 20.0))


def test_quantize_rounds_half_to_even_like_tf_round():
    model = LaplaceEntropyModel(coding_rank=1)
    x = tf.constant([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 1e9 + 0.5, -7.49])
    np.testing.assert_array_equal(model.quantize(x), tf.round(x))


def test_gradients_are_straight_through():
    model = LaplaceEntropyModel(coding_rank=1)
    x = _perturbed_range()
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = model.quantize(x)
    np.testing.assert_array_equal(tape.gradient(y, x), tf.ones_like(x))


def test_compression_consistent_with_quantization():
    model = LaplaceEntropyModel(coding_rank=1)
    x = _perturbed_range()
    decoded = model.decompress(model.compress(x), x.shape)
    np.testing.assert_array_equal(decoded, model.quantize(x))


def test_penalty_is_proportional_to_code_length():
    model = LaplaceEntropyModel(coding_rank=1)
    x = _perturbed_range()[:, None]
    strings = model.compress(tf.broadcast_to(x, (40, 100)))
    bits_per_value = tf.cast(tf.strings.length(strings), tf.float32) * 8 / 100
    penalties = model.penalty(x)
    assert np.corrcoef(bits_per_value, penalties)[0, 1] > 0.96


def test_penalty_is_nonnegative_and_differentiable():
    model = LaplaceEntropyModel(coding_rank=1)
    x = _perturbed_range()[:, None]
    with tf.GradientTape() as tape:
        tape.watch(x)
        penalties = model.penalty(x)
    gradients = tape.gradient(penalties, x)
    assert np.all(penalties.numpy() >= 0)
    np.testing.assert_array_equal(tf.sign(gradients), tf.sign(x))
    np.testing.assert_allclose(gradients, 0.01 * tf.sign(x), rtol=1e-6)


def test_compression_works_in_tf_function():
    samples = tf.random.stateless_normal([100], (34, 232))
    model = LaplaceEntropyModel(coding_rank=1)

    def round_trip(values):
        return model.decompress(model.compress(values), [100])

    eager = round_trip(samples)
    graph = tf.function(round_trip)(samples)
    np.testing.assert_allclose(samples, eager, rtol=0, atol=0.5)
    np.testing.assert_array_equal(eager, graph)


def test_dtypes_follow_mixed_precision_policy():
    tf.keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = LaplaceEntropyModel(coding_rank=1)
        assert model.bottleneck_dtype == tf.float16
        x = tf.random.stateless_normal((2, 5), seed=(0, 1), dtype=tf.float16)
        quantized, penalty = model(x)
        decoded = model.decompress(model.compress(x), (5,))
        assert decoded.dtype == tf.float16
        np.testing.assert_allclose(x, decoded, rtol=0, atol=0.5)
        assert quantized.dtype == tf.float16
        np.testing.assert_allclose(x, quantized, rtol=0, atol=0.5)
        assert penalty.dtype == tf.float16
        assert penalty.shape == (2,)
    finally:
        tf.keras.mixed_precision.set_global_policy("float32")


# --- Beyond the reference ---------------------------------------------------


@pytest.mark.parametrize("dtype", [tf.float16, tf.bfloat16, tf.float32, tf.float64])
def test_every_dtype_round_trips(dtype):
    model = LaplaceEntropyModel(coding_rank=2, bottleneck_dtype=dtype)
    x = tf.cast(tf.random.stateless_normal((3, 4, 5), (1, 2)) * 8, dtype)
    quantized, penalty = model(x)
    assert quantized.dtype == dtype and penalty.dtype == dtype
    np.testing.assert_array_equal(quantized, tf.round(x))
    expected = 0.01 * np.abs(x.numpy().astype(np.float64)).sum(axis=(1, 2))
    np.testing.assert_allclose(penalty.numpy().astype(np.float64), expected, rtol=1e-2)
    decoded = model.decompress(model.compress(x), (4, 5))
    assert decoded.dtype == dtype
    np.testing.assert_array_equal(decoded, quantized)


def test_float64_penalty_keeps_l1_exact():
    model = LaplaceEntropyModel(coding_rank=1, l1=0.01, bottleneck_dtype=tf.float64)
    x = tf.constant([[1.0, -2.0, 3.0]], tf.float64)
    assert model.penalty(x).numpy()[0] == 0.01 * 6.0


def test_call_gradients_combine_straight_through_and_penalty():
    model = LaplaceEntropyModel(coding_rank=1, l1=0.5)
    x = tf.constant([[1.2, -0.3, 0.0, 2.7]])
    with tf.GradientTape() as tape:
        tape.watch(x)
        quantized, penalty = model(x)
        loss = tf.reduce_sum(quantized) + 2.0 * tf.reduce_sum(penalty)
    np.testing.assert_allclose(tape.gradient(loss, x), [[2.0, 0.0, 1.0, 2.0]])


def test_bits_equal_the_compressed_size():
    rng = np.random.default_rng(5)
    x = rng.laplace(scale=3.0, size=(6, 7, 11)).astype(np.float32)
    for params in [
        {},
        dict(run_length_code=2, magnitude_code=-1, use_run_length_for_non_zeros=True),
        dict(run_length_code=0, magnitude_code=3),
    ]:
        model = LaplaceEntropyModel(coding_rank=2, **params)
        bits = model.bits(x)
        assert bits.dtype == tf.int64 and bits.shape == (6,)
        np.testing.assert_array_equal(bits, 8 * tf.strings.length(model.compress(x)))


def test_coding_rank_zero_codes_each_element():
    model = LaplaceEntropyModel(coding_rank=0)
    x = tf.constant([[0.2, -3.0], [7.6, 0.0]])
    strings = model.compress(x)
    assert strings.shape == (2, 2)
    np.testing.assert_array_equal(model.decompress(strings, []), tf.round(x))
    assert model.penalty(x).shape == (2, 2)


def test_empty_tensors():
    model = LaplaceEntropyModel(coding_rank=1)
    assert model.compress(tf.zeros((0, 5))).shape == (0,)
    strings = model.compress(tf.zeros((3, 0)))
    assert strings.numpy().tolist() == [b"", b"", b""]
    assert model.decompress(strings, [0]).shape == (3, 0)


def test_encode_fn_and_decode_fn_are_the_op_level_pair():
    model = LaplaceEntropyModel(coding_rank=1, run_length_code=1, magnitude_code=2)
    data = tf.constant([[0, 0, 5], [-3, 0, 1]], tf.int32)
    code = model.encode_fn(data)
    assert code.shape == ()
    assert code.numpy() == laplace_rice.run_length_encode(data, 1, 2, False).numpy()
    np.testing.assert_array_equal(model.decode_fn(code, [2, 3]), data)


def test_static_shapes_flow_through_tf_function():
    model = LaplaceEntropyModel(coding_rank=2)
    shapes = {}

    @tf.function(input_signature=[tf.TensorSpec([None, 8, 4], tf.float32)])
    def graph(x):
        strings = model.compress(x)
        decoded = model.decompress(strings, [8, 4])
        quantized, penalty = model(x)
        shapes.update(
            strings=strings.shape,
            decoded=decoded.shape,
            penalty=penalty.shape,
            quantized=quantized.shape,
            bits=model.bits(x).shape,
        )
        return decoded

    graph.get_concrete_function()
    assert shapes["strings"].as_list() == [None]
    assert shapes["decoded"].as_list() == [None, 8, 4]
    assert shapes["penalty"].as_list() == [None]
    assert shapes["quantized"].as_list() == [None, 8, 4]
    assert shapes["bits"].as_list() == [None]
    x = tf.random.stateless_normal((3, 8, 4), (3, 3)) * 5
    np.testing.assert_array_equal(graph(x), tf.round(x))


def test_tf1_style_graph_and_session():
    graph = tf.Graph()
    with graph.as_default():
        model = LaplaceEntropyModel(coding_rank=1)
        x = tf.compat.v1.placeholder(tf.float32, [None, 6])
        decoded = model.decompress(model.compress(x), [6])
        with tf.compat.v1.Session(graph=graph) as session:
            value = np.arange(12, dtype=np.float32).reshape(2, 6) - 5.4
            np.testing.assert_array_equal(session.run(decoded, {x: value}), np.round(value))


def test_savedmodel_round_trip(tmp_path):
    class Codec(tf.Module):
        def __init__(self):
            super().__init__()
            self.model = LaplaceEntropyModel(coding_rank=1, magnitude_code=1)

        @tf.function(input_signature=[tf.TensorSpec([None, 16], tf.float32)])
        def compress(self, x):
            return self.model.compress(x)

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def decompress(self, strings):
            return self.model.decompress(strings, [16])

    codec = Codec()
    tf.saved_model.save(codec, str(tmp_path))
    loaded = tf.saved_model.load(str(tmp_path))
    x = tf.random.stateless_normal((4, 16), (7, 7)) * 4
    strings = loaded.compress(x)
    np.testing.assert_array_equal(strings, codec.compress(x))
    np.testing.assert_array_equal(loaded.decompress(strings), tf.round(x))


def test_with_name_scope():
    model = LaplaceEntropyModel(coding_rank=1)

    @tf.function
    def graph(x):
        return model.compress(x)

    ops = graph.get_concrete_function(tf.TensorSpec([2, 3])).graph.get_operations()
    encode = [op for op in ops if op.type == "LaplaceRiceEncode"]
    assert encode and encode[0].name.startswith("laplace_entropy_model/")


# --- Bad input ---------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(coding_rank=-1), ValueError, "coding_rank"),
        (dict(coding_rank=1.5), TypeError, "coding_rank"),
        (dict(coding_rank=1, l1=0.0), ValueError, "l1"),
        (dict(coding_rank=1, l1=-1.0), ValueError, "l1"),
        (dict(coding_rank=1, l1=float("nan")), ValueError, "l1"),
        (dict(coding_rank=1, l1="big"), TypeError, "l1"),
        (dict(coding_rank=1, run_length_code=32), ValueError, "run_length_code"),
        (dict(coding_rank=1, magnitude_code=100), ValueError, "magnitude_code"),
        (dict(coding_rank=1, magnitude_code=1.0), TypeError, "magnitude_code"),
        (dict(coding_rank=1, bottleneck_dtype=tf.int32), ValueError, "bottleneck_dtype"),
        (dict(coding_rank=1, bottleneck_dtype="nonsense"), ValueError, "bottleneck_dtype"),
    ],
)
def test_bad_construction_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        LaplaceEntropyModel(**kwargs)


def test_code_params_are_checked_and_held_by_code_params():
    from laplace_rice.params import CodeParams

    model = LaplaceEntropyModel(1, run_length_code=np.int64(2), magnitude_code=-7,
                                use_run_length_for_non_zeros=True)  # fmt: skip
    assert model.code_params == CodeParams(2, -1, True)
    assert (model.run_length_code, model.magnitude_code) == (2, -7)
    assert model.use_run_length_for_non_zeros is True
    # The same messages as the codec's (one check for both).
    with pytest.raises(ValueError, match="magnitude_code = 32 is out of range"):
        LaplaceEntropyModel(1, magnitude_code=32)
    with pytest.raises(TypeError, match="use_run_length_for_non_zeros must be a bool"):
        LaplaceEntropyModel(1, use_run_length_for_non_zeros="yes")
    with pytest.raises(TypeError, match="run_length_code"):
        LaplaceEntropyModel(1, run_length_code=True)


def test_negative_codes_select_gamma():
    model = LaplaceEntropyModel(coding_rank=1, run_length_code=-5, magnitude_code=-2)
    assert (model.run_length_code, model.magnitude_code) == (-5, -2)  # as given
    x = tf.constant([[0.0, 3.0, -9.0, 0.0]])
    gamma = LaplaceEntropyModel(coding_rank=1, run_length_code=-1, magnitude_code=-1)
    assert model.compress(x).numpy()[0] == gamma.compress(x).numpy()[0]


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, 3e9, -2147483649.0])
def test_compress_rejects_values_without_int32_rounding(bad):
    model = LaplaceEntropyModel(coding_rank=1, bottleneck_dtype=tf.float64)
    x = tf.constant([[1.0, bad, 2.0]], tf.float64)
    with pytest.raises(tf.errors.InvalidArgumentError, match="index 1"):
        model.compress(x)
    with pytest.raises(tf.errors.InvalidArgumentError):
        model.bits(x)


def test_too_few_dimensions():
    model = LaplaceEntropyModel(coding_rank=3)
    with pytest.raises(ValueError, match="coding_rank"):
        model.compress(tf.zeros((4, 4)))

    @tf.function(input_signature=[tf.TensorSpec(None, tf.float32)])
    def unknown_rank(x):
        return model.compress(x)

    with pytest.raises(tf.errors.InvalidArgumentError, match="coding_rank"):
        unknown_rank(tf.zeros((4, 4)))


def test_decompress_rejects_bad_code_shapes():
    model = LaplaceEntropyModel(coding_rank=1)
    strings = model.compress(tf.ones((2, 3)))
    with pytest.raises(ValueError, match="code_shape"):
        model.decompress(strings, [3, 1])
    with pytest.raises(tf.errors.InvalidArgumentError, match="negative"):
        model.decompress(strings, [-3])
    with pytest.raises(tf.errors.DataLossError):
        model.decompress(strings, [2])  # the strings hold 3 values each
    with pytest.raises(tf.errors.DataLossError):
        model.decompress(strings, [300])
    with pytest.raises(ValueError, match="int32"):
        model.decompress(strings, [2**32 + 3])  # would wrap around to 3


def test_decompress_takes_code_shape_in_every_spelling():
    model = LaplaceEntropyModel(coding_rank=2)
    x = tf.constant(np.random.default_rng(2).laplace(scale=3, size=(2, 4, 5)), tf.float32)
    strings = model.compress(x)
    expected = tf.round(x).numpy()
    spellings = [
        (4, 5),
        [4, 5],
        [np.int64(4), np.int32(5)],
        np.array([4, 5]),
        tf.constant([4, 5]),
        tf.TensorShape([4, 5]),
    ]
    for code_shape in spellings:
        decoded = model.decompress(strings, code_shape)
        assert decoded.shape == (2, 4, 5)
        np.testing.assert_array_equal(decoded.numpy(), expected)

    @tf.function(input_signature=[tf.TensorSpec(None, tf.int32)])
    def unknown_rank_shape(code_shape):
        decoded = model.decompress(strings, code_shape)
        assert decoded.shape.rank == 3  # ensure_shape gives the static rank
        return decoded

    np.testing.assert_array_equal(unknown_rank_shape(tf.constant([4, 5])).numpy(), expected)
    with pytest.raises(tf.errors.InvalidArgumentError):
        unknown_rank_shape(tf.constant([20]))


def test_decompress_rejects_hostile_strings():
    model = LaplaceEntropyModel(coding_rank=1)
    x = tf.constant(np.random.default_rng(1).laplace(scale=4, size=(1, 200)), tf.float32)
    good = model.compress(x).numpy()[0]
    for bad in [b"", good[: len(good) // 2], b"\x00" * 16, b"\x00" * 300]:
        with pytest.raises(tf.errors.DataLossError, match="coding unit 0"):
            model.decompress(tf.constant([bad]), [200])
    # The reference's overflow defect: a Rice-coded magnitude past int32.
    rice = LaplaceEntropyModel(coding_rank=1, run_length_code=0, magnitude_code=31)
    with pytest.raises(tf.errors.DataLossError):
        rice.decompress(tf.constant([b"\xf9\xff\xff\xff\x07"]), [1])


def test_raw_ops_reject_out_of_range_parameters():
    library = laplace_rice.ops.library
    with pytest.raises((tf.errors.InvalidArgumentError, ValueError), match="magnitude_code"):
        library.laplace_rice_encode(tf.zeros((2, 2), tf.int32), coding_rank=1, magnitude_code=99)


@pytest.mark.parametrize("dtype", [tf.float16, tf.bfloat16, tf.float32, tf.float64])
def test_decompress_equals_cast_of_decoded_integers(dtype):
    """float32/float64 decode straight into the dtype (out_type); the values
    are those of tf.cast from int32, large ones rounded the same way."""
    ints = np.array([[0, 3, -7, 2**24 + 1, -(2**24) - 3, 2**31 - 1, -(2**31) + 1, 0, 1]])
    model = LaplaceEntropyModel(coding_rank=1, bottleneck_dtype=dtype, magnitude_code=25)
    library = laplace_rice.ops.library
    strings = library.laplace_rice_encode(
        tf.constant(ints, tf.int32), coding_rank=1, magnitude_code=25
    )
    decompressed = model.decompress(strings, [ints.shape[1]])
    assert decompressed.dtype == dtype
    expected = tf.cast(tf.constant(ints, tf.int32), dtype)
    np.testing.assert_array_equal(
        tf.cast(decompressed, tf.float64).numpy(), tf.cast(expected, tf.float64).numpy()
    )
    # The raw op's out_type, with the default int32 kept for old graphs.
    as_int = library.laplace_rice_decode(strings, [ints.shape[1]], magnitude_code=25)
    assert as_int.dtype == tf.int32
    as_double = library.laplace_rice_decode(
        strings, [ints.shape[1]], magnitude_code=25, out_type=tf.float64
    )
    np.testing.assert_array_equal(as_double.numpy(), as_int.numpy().astype(np.float64))
