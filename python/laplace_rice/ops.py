"""The custom ops: library loading, version check, gradients and wrappers.

The op library `_laplace_rice_ops.so` is loaded once, on import of this
module. Its ops carry the `LaplaceRice` prefix. Gradients are registered
here: quantize passes gradients straight through, the penalty's gradient is
`l1 * sign(x) * upstream`; the coding ops have none.
"""

from __future__ import annotations

import os

import tensorflow as tf
from tensorflow.python.ops import control_flow_util

from laplace_rice import _build_info, _tf_support
from laplace_rice.params import CodeParams

_LIBRARY_PATH = os.path.join(os.path.dirname(__file__), "_laplace_rice_ops.so")


# Rebuilding is the answer to every version error: the op library is compiled
# against the TensorFlow in the environment that builds it.
_REBUILD = (
    "pip install --force-reinstall --no-build-isolation --no-deps <path to laplace_rice>"
    " (or bash scripts/setup.sh in its source tree)"
)


def _check_tensorflow_version() -> None:
    built = _build_info.TF_VERSION
    running = tf.__version__
    if not _tf_support.supported(running):
        raise ImportError(
            f"laplace_rice supports TensorFlow {_tf_support.describe()}, but TensorFlow "
            f"{running} is running. Install a supported TensorFlow (tensorflow-cpu, or "
            "tensorflow for GPUs), then rebuild laplace_rice against it: " + _REBUILD
        )
    # Custom ops are ABI-bound to TensorFlow's major.minor release.
    if _tf_support.release(built) != _tf_support.release(running):
        raise ImportError(
            f"laplace_rice's op library was built against TensorFlow {built}, "
            f"but TensorFlow {running} is running. Rebuild it for this "
            f"TensorFlow: {_REBUILD}; or install TensorFlow "
            f"{'.'.join(built.split('.')[:2])}. Supported: TensorFlow "
            f"{_tf_support.describe()}."
        )


_check_tensorflow_version()
library = tf.load_op_library(_LIBRARY_PATH)
"""The loaded op library (for users who call the raw ops)."""


@tf.RegisterGradient("LaplaceRiceQuantize")
def _quantize_grad(op, grad):
    del op  # straight-through
    return grad


@tf.RegisterGradient("LaplaceRicePenalty")
def _penalty_grad(op, grad):
    x, l1 = op.inputs
    coding_rank = op.get_attr("coding_rank")
    return library.laplace_rice_penalty_grad(x, grad, l1, coding_rank=coding_rank), None


@tf.RegisterGradient("LaplaceRiceQuantizePenalty")
def _quantize_penalty_grad(op, quantized_grad, penalty_grad):
    x, l1 = op.inputs
    coding_rank = op.get_attr("coding_rank")
    dx = library.laplace_rice_penalty_grad(x, penalty_grad, l1, coding_rank=coding_rank)
    return dx + quantized_grad, None


for _name in (
    "LaplaceRiceEncode",
    "LaplaceRiceDecode",
    "LaplaceRiceBits",
    "LaplaceRicePenaltyGrad",
):
    tf.no_gradient(_name)


# XLA (tf.function(jit_compile=True)): the op library has no XLA lowerings.
# While a function is traced for XLA, the wrappers below build the kernels'
# math from TensorFlow ops instead, one function per op, rounding step for
# step as <laplace_rice/math.h> (cc/math) does; tests/test_xla.py checks that
# compiled and uncompiled results are the same. The penalty gradient is
# TensorFlow's autodiff of _penalty_tf, which rounds as PenaltyGrad does.
# Why no lowerings: docs/gpu.md.


def _use_tf_math() -> bool:
    """True while tracing for XLA."""
    return control_flow_util.GraphOrParentsInXlaContext(tf.compat.v1.get_default_graph())


def _wide(dtype: tf.DType) -> tf.DType:
    """The type the math of `dtype` runs in (math::Wide)."""
    return tf.float64 if dtype == tf.float64 else tf.float32


@tf.custom_gradient
def _quantize_tf(x):
    """math::Quantize: round half to even; the gradient passes straight through."""
    return tf.round(x), lambda upstream: upstream


def _penalty_tf(x, l1, coding_rank: int):
    """math::Penalty per coding unit: the sum of |x| in double, rounded to T
    (through float, as the kernels round a double to a 16-bit type), times l1
    in Wide, rounded to T. Checks its inputs as the kernels do."""
    l1 = tf.convert_to_tensor(l1, dtype_hint=x.dtype)
    if l1.shape.rank not in (None, 0):
        raise ValueError(f"l1 must be a scalar, got shape {l1.shape}")
    rank = x.shape.rank
    if rank is None:  # known when XLA compiles: the axes fold to constants
        axes = tf.range(tf.rank(x) - coding_rank, tf.rank(x))
    elif rank < coding_rank:
        raise ValueError(
            f"input must have at least coding_rank = {coding_rank} dimensions, got shape {x.shape}"
        )
    else:
        axes = list(range(rank - coding_rank, rank))
    dtype, wide = x.dtype, _wide(x.dtype)
    total = tf.reduce_sum(tf.abs(tf.cast(x, tf.float64)), axis=axes)
    if dtype != tf.float64:
        total = tf.cast(tf.cast(tf.cast(total, tf.float32), dtype), wide)
    return tf.cast(tf.cast(l1, wide) * total, dtype)


def quantize(x):
    """LaplaceRiceQuantize (its TensorFlow-op form when traced for XLA)."""
    return _quantize_tf(x) if _use_tf_math() else library.laplace_rice_quantize(x)


def penalty(x, l1, coding_rank: int):
    """LaplaceRicePenalty (its TensorFlow-op form when traced for XLA)."""
    if _use_tf_math():
        return _penalty_tf(x, l1, coding_rank)
    return library.laplace_rice_penalty(x, l1, coding_rank=coding_rank)


def quantize_penalty(x, l1, coding_rank: int):
    """LaplaceRiceQuantizePenalty (its TensorFlow-op form when traced for XLA)."""
    if _use_tf_math():
        return _quantize_tf(x), _penalty_tf(x, l1, coding_rank)
    return library.laplace_rice_quantize_penalty(x, l1, coding_rank=coding_rank)


def _code_attrs(run_length_code, magnitude_code, use_run_length_for_non_zeros) -> dict:
    return CodeParams(run_length_code, magnitude_code, use_run_length_for_non_zeros).as_kwargs()


def run_length_encode(
    data, run_length_code: int, magnitude_code: int, use_run_length_for_non_zeros: bool, name=None
):
    """Encodes a whole int32 tensor to one run-length Rice/Gamma string.

    The op-level signature of tensorflow-compression's `run_length_encode`,
    with the same output (and correct strings where the reference's are
    corrupt; see FORMAT.md).

    Args:
      data: An int32 tensor of any shape; coded in row-major order.
      run_length_code: Rice parameter for run lengths if >= 0, else gamma.
      magnitude_code: Rice parameter for magnitudes if >= 0, else gamma.
      use_run_length_for_non_zeros: Whether runs of non-zeros are coded too.
      name: Optional op name.

    Returns:
      A scalar string tensor.

    Raises:
      TypeError, ValueError: bad code parameters (see `CodeParams`).
    """
    with tf.name_scope(name or "run_length_encode"):
        data = tf.convert_to_tensor(data, dtype=tf.int32)
        return library.laplace_rice_encode(
            tf.reshape(data, [-1]),
            coding_rank=1,
            **_code_attrs(run_length_code, magnitude_code, use_run_length_for_non_zeros),
        )


def run_length_decode(
    code,
    shape,
    run_length_code: int,
    magnitude_code: int,
    use_run_length_for_non_zeros: bool,
    name=None,
):
    """Decodes a string from `run_length_encode` to an int32 tensor of `shape`.

    Args:
      code: A scalar string tensor.
      shape: An int32 vector, the shape of the encoded tensor.
      run_length_code: As given to the encoder.
      magnitude_code: As given to the encoder.
      use_run_length_for_non_zeros: As given to the encoder.
      name: Optional op name.

    Returns:
      An int32 tensor of shape `shape`.

    Raises:
      tf.errors.DataLossError: if the string is malformed.
    """
    with tf.name_scope(name or "run_length_decode"):
        code = tf.convert_to_tensor(code, dtype=tf.string)
        if code.shape.rank not in (None, 0):
            raise ValueError(f"`code` must be a scalar string, got shape {code.shape}.")
        code = tf.ensure_shape(code, [])
        shape = tf.convert_to_tensor(shape, dtype=tf.int32)
        return library.laplace_rice_decode(
            code,
            shape,
            **_code_attrs(run_length_code, magnitude_code, use_run_length_for_non_zeros),
        )
