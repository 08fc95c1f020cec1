"""Code parameter tuning: the parameters that code given samples in the fewest bits.

`suggest_code_params` measures the exact size that `compress()` would return
for each candidate parameter set with the codec's bit count
(`laplace_rice.codec.encoded_bits_batch`, no strings are built, no TensorFlow)
and returns the smallest, with the empirical entropy of the quantized samples
as the yardstick.

The search is exact but needs few op calls: without byte padding the size is
a sum of the run-length codes' bits (depends only on `run_length_code`) and the
magnitude codes' bits (depends only on `magnitude_code`), and each of the two
is convex in its Rice parameter. So each parameter is scanned on its own, with
the other held, until the size has grown past what the padding (at most 7 bits
per coding unit) can explain; the few combinations left are then measured
jointly.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import sys

import numpy as np

from laplace_rice import codec
from laplace_rice.params import GAMMA, MAX_RICE_PARAMETER, CodeParams

__all__ = ["CodeParamsSuggestion", "suggest_code_params"]

_DEFAULTS = CodeParams().as_tuple()  # LaplaceEntropyModel's defaults
_INT32_MIN = -(2**31)
_INT32_MAX = 2**31 - 1


@dataclasses.dataclass(frozen=True)
class CodeParamsSuggestion:
    """Code parameters and the size they give on the samples they were tuned on.

    Attributes:
      run_length_code: Rice parameter for run lengths (>= 0), or -1 for gamma.
      magnitude_code: Rice parameter for magnitudes (>= 0), or -1 for gamma.
      use_run_length_for_non_zeros: Whether runs of non-zeros are coded too.
      bits_per_element: Exact size of `compress()`'s strings for the samples
        with these parameters, in bits per element (byte padding included).
      entropy_bits_per_element: Empirical entropy of the quantized samples
        (the order-0 lower bound for any coder of i.i.d. symbols).
    """

    run_length_code: int
    magnitude_code: int
    use_run_length_for_non_zeros: bool
    bits_per_element: float
    entropy_bits_per_element: float

    @property
    def params(self) -> CodeParams:
        """The three code parameters, as one `CodeParams`."""
        return CodeParams(
            self.run_length_code, self.magnitude_code, self.use_run_length_for_non_zeros
        )

    def as_kwargs(self) -> dict[str, int | bool]:
        """The three code parameters, as keyword arguments.

        Returns:
          A dict for `LaplaceEntropyModel(coding_rank, **kwargs)`,
          `run_length_encode(data, **kwargs)` or `codec.encode(x, **kwargs)`.
        """
        return self.params.as_kwargs()


def _quantized(samples) -> np.ndarray:
    """The samples as int32, rounded half to even like `compress()`."""
    if samples is None or isinstance(samples, (str, bytes, dict, set)):
        raise TypeError(f"`samples` must be an array of numbers, got {type(samples).__name__}.")
    tf = sys.modules.get("tensorflow")  # a tensor can only come from a loaded TensorFlow
    if tf is not None and isinstance(samples, tf.Tensor):
        samples = samples.numpy()
    try:
        array = np.asarray(samples)
    except (TypeError, ValueError) as error:
        raise ValueError(f"`samples` must be an array of numbers: {error}") from None
    if array.dtype == bool or array.dtype.kind not in "iuf":
        raise ValueError(
            f"`samples` must hold integers or floats, got an array of dtype {array.dtype}."
        )
    if array.size == 0:
        raise ValueError(f"`samples` must not be empty, got shape {array.shape}.")
    if array.dtype.kind == "f":
        array = array.astype(np.float64, copy=False)
        if not np.all(np.isfinite(array)):
            raise ValueError("`samples` holds NaN or infinite values, which cannot be coded.")
        array = np.rint(array)
    low, high = array.min(), array.max()
    if low < _INT32_MIN or high > _INT32_MAX:
        raise ValueError(
            f"`samples` must round into the int32 range, got values from {low} to {high}."
        )
    return array.astype(np.int32, copy=False)


def _coding_rank(coding_rank, ndim: int) -> int:
    if coding_rank is None:
        # As the CLI: the first axis counts coding units; a vector is one unit.
        return ndim - 1 if ndim >= 2 else ndim
    if isinstance(coding_rank, bool) or not isinstance(coding_rank, numbers.Integral):
        raise TypeError(f"`coding_rank` must be an integer or None, got {coding_rank!r}.")
    if not 0 <= coding_rank <= ndim:
        raise ValueError(
            f"`coding_rank` must be between 0 and the samples' rank {ndim}, got {coding_rank}."
        )
    return int(coding_rank)


def _entropy_bits(values: np.ndarray) -> float:
    """Empirical (order-0) entropy of the values, in bits per element."""
    _, counts = np.unique(values, return_counts=True)
    p = counts / values.size
    return float(-np.sum(p * np.log2(p)))


def padded_bits(units: np.ndarray, params: CodeParams) -> int:
    """The total size in bits of the strings of `units` (one per `units[i]`).

    What `compress()` returns, counted in whole bytes per string as the
    model's `bits()` does; no strings are built.
    """
    bits = codec.encoded_bits_batch(units, **params.as_kwargs())
    return 8 * int(np.sum((bits + 7) // 8))


class _Sizer:
    """Exact sizes of the samples' strings, one codec call per parameter set."""

    def __init__(self, values: np.ndarray, num_units: int):
        # One row per coding unit: row-major order keeps each unit's values in order.
        self._units = values.reshape(num_units, -1)
        self._sizes: dict[tuple[int, int, bool], int] = {}

    def __call__(self, run_length_code: int, magnitude_code: int, non_zeros: bool) -> int:
        key = (run_length_code, magnitude_code, non_zeros)
        if key not in self._sizes:
            self._sizes[key] = padded_bits(self._units, CodeParams(*key))
        return self._sizes[key]


def _scan(size_of, largest: int, slack: int) -> list[int]:
    """Codes (gamma, then Rice 0, 1, ...) whose size is within `slack` of the best.

    Rice sizes are convex in the parameter up to the padding, which `slack`
    covers, so the scan stops once a size exceeds the best by more than it.
    """
    sizes = {GAMMA: size_of(GAMMA)}
    best_rice = None
    for k in range(largest + 1):
        sizes[k] = size_of(k)
        best_rice = sizes[k] if best_rice is None else min(best_rice, sizes[k])
        if sizes[k] > best_rice + slack:
            break
    best = min(sizes.values())
    return [k for k, size in sizes.items() if size <= best + slack]


def _largest_useful_rice(max_value: int) -> int:
    """Rice parameters above this only add bits for values <= max_value."""
    return min(MAX_RICE_PARAMETER, max(int(max_value).bit_length(), 0))


def suggest_code_params(samples, coding_rank: int | None = None) -> CodeParamsSuggestion:
    """Suggests the code parameters that compress `samples` into the fewest bits.

    Every `run_length_code`, `magnitude_code` (Rice 0 to 31 or gamma) and
    `use_run_length_for_non_zeros` setting is considered; the size of each is
    the exact length of the strings `compress()` would return (counted by the
    codec, without encoding or TensorFlow). Ties go to `LaplaceEntropyModel`'s defaults.

    Args:
      samples: Array-like of numbers (int or float; floats are rounded half to
        even, as `compress()` does), typical of the data to be compressed.
      coding_rank: Number of innermost dimensions that form one coding unit, as
        in `LaplaceEntropyModel`. Defaults to `samples.ndim - 1` for arrays of
        rank 2 or more (one unit per entry of the first axis), else the whole
        array is one unit.

    Returns:
      A `CodeParamsSuggestion`; `.as_kwargs()` gives the parameters for
      `LaplaceEntropyModel` or `run_length_encode`.

    Raises:
      TypeError: if `samples` is not array-like or `coding_rank` not an integer.
      ValueError: if `samples` is empty, not numeric, holds NaN or infinities,
        or rounds outside int32, or if `coding_rank` exceeds its rank.
    """
    values = _quantized(samples)
    rank = _coding_rank(coding_rank, values.ndim)
    unit_size = math.prod(values.shape[values.ndim - rank :])
    num_units = values.size // unit_size
    # The padding can hide up to 7 bits per unit in each of two scans.
    slack = 14 * num_units
    magnitudes = np.abs(values.astype(np.int64))
    size = _Sizer(values, num_units)

    best_key = _DEFAULTS
    best_size = size(*_DEFAULTS)
    for non_zeros in (False, True):
        run_codes = _scan(
            lambda k, nz=non_zeros: size(k, _DEFAULTS[1], nz),
            _largest_useful_rice(unit_size),
            slack,
        )
        best_run = min(run_codes, key=lambda k, nz=non_zeros: size(k, _DEFAULTS[1], nz))
        magnitude_codes = _scan(
            lambda k, r=best_run, nz=non_zeros: size(r, k, nz),
            _largest_useful_rice(max(int(magnitudes.max()) - 1, 0)),
            slack,
        )
        for run_code in run_codes:
            for magnitude_code in magnitude_codes:
                candidate = size(run_code, magnitude_code, non_zeros)
                if candidate < best_size:
                    best_key, best_size = (run_code, magnitude_code, non_zeros), candidate

    return CodeParamsSuggestion(
        run_length_code=best_key[0],
        magnitude_code=best_key[1],
        use_run_length_for_non_zeros=best_key[2],
        bits_per_element=best_size / values.size,
        entropy_bits_per_element=_entropy_bits(values),
    )
