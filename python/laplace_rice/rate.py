"""A trainable rate: the exact code length forward, a smooth surrogate backward.

`LaplaceEntropyModel.rate()` is built from the functions here:

- `exact_bits`: the size `compress()` writes, per coding unit, in plain
  TensorFlow ops, for where the `LaplaceRiceBits` kernel cannot run: under
  XLA (`jit_compile=True`) and on any device.
- `rate_surrogate`: a smooth function of the continuous bottleneck that
  approximates the code length under the same three code parameters (zero
  runs, runs of non-zeros, signs and magnitudes all priced); docs/rate.md
  gives the formula.
- `surrogate_gradient`: the surrogate's gradient, written out; it is the
  gradient `rate()` passes back.

None of them needs the op library. All three take the same arguments:

  bottleneck: A tensor with at least `coding_rank` dimensions, of known rank;
    floating point (`exact_bits` takes integers too).
  coding_rank: Number of innermost dimensions that form a coding unit.
  run_length_code, magnitude_code, use_run_length_for_non_zeros: The code
    parameters, as `LaplaceEntropyModel` takes them (checked by `CodeParams`).

The surrogate and its gradient are computed in float32, or in float64 for a
float64 bottleneck.
"""

from __future__ import annotations

import tensorflow as tf

from laplace_rice.params import CodeParams

__all__ = ["exact_bits", "rate_surrogate", "surrogate_gradient"]

_INT32_MAX = 2**31 - 1


def _as_units(x: tf.Tensor, coding_rank: int) -> tuple[tf.Tensor, tf.Tensor]:
    """`x` as [units, elements per unit], and the shape of the unit grid."""
    rank = x.shape.rank
    if rank is None:
        raise ValueError("`bottleneck` must have a known rank.")
    if rank < coding_rank:
        raise ValueError(
            f"`bottleneck` must have at least coding_rank = {coding_rank} dimensions, "
            f"got shape {x.shape}."
        )
    shape = tf.shape(x)
    batch_shape = shape[: rank - coding_rank]
    unit_size = tf.reduce_prod(shape[rank - coding_rank :])
    static_size = x.shape[rank - coding_rank :].num_elements()
    units = tf.reshape(x, [-1, static_size if static_size is not None else unit_size])
    return units, batch_shape


def _bit_width(v: tf.Tensor) -> tf.Tensor:
    """Number of significant bits of a non-negative int64 `v` (0 for 0)."""
    # Smear the top bit down, then count: exact, and XLA-compilable.
    for shift in (1, 2, 4, 8, 16, 32):
        v = tf.bitwise.bitwise_or(v, tf.bitwise.right_shift(v, tf.constant(shift, v.dtype)))
    return tf.cast(tf.raw_ops.PopulationCount(x=v), tf.int64)


def _int_code_length(v: tf.Tensor, k: int, gamma_offset: int) -> tf.Tensor:
    """Bits of Rice(v, k) if k >= 0, else of Gamma(v + gamma_offset); int64 `v`."""
    if k >= 0:
        return tf.bitwise.right_shift(v, tf.constant(k, tf.int64)) + (1 + k)
    return 2 * _bit_width(v + gamma_offset) - 1


def exact_bits(
    bottleneck,
    coding_rank: int,
    run_length_code: int = -1,
    magnitude_code: int = 0,
    use_run_length_for_non_zeros: bool = False,
) -> tf.Tensor:
    """The exact size of `compress()`'s strings, in plain TensorFlow ops.

    Equal to `LaplaceEntropyModel.bits()`: the bottleneck is rounded half to
    even, and the bit format of docs/FORMAT.md is counted code by code,
    vectorized over the whole batch (run lengths by a segment sum over run
    indices). Unlike `bits()` it does not check its input: NaN, infinite
    values or values that round outside int32 give meaningless counts.
    Arguments: see the module docstring.

    Returns:
      An int64 tensor: the bottleneck's shape without the `coding_rank`
      innermost dimensions, the bits per coding unit (a multiple of 8).
    """
    params = CodeParams(run_length_code, magnitude_code, use_run_length_for_non_zeros)
    x = tf.convert_to_tensor(bottleneck)
    units, batch_shape = _as_units(x, coding_rank)
    if units.dtype in (tf.float16, tf.bfloat16):
        units = tf.cast(units, tf.float32)  # exact
    if units.dtype.is_floating:
        units = tf.round(units)  # half to even, as quantize()
    q = tf.cast(units, tf.int64)
    nonzero = tf.not_equal(q, 0)
    n = tf.shape(q, out_type=tf.int64)[1]
    num_units = tf.shape(q, out_type=tf.int64)[0]

    magnitude = tf.abs(q)
    if params.magnitude_code < 0:
        # INT32_MIN has no gamma code: it is written as -(2^31 - 1).
        magnitude = tf.minimum(magnitude, _INT32_MAX)
    non_zero_bits = tf.where(
        nonzero, 1 + _int_code_length(magnitude - 1, params.magnitude_code, 1), 0
    )

    if params.use_run_length_for_non_zeros:
        # Alternating runs; run 0 is the (possibly empty) leading zero run.
        previous = tf.pad(nonzero[:, :-1], [[0, 0], [1, 0]])
        run_index = tf.cumsum(tf.cast(tf.not_equal(nonzero, previous), tf.int64), axis=1)
    else:
        # Zero run m is the one before the m-th non-zero (m = K: the trailing one).
        run_index = tf.cumsum(tf.cast(nonzero, tf.int64), axis=1, exclusive=True)
    # Without runs of non-zeros only zeros count towards a run's length.
    counted = (
        tf.ones_like(q, tf.int32)
        if params.use_run_length_for_non_zeros
        else tf.cast(tf.logical_not(nonzero), tf.int32)
    )
    segment = run_index + tf.range(num_units, dtype=tf.int64)[:, None] * (n + 1)
    lengths = tf.math.unsorted_segment_sum(counted, segment, num_units * (n + 1))
    lengths = tf.cast(tf.reshape(lengths, [-1, n + 1]), tf.int64)
    index = tf.range(n + 1, dtype=tf.int64)[None, :]
    if params.use_run_length_for_non_zeros:
        # Run 0 is always coded (if the unit is not empty) as its length; every
        # later run is non-empty exactly when it exists, coded as length - 1.
        coded = tf.logical_or(tf.logical_and(tf.equal(index, 0), n > 0), lengths > 0)
        values = lengths - tf.cast(index > 0, tf.int64)
    else:
        non_zeros = tf.reduce_sum(tf.cast(nonzero, tf.int64), axis=1, keepdims=True)
        # The run before each non-zero is coded even if empty; the trailing run
        # only if it is not.
        coded = tf.logical_or(index < non_zeros, lengths > 0)
        values = lengths
    values = tf.maximum(values, 0)  # uncoded slots may read -1
    run_bits = tf.where(coded, _int_code_length(values, params.run_length_code, 1), 0)

    total = tf.reduce_sum(non_zero_bits, axis=1) + tf.reduce_sum(run_bits, axis=1)
    padded = (total + 7) // 8 * 8
    return tf.reshape(padded, batch_shape)


def _last(p: tf.Tensor) -> tf.Tensor:
    """The last element of each row, [units, 1]; 0 for rows of none (n may be
    known only at run time, so no `p[:, -1]`)."""
    n = tf.shape(p)[1]
    is_last = tf.equal(tf.range(n), n - 1)[None, :]
    return tf.reduce_sum(tf.where(is_last, p, tf.zeros_like(p)), axis=1, keepdims=True)


def _continuous_code_length(v: tf.Tensor, k: int) -> tf.Tensor:
    """Smooth length of Rice(v, k) (k >= 0) or Gamma(v + 1) (k < 0), real `v >= 0`."""
    if k >= 0:
        return v * (2.0**-k) + (1 + k)
    return 2.0 * tf.math.log(v + 1.0) / tf.math.log(tf.constant(2.0, v.dtype)) + 1.0


def _continuous_code_slope(v: tf.Tensor, k: int) -> tf.Tensor:
    """Derivative of `_continuous_code_length` with respect to `v`."""
    if k >= 0:
        return tf.fill(tf.shape(v), tf.constant(2.0**-k, v.dtype))
    return 2.0 / ((v + 1.0) * tf.math.log(tf.constant(2.0, v.dtype)))


def rate_surrogate(
    bottleneck,
    coding_rank: int,
    run_length_code: int = -1,
    magnitude_code: int = 0,
    use_run_length_for_non_zeros: bool = False,
) -> tf.Tensor:
    """A smooth estimate of the code length per coding unit, in bits.

    A differentiable function of the continuous (unquantized) bottleneck.
    Each element is non-zero with a soft weight `p = smoothstep(|y|)` (0 at
    0, 1/2 at the rounding threshold 1/2, 1 from 1 on); signs and magnitudes
    are priced per soft non-zero, and the run lengths as if the unit's soft
    runs were all of their mean length. Byte padding is not modelled.
    Arguments: see the module docstring.

    Returns:
      A tensor of the bottleneck's shape without the `coding_rank` innermost
      dimensions.
    """
    params = CodeParams(run_length_code, magnitude_code, use_run_length_for_non_zeros)
    x = tf.convert_to_tensor(bottleneck)
    dtype = tf.float64 if x.dtype == tf.float64 else tf.float32
    units, batch_shape = _as_units(tf.cast(x, dtype), coding_rank)
    a = tf.abs(units)
    c = tf.minimum(a, 1.0)
    p = c * c * (3.0 - 2.0 * c)  # smoothstep: C1, and 0 gradient at 0
    n = tf.cast(tf.shape(units)[1], dtype)
    eps = tf.constant(1e-6, dtype)

    # Signs and magnitudes: a sign bit and the magnitude code per non-zero,
    # the magnitude continued smoothly between integers (|y| < 1 codes as 1).
    m = tf.maximum(a, 1.0) - 1.0
    non_zero_bits = tf.reduce_sum(p * (1.0 + _continuous_code_length(m, params.magnitude_code)), 1)

    non_zeros = tf.reduce_sum(p, axis=1)
    zeros = n - non_zeros
    last = _last(p)[:, 0]
    k = params.run_length_code
    if params.use_run_length_for_non_zeros:
        # Soft count of runs of non-zeros: elements that start one.
        previous = tf.pad(p[:, :-1], [[0, 0], [1, 0]])
        nz_runs = tf.reduce_sum(p * (1.0 - previous), axis=1)
        # The leading zero run, then one after each run of non-zeros unless
        # the unit ends with it.
        z_runs = 1.0 + nz_runs - last
        nz_value = (non_zeros - nz_runs) / tf.maximum(nz_runs, eps)
        z_value = tf.maximum(zeros - (z_runs - 1.0), 0.0) / z_runs
        run_bits = nz_runs * _continuous_code_length(nz_value, k) + z_runs * (
            _continuous_code_length(z_value, k)
        )
    else:
        # One zero run before each non-zero, and a trailing one if the last
        # element is zero.
        runs = non_zeros + 1.0 - last
        run_bits = runs * _continuous_code_length(zeros / tf.maximum(runs, eps), k)
    run_bits = tf.where(n > 0, run_bits, tf.zeros_like(run_bits))  # empty unit: no bits
    return tf.reshape(non_zero_bits + run_bits, batch_shape)


def surrogate_gradient(
    bottleneck,
    coding_rank: int,
    run_length_code: int = -1,
    magnitude_code: int = 0,
    use_run_length_for_non_zeros: bool = False,
) -> tf.Tensor:
    """The gradient of `rate_surrogate`'s per-unit values, written out.

    Each element's derivative of its own unit's surrogate (units are
    independent, so this is the gradient of their sum). The same values as
    autodiff of `rate_surrogate`, in about half the element-wise work: the
    per-unit sums enter through a handful of per-unit scalars, so the
    backward pass is a few fused element-wise ops instead of the reverse of
    every op of the surrogate. Arguments: see the module docstring.

    Returns:
      A tensor of the bottleneck's shape.
    """
    params = CodeParams(run_length_code, magnitude_code, use_run_length_for_non_zeros)
    x = tf.convert_to_tensor(bottleneck)
    dtype = tf.float64 if x.dtype == tf.float64 else tf.float32
    x = tf.cast(x, dtype)
    units, _ = _as_units(x, coding_rank)
    a = tf.abs(units)
    c = tf.minimum(a, 1.0)
    p = c * c * (3.0 - 2.0 * c)
    dp = 6.0 * c * (1.0 - c)  # d p / d|y|: 0 from 1 on
    n = tf.cast(tf.shape(units)[1], dtype)
    eps = tf.constant(1e-6, dtype)
    k = params.run_length_code
    length, slope = _continuous_code_length, _continuous_code_slope

    # Signs and magnitudes: below 1 only p moves (the magnitude code is that
    # of 1); from 1 on only the magnitude does (p = 1).
    m = tf.maximum(a, 1.0) - 1.0
    magnitude_grad = tf.where(
        a > 1.0,
        slope(m, params.magnitude_code),
        dp * (1.0 + length(tf.zeros_like(m), params.magnitude_code)),
    )

    non_zeros = tf.reduce_sum(p, axis=1, keepdims=True)
    zeros = n - non_zeros
    is_last = tf.equal(tf.range(tf.shape(units)[1]), tf.shape(units)[1] - 1)[None, :]
    last = _last(p)
    if params.use_run_length_for_non_zeros:
        previous = tf.pad(p[:, :-1], [[0, 0], [1, 0]])
        following = tf.pad(p[:, 1:], [[0, 0], [0, 1]])
        nz_runs = tf.reduce_sum(p * (1.0 - previous), axis=1, keepdims=True)
        z_runs = 1.0 + nz_runs - last
        # T1 = Rn * l((N - Rn) / max(Rn, eps))
        nz_runs_c = tf.maximum(nz_runs, eps)
        v1 = (non_zeros - nz_runs) / nz_runs_c
        above = tf.cast(nz_runs > eps, dtype)
        t1_runs = length(v1, k) + nz_runs * slope(v1, k) * (
            -1.0 / nz_runs_c - above * (non_zeros - nz_runs) / (nz_runs_c * nz_runs_c)
        )
        t1_non_zeros = nz_runs * slope(v1, k) / nz_runs_c
        # T2 = Rz * l(max(Z - Rz + 1, 0) / Rz), Rz >= 1
        w = zeros - z_runs + 1.0
        positive = tf.cast(w > 0.0, dtype)
        v2 = tf.maximum(w, 0.0) / z_runs
        t2_runs = length(v2, k) - slope(v2, k) * (positive + v2)
        t2_zeros = slope(v2, k) * positive
        # d Rn / d p_j = (1 - p_{j-1}) - p_{j+1}; d Rz / d p_j adds -[j last].
        run_grad = (
            t1_non_zeros
            - t2_zeros
            + (t1_runs + t2_runs) * ((1.0 - previous) - following)
            - t2_runs * tf.cast(is_last, dtype)
        )
    else:
        # S = R * l(Z / R), R = N + 1 - p_last >= 1
        runs = non_zeros + 1.0 - last
        u = zeros / runs
        d_runs = length(u, k) - u * slope(u, k)
        run_grad = d_runs * (1.0 - tf.cast(is_last, dtype)) - slope(u, k)
    gradient = (magnitude_grad + run_grad * dp) * tf.sign(units)
    return tf.reshape(gradient, tf.shape(x))
