"""`LaplaceEntropyModel`: the documented API of tensorflow-compression's model
of the same name, on this library's kernels."""

from __future__ import annotations

import math
import numbers
import operator

import tensorflow as tf
from tensorflow.python.ops import control_flow_util

from laplace_rice import ops, rate
from laplace_rice.ops import library
from laplace_rice.params import CodeParams

__all__ = ["LaplaceEntropyModel"]

_INT32_MAX = 2**31 - 1
_FLOAT_DTYPES = (tf.float16, tf.bfloat16, tf.float32, tf.float64)


def _check_coding_rank(value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"`coding_rank` must be an integer, got {value!r}.")
    if value < 0:
        raise ValueError(f"`coding_rank` must be at least 0, got {value}.")
    return int(value)


def _python_ints(values) -> list[int] | None:
    """`values` as a list of ints if it is a list or tuple of ints, else None."""
    if not isinstance(values, (list, tuple)):
        return None
    try:
        return [operator.index(value) for value in values]
    except TypeError:
        return None


def _default_bottleneck_dtype() -> tf.DType:
    policy_dtype = tf.keras.mixed_precision.global_policy().compute_dtype
    return tf.as_dtype(policy_dtype or tf.keras.backend.floatx())


class LaplaceEntropyModel(tf.Module):
    """Entropy model for Laplace distributed random variables.

    Quantizes a bottleneck tensor (rounding half to even, with a
    straight-through gradient), penalizes it with `l1 * reduce_sum(abs(x))`
    over each coding unit, which encourages a symmetric Laplace distribution,
    and compresses each coding unit to a run-length Rice/Gamma bit string:
    runs of zeros are run-length coded, each non-zero by a sign bit and a
    Rice or Elias gamma code of its magnitude.

    All work is done by this library's C++ kernels: `compress()` and
    `decompress()` code the whole batch in one kernel call, on TensorFlow's
    intra-op thread pool.
    """

    def __init__(
        self,
        coding_rank: int,
        l1: float = 0.01,
        run_length_code: int = -1,
        magnitude_code: int = 0,
        use_run_length_for_non_zeros: bool = False,
        bottleneck_dtype=None,
    ):
        """Initializes the instance.

        Args:
          coding_rank: Integer. Number of innermost dimensions considered a
            coding unit. Each coding unit is compressed to its own bit string,
            and the penalty is summed over each coding unit.
          l1: Float. L1 regularization factor, > 0.
          run_length_code: Int. Rice code with this parameter (0 to 31) for run
            lengths if >= 0, else Elias gamma code.
          magnitude_code: Int. Rice code with this parameter (0 to 31) for
            magnitudes if >= 0, else Elias gamma code.
          use_run_length_for_non_zeros: Bool. Whether to encode the lengths of
            runs of non-zeros too.
          bottleneck_dtype: `tf.dtypes.DType`. Data type of the bottleneck
            tensor (float16, bfloat16, float32 or float64). Defaults to
            `tf.keras.mixed_precision.global_policy().compute_dtype`.

        The three code parameters are checked by `laplace_rice.CodeParams`
        (the same rules and messages as `laplace_rice.codec`);
        `self.code_params` holds them.

        Raises:
          TypeError: if an integer argument is not an integer, or
            `use_run_length_for_non_zeros` neither a bool nor an integer.
          ValueError: if an argument is out of range.
        """
        self._coding_rank = _check_coding_rank(coding_rank)
        if isinstance(l1, bool) or not isinstance(l1, numbers.Real):
            raise TypeError(f"`l1` must be a float, got {l1!r}.")
        self._l1 = float(l1)
        if not (self._l1 > 0 and math.isfinite(self._l1)):
            raise ValueError(f"`l1` must be greater than 0 and finite, got {l1!r}.")
        self._code_params = CodeParams(
            run_length_code, magnitude_code, use_run_length_for_non_zeros
        )
        # The properties report the codes as given (-5 stays -5, as in
        # tensorflow-compression); code_params holds the normalized ones.
        self._given_codes = (int(run_length_code), int(magnitude_code))
        if bottleneck_dtype is None:
            bottleneck_dtype = _default_bottleneck_dtype()
        try:
            dtype = tf.as_dtype(bottleneck_dtype)
        except TypeError as error:
            raise ValueError(f"`bottleneck_dtype` is not a dtype: {bottleneck_dtype!r}.") from error
        if dtype not in _FLOAT_DTYPES:
            raise ValueError(
                "`bottleneck_dtype` must be one of float16, bfloat16, float32, "
                f"float64, got {dtype.name}."
            )
        self._bottleneck_dtype = dtype
        super().__init__()

    @property
    def coding_rank(self) -> int:
        """Number of innermost dimensions considered a coding unit."""
        return self._coding_rank

    @property
    def l1(self) -> float:
        """L1 parameter."""
        return self._l1

    @property
    def code_params(self) -> CodeParams:
        """The three code parameters, as one `CodeParams`."""
        return self._code_params

    @property
    def run_length_code(self) -> int:
        """run_length_code parameter."""
        return self._given_codes[0]

    @property
    def magnitude_code(self) -> int:
        """magnitude_code parameter."""
        return self._given_codes[1]

    @property
    def use_run_length_for_non_zeros(self) -> bool:
        """use_run_length_for_non_zeros parameter."""
        return self._code_params.use_run_length_for_non_zeros

    @property
    def bottleneck_dtype(self) -> tf.DType:
        """Data type of the bottleneck tensor."""
        return self._bottleneck_dtype

    def _bottleneck(self, bottleneck) -> tf.Tensor:
        bottleneck = tf.convert_to_tensor(bottleneck, dtype=self.bottleneck_dtype)
        rank = bottleneck.shape.rank
        if rank is not None and rank < self.coding_rank:
            raise ValueError(
                f"`bottleneck` must have at least coding_rank = {self.coding_rank} "
                f"dimensions, got shape {bottleneck.shape}."
            )
        return bottleneck

    def _l1_tensor(self) -> tf.Tensor:
        return tf.constant(self.l1, dtype=self.bottleneck_dtype)

    def _codable(self, bottleneck) -> tf.Tensor:
        """The bottleneck in a dtype the coding kernels read (exact casts)."""
        bottleneck = self._bottleneck(bottleneck)
        if bottleneck.dtype in (tf.float16, tf.bfloat16):
            bottleneck = tf.cast(bottleneck, tf.float32)
        return bottleneck

    def _code_shape_tensor(self, code_shape) -> tf.Tensor:
        """`code_shape` as an int32 vector of `coding_rank` entries, checked."""
        dims = _python_ints(code_shape)
        if dims is not None:
            # The common eager case, on its fast path: `tf.constant` costs half
            # of `convert_to_tensor`, and a static vector needs no ensure_shape.
            if len(dims) != self.coding_rank:
                raise ValueError(
                    f"`code_shape` must be a vector of coding_rank = {self.coding_rank} "
                    f"dimensions, got {len(dims)}: {list(code_shape)}."
                )
            if any(dim > _INT32_MAX for dim in dims):
                # tf.constant would wrap these around silently.
                raise ValueError(f"`code_shape` entries must fit in int32, got {dims}.")
            return tf.constant(dims, dtype=tf.int32)
        code_shape = tf.convert_to_tensor(code_shape, dtype=tf.int32)
        if code_shape.shape.rank is not None and code_shape.shape != [self.coding_rank]:
            raise ValueError(
                f"`code_shape` must be a vector of coding_rank = {self.coding_rank} "
                f"dimensions, got shape {code_shape.shape}."
            )
        if code_shape.shape.is_fully_defined():
            return code_shape
        return tf.ensure_shape(code_shape, [self.coding_rank])

    def encode_fn(self, x):
        """Encodes an int32 tensor to one string (`run_length_encode`)."""
        return ops.run_length_encode(x, **self._code_params.as_kwargs())

    def decode_fn(self, x, shape):
        """Decodes one string to an int32 tensor of `shape` (`run_length_decode`)."""
        return ops.run_length_decode(x, shape, **self._code_params.as_kwargs())

    @tf.Module.with_name_scope
    def __call__(self, bottleneck):
        """Quantizes a tensor and computes the penalty, in one pass.

        Args:
          bottleneck: `tf.Tensor` containing the data to be compressed. Must
            have at least `self.coding_rank` dimensions.

        Returns:
          A tuple `(self.quantize(bottleneck), self.penalty(bottleneck))`.
        """
        bottleneck = self._bottleneck(bottleneck)
        return ops.quantize_penalty(bottleneck, self._l1_tensor(), self.coding_rank)

    @tf.Module.with_name_scope
    def penalty(self, bottleneck):
        """Computes penalty encouraging compressibility.

        Args:
          bottleneck: `tf.Tensor` containing the data to be compressed. Must
            have at least `self.coding_rank` dimensions.

        Returns:
          Penalty value `l1 * sum(abs(bottleneck))` per coding unit, which has
          the same shape as `bottleneck` without the `self.coding_rank`
          innermost dimensions. Differentiable: the gradient is
          `l1 * sign(bottleneck)`.
        """
        bottleneck = self._bottleneck(bottleneck)
        return ops.penalty(bottleneck, self._l1_tensor(), self.coding_rank)

    @tf.Module.with_name_scope
    def quantize(self, bottleneck):
        """Quantizes a floating-point bottleneck tensor.

        The tensor is rounded to integer values (half to even, as `tf.round`).
        The gradient of this rounding operation is overridden with the
        identity (straight-through gradient estimator).

        Args:
          bottleneck: `tf.Tensor` containing the data to be quantized.

        Returns:
          A `tf.Tensor` containing the quantized values.
        """
        bottleneck = tf.convert_to_tensor(bottleneck, dtype=self.bottleneck_dtype)
        return ops.quantize(bottleneck)

    @tf.Module.with_name_scope
    def compress(self, bottleneck):
        """Compresses a floating-point tensor.

        Compresses the tensor to bit strings. `bottleneck` is first quantized
        as in `quantize()`, and then compressed using the run-length Rice
        code. The quantized tensor can later be recovered by calling
        `decompress()`.

        The innermost `self.coding_rank` dimensions are treated as one coding
        unit, i.e. are compressed into one string each. Any additional
        dimensions to the left are treated as batch dimensions.

        Args:
          bottleneck: `tf.Tensor` containing the data to be compressed. Must
            have at least `self.coding_rank` dimensions.

        Returns:
          A `tf.Tensor` having the same shape as `bottleneck` without the
          `self.coding_rank` innermost dimensions, containing a string for
          each coding unit.

        Raises:
          tf.errors.InvalidArgumentError: if a value is NaN, infinite, or
            rounds outside the int32 range.
        """
        return library.laplace_rice_encode(
            self._codable(bottleneck), coding_rank=self.coding_rank, **self._code_params.as_kwargs()
        )

    @tf.Module.with_name_scope
    def bits(self, bottleneck):
        """The exact size in bits of what `compress()` returns, per coding unit.

        Equal to `8 * tf.strings.length(self.compress(bottleneck))`, computed
        without building the strings.

        Args:
          bottleneck: `tf.Tensor` containing the data to be compressed. Must
            have at least `self.coding_rank` dimensions.

        Returns:
          An int64 `tf.Tensor` having the same shape as `bottleneck` without
          the `self.coding_rank` innermost dimensions.
        """
        return library.laplace_rice_bits(
            self._codable(bottleneck), coding_rank=self.coding_rank, **self._code_params.as_kwargs()
        )

    @tf.Module.with_name_scope
    def rate(self, bottleneck):
        """The real code length per coding unit, with a gradient for training.

        The forward value is exactly `bits()` of the bottleneck: the size in
        bits of what `compress()` writes, byte padding included. The gradient
        is that of a smooth surrogate of the code length under this model's
        `run_length_code`, `magnitude_code` and `use_run_length_for_non_zeros`
        (`laplace_rice.rate.rate_surrogate`, differentiated by
        `laplace_rice.rate.surrogate_gradient`; docs/rate.md), as the
        straight-through estimator pairs exact rounding with a useful
        gradient. Use it in place of (or beside) `penalty()` to train for a
        target size: `distortion + lambda * rate`.

        Under `tf.function(jit_compile=True)` the count is done in plain
        TensorFlow ops (`laplace_rice.rate.exact_bits`, the same values);
        elsewhere by the `bits()` kernel. The surrogate is computed in float32
        (float64 for a float64 bottleneck).

        Args:
          bottleneck: `tf.Tensor` containing the data to be compressed. Must
            have at least `self.coding_rank` dimensions.

        Returns:
          A float32 `tf.Tensor` (float64 for a float64 bottleneck) having the
          same shape as `bottleneck` without the `self.coding_rank` innermost
          dimensions. Exact while a unit takes fewer than 2^24 bits (float32).

        Raises:
          tf.errors.InvalidArgumentError: outside XLA, as `bits()`, if a value
            is NaN, infinite, or rounds outside the int32 range (under XLA
            such values are not checked).
        """
        bottleneck = self._bottleneck(bottleneck)
        out_dtype = tf.float64 if bottleneck.dtype == tf.float64 else tf.float32
        kwargs = self._code_params.as_kwargs()
        coding_rank = self.coding_rank

        @tf.custom_gradient
        def _rate(x):
            if control_flow_util.GraphOrParentsInXlaContext(tf.compat.v1.get_default_graph()):
                exact = rate.exact_bits(x, coding_rank, **kwargs)
            else:
                exact = self.bits(x)

            def grad(upstream):
                # Units are independent: each element's derivative of its own
                # unit's surrogate, times that unit's upstream gradient.
                upstream = tf.reshape(
                    tf.cast(upstream, out_dtype),
                    tf.concat([tf.shape(upstream), tf.ones([coding_rank], tf.int32)], 0),
                )
                dx = upstream * rate.surrogate_gradient(x, coding_rank, **kwargs)
                return tf.cast(dx, x.dtype)

            return tf.cast(exact, out_dtype), grad

        return _rate(bottleneck)

    @tf.Module.with_name_scope
    def decompress(self, strings, code_shape):
        """Decompresses a tensor.

        Reconstructs the quantized tensor from bit strings produced by
        `compress()`.

        Args:
          strings: `tf.Tensor` containing the compressed bit strings.
          code_shape: Shape of innermost dimensions of the output `tf.Tensor`
            (`self.coding_rank` non-negative integers).

        Returns:
          A `tf.Tensor` of shape `tf.shape(strings) + code_shape`, of dtype
          `self.bottleneck_dtype`.

        Raises:
          ValueError: if `code_shape` does not have `coding_rank` entries.
          tf.errors.DataLossError: if a string is malformed.
        """
        strings = tf.convert_to_tensor(strings, dtype=tf.string)
        code_shape = self._code_shape_tensor(code_shape)
        if self.bottleneck_dtype in (tf.float32, tf.float64):
            # Decoded straight into the dtype: no int32 tensor to cast.
            return library.laplace_rice_decode(
                strings, code_shape, out_type=self.bottleneck_dtype, **self._code_params.as_kwargs()
            )
        # 16-bit floats: cast from int32 (one rounding, as the reference).
        symbols = library.laplace_rice_decode(strings, code_shape, **self._code_params.as_kwargs())
        return tf.cast(symbols, self.bottleneck_dtype)
