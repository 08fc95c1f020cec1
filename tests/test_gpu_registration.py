"""GPU kernels: registered in a CUDA build; placement of the coding ops.

The registry check runs on any machine (GPU kernels register in the CPU
wheel too; they just never run there). The checks that run kernels need a
GPU visible to TensorFlow and are skipped without one.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from tensorflow.python.framework import kernels

from laplace_rice import LaplaceEntropyModel, _build_info
from laplace_rice.ops import library

MATH_OPS = [
    "LaplaceRiceQuantize",
    "LaplaceRicePenalty",
    "LaplaceRicePenaltyGrad",
    "LaplaceRiceQuantizePenalty",
]
CODING_OPS = ["LaplaceRiceEncode", "LaplaceRiceDecode", "LaplaceRiceBits"]
FLOAT_TYPES = {
    tf.float16.as_datatype_enum,
    tf.bfloat16.as_datatype_enum,
    tf.float32.as_datatype_enum,
    tf.float64.as_datatype_enum,
}

needs_cuda_build = pytest.mark.skipif(
    not _build_info.WITH_CUDA,
    reason="op library built without CUDA (no nvcc found at build time, or "
    "LAPLACE_RICE_CUDA=OFF), so it has no GPU kernels",
)
needs_gpu = pytest.mark.skipif(
    not tf.config.list_physical_devices("GPU"), reason="no GPU visible to TensorFlow"
)


def _registered(op: str, device: str) -> list:
    return [k for k in kernels.get_registered_kernels_for_op(op).kernel if k.device_type == device]


def _types(kernel_defs) -> set:
    return {
        t
        for k in kernel_defs
        for c in k.constraint
        if c.name == "T"
        for t in c.allowed_values.list.type
    }


@needs_cuda_build
@pytest.mark.parametrize("op", MATH_OPS)
def test_math_ops_have_gpu_kernels_for_every_float_type(op):
    gpu = _registered(op, "GPU")
    assert _types(gpu) == FLOAT_TYPES
    if op != "LaplaceRiceQuantize":
        # l1 is read on the host.
        assert all("l1" in k.host_memory_arg for k in gpu)


def test_build_info_matches_registry():
    has_gpu_kernels = bool(_registered("LaplaceRiceQuantizePenalty", "GPU"))
    assert has_gpu_kernels == _build_info.WITH_CUDA


@pytest.mark.parametrize("op", CODING_OPS)
def test_coding_ops_are_cpu_only(op):
    assert _registered(op, "CPU")
    assert not _registered(op, "GPU")


@needs_cuda_build
@needs_gpu
@pytest.mark.parametrize(
    "dtype", [tf.float16, tf.bfloat16, tf.float32, tf.float64], ids=lambda d: d.name
)
@pytest.mark.parametrize(
    "shape, coding_rank", [([3, 5], 0), ([7, 33], 1), ([2, 100, 50], 2), ([1, 70000], 1)]
)
def test_gpu_kernels_match_cpu(dtype, shape, coding_rank):
    rng = np.random.default_rng(0)
    x = tf.constant(rng.laplace(scale=3.0, size=shape), dtype)
    model = LaplaceEntropyModel(coding_rank=coding_rank, l1=0.01, bottleneck_dtype=dtype)

    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            quantized, penalty = model(x)
            loss = tf.reduce_sum(penalty)
        return quantized, penalty, tape.gradient(loss, x)

    with tf.device("/CPU:0"):
        cpu = step(x)
    with tf.device("/GPU:0"):
        gpu = step(tf.identity(x))
    for name, a, b in zip(("quantized", "penalty", "gradient"), gpu, cpu, strict=True):
        assert "GPU" in a.device, name
        a = tf.cast(a, tf.float64).numpy()
        b = tf.cast(b, tf.float64).numpy()
        if name == "penalty":  # the double sums may differ in order
            np.testing.assert_allclose(a, b, rtol=1e-2 if dtype.size == 2 else 1e-6)
        else:
            np.testing.assert_array_equal(a, b, err_msg=name)


@needs_gpu
def test_coding_ops_run_on_the_cpu_inside_a_gpu_scope():
    model = LaplaceEntropyModel(coding_rank=1)
    x = tf.constant([[0.4, 1.6, -2.5, 0.0]])
    with tf.device("/GPU:0"):
        strings = model.compress(x)
        decoded = model.decompress(strings, [4])
    assert "CPU" in strings.device
    np.testing.assert_array_equal(decoded.numpy(), [[0.0, 2.0, -2.0, 0.0]])


# Bad inputs that only the kernels can see (shapes unknown while tracing, so
# the shape functions pass them): the CPU and GPU kernels share their checks
# (cc/tf/math_checks.h) and must give the same errors.
_BAD_INPUTS = {
    "l1 not a scalar": (
        lambda x, grad, l1: library.laplace_rice_penalty(x, l1, coding_rank=1),
        [[1.0, 2.0], [3.0, 4.0]],
        [1.0],
        [0.1, 0.2],
        "l1 must be a scalar, got shape \\[2\\]",
    ),
    "fused, l1 not a scalar": (
        lambda x, grad, l1: library.laplace_rice_quantize_penalty(x, l1, coding_rank=1)[1],
        [[1.0, 2.0], [3.0, 4.0]],
        [1.0],
        [0.1, 0.2],
        "l1 must be a scalar, got shape \\[2\\]",
    ),
    "rank below coding_rank": (
        lambda x, grad, l1: library.laplace_rice_penalty(x, l1, coding_rank=2),
        [1.0, 2.0],
        [1.0],
        0.1,
        "at least coding_rank = 2 dimensions, got shape \\[2\\]",
    ),
    "grad not the penalty's shape": (
        lambda x, grad, l1: library.laplace_rice_penalty_grad(x, grad, l1, coding_rank=1),
        [[1.0, 2.0], [3.0, 4.0]],
        [1.0, 2.0, 3.0],
        0.1,
        "grad must have the penalty's shape \\[2\\], got \\[3\\]",
    ),
}


@pytest.mark.parametrize(
    "device", ["CPU", pytest.param("GPU", marks=[needs_cuda_build, needs_gpu])]
)
@pytest.mark.parametrize("case", sorted(_BAD_INPUTS))
def test_kernels_check_inputs_alike(device, case):
    op, x, grad, l1, message = _BAD_INPUTS[case]
    unknown = tf.TensorSpec(None, tf.float32)

    @tf.function(input_signature=[unknown, unknown, unknown])
    def run(x, grad, l1):
        with tf.device(f"/{device}:0"):
            return op(x, grad, l1)

    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        run(tf.constant(x), tf.constant(grad), tf.constant(l1))
