"""The run-length Rice/Gamma codec on NumPy arrays, without TensorFlow.

The same C++ codec as the TensorFlow ops, bound with pybind11: the strings
are byte-identical to `laplace_rice.run_length_encode` (one unit) and to
`LaplaceEntropyModel.compress` (one string per unit). Importing this module
does not import TensorFlow.

    import numpy as np
    from laplace_rice import codec

    x = np.array([0, 0, 3, -1, 0], np.int32)
    s = codec.encode(x)                      # bytes
    y = codec.decode(s, x.shape)             # int32 array, equal to x

    batch = np.zeros((16, 8, 8), np.int32)  # 16 units of 8x8
    strings = codec.encode_batch(batch)      # 16 bytes objects, on all CPUs
    back = codec.decode_batch(strings, (8, 8))

Code parameters (keyword-only everywhere, defaults as in the reference):

- `run_length_code`: Rice parameter `k` (0 to 31) for run lengths, or any
  negative value for the Elias gamma code (default -1).
- `magnitude_code`: Rice parameter (0 to 31) for magnitudes, or negative for
  gamma (default 0).
- `use_run_length_for_non_zeros`: also code runs of non-zeros (default False).

They are not stored in the strings: decode with the values you encoded with.
`laplace_rice.params.CodeParams` checks them; `**params.as_kwargs()` passes
a checked set to any function here.

Values: C-contiguous native int32, float32 and float64 arrays are read in
place (no copy). Floating-point values are rounded half to even, as
`LaplaceEntropyModel.compress` does (`tf.round`); NaN, infinities and values
that round outside int32 raise ValueError. Other integer dtypes are converted
to int32 (a copy) when every value fits, else ValueError; float16 is widened
to float32; bool, complex and non-numeric arrays raise TypeError. With the
gamma magnitude code, INT32_MIN decodes as -INT32_MAX (FORMAT.md).

Errors: ValueError for bad parameters, bad shapes, values that cannot be
coded and malformed strings (the message names the unit of a batch);
TypeError for arguments of the wrong type. Bad strings never crash.

Threads: coding runs with the GIL released. Batch functions spread units over
`threads` threads (default: the CPUs this process may use); `encode` and
`encoded_bits` split a single large unit (>= 65536 values per thread) when
given `threads > 1`. The strings do not depend on the number of threads.
"""

from __future__ import annotations

import operator
import os
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from laplace_rice import _codec
from laplace_rice.params import MAX_RICE_PARAMETER, MAX_UNIT_SIZE, CodeParams

__all__ = [
    "MAX_RICE_PARAMETER",
    "MAX_UNIT_SIZE",
    "CodeParams",
    "decode",
    "decode_batch",
    "encode",
    "encode_batch",
    "encoded_bits",
    "encoded_bits_batch",
]

_INT32 = np.iinfo(np.int32)


def _params(
    run_length_code: Any, magnitude_code: Any, use_run_length_for_non_zeros: Any
) -> tuple[int, int, bool]:
    return CodeParams(run_length_code, magnitude_code, use_run_length_for_non_zeros).as_tuple()


def _threads(threads: int | None) -> int:
    if threads is None:
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except AttributeError:  # not on Linux
            return os.cpu_count() or 1
    n = operator.index(threads)
    if n < 1:
        raise ValueError(f"threads must be at least 1, got {n}")
    return n


def _codable(array: Any) -> np.ndarray:
    """`array` as a C-contiguous native int32/float32/float64 array.

    No copy when it already is one.
    """
    x = np.asarray(array)
    kind = x.dtype.kind
    if kind == "f":
        if x.dtype.itemsize < 4:
            x = x.astype(np.float32)
        elif x.dtype.itemsize > 8:
            raise TypeError(f"cannot code values of dtype {x.dtype}: use float64 or less")
    elif kind in "iu":
        if x.dtype != np.int32:
            if x.size and (x.min() < _INT32.min or x.max() > _INT32.max):
                raise ValueError(
                    f"values of dtype {x.dtype} outside the int32 range cannot be coded"
                )
            x = x.astype(np.int32)
    else:
        raise TypeError(
            f"cannot code values of dtype {x.dtype}: expected an integer or floating dtype"
        )
    if not x.dtype.isnative:
        x = x.astype(x.dtype.newbyteorder("="))
    # (np.ascontiguousarray would turn a 0-d array into a 1-d one.)
    return x if x.flags.c_contiguous else np.ascontiguousarray(x)


def _shape(shape: Any) -> tuple[int, ...]:
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    try:
        dims = tuple(operator.index(d) for d in shape)
    except TypeError:
        raise TypeError(f"shape must be an int or a sequence of ints, got {shape!r}") from None
    for i, d in enumerate(dims):
        if d < 0:
            raise ValueError(f"shape[{i}] = {d} must not be negative")
    return dims


def _unit_size(shape: tuple[int, ...]) -> int:
    size = 1
    for d in shape:
        size *= d
    if size > MAX_UNIT_SIZE:
        raise ValueError(
            f"a coding unit of shape {shape} has {size} values, more than {MAX_UNIT_SIZE}"
        )
    return size


def encode(
    array: Any,
    *,
    run_length_code: int = -1,
    magnitude_code: int = 0,
    use_run_length_for_non_zeros: bool = False,
    threads: int = 1,
) -> bytes:
    """Encodes a whole array, in row-major order, as one coding unit.

    Same string as `laplace_rice.run_length_encode(array, ...)`.

    Args:
      array: Values of any shape (see the module docstring for dtypes).
      run_length_code: Rice parameter for run lengths, or negative for gamma.
      magnitude_code: Rice parameter for magnitudes, or negative for gamma.
      use_run_length_for_non_zeros: Whether runs of non-zeros are coded too.
      threads: Threads for one large unit (the string is the same for any).

    Returns:
      The string; empty for an empty array.

    Raises:
      ValueError: bad parameters, or a value that cannot be coded.
      TypeError: an argument of the wrong type.
    """
    params = _params(run_length_code, magnitude_code, use_run_length_for_non_zeros)
    return _codec.encode(_codable(array), *params, _threads(threads))


def encoded_bits(
    array: Any,
    *,
    run_length_code: int = -1,
    magnitude_code: int = 0,
    use_run_length_for_non_zeros: bool = False,
    threads: int = 1,
) -> int:
    """The exact length in bits of `encode(array, ...)`, without padding.

    `len(encode(array)) == (encoded_bits(array) + 7) // 8`. (The TF model's
    `bits()` counts whole bytes: `8 * len(string)`.) Arguments and errors as
    for `encode`.
    """
    params = _params(run_length_code, magnitude_code, use_run_length_for_non_zeros)
    return _codec.encoded_bits(_codable(array), *params, _threads(threads))


def decode(
    data: bytes | bytearray | memoryview,
    shape: int | Sequence[int],
    *,
    run_length_code: int = -1,
    magnitude_code: int = 0,
    use_run_length_for_non_zeros: bool = False,
) -> np.ndarray:
    """Decodes one string into an int32 array of `shape`.

    Args:
      data: A bytes-like object (read in place).
      shape: The shape of the encoded array (an int or a sequence of ints).
      run_length_code, magnitude_code, use_run_length_for_non_zeros: As
        given to the encoder.

    Returns:
      A new int32 array of `shape`.

    Raises:
      ValueError: a malformed string (truncated, corrupt, trailing bytes, or
        encoded with other parameters or another shape), bad parameters.
      TypeError: `data` is not bytes-like, or `shape` not ints.
    """
    params = _params(run_length_code, magnitude_code, use_run_length_for_non_zeros)
    dims = _shape(shape)
    return _codec.decode(data, _unit_size(dims), *params).reshape(dims)


def _batch_array(array: Any) -> np.ndarray:
    x = _codable(array)
    if x.ndim == 0:
        raise ValueError("a batch needs at least one dimension (the leading axis holds the units)")
    return x


def encode_batch(
    array: Any,
    *,
    run_length_code: int = -1,
    magnitude_code: int = 0,
    use_run_length_for_non_zeros: bool = False,
    threads: int | None = None,
) -> list[bytes]:
    """Encodes each `array[i]` (the leading axis) as a coding unit.

    Same strings as `LaplaceEntropyModel(coding_rank=array.ndim - 1, ...)
    .compress(array)`.

    Args:
      array: Values with at least one dimension.
      run_length_code, magnitude_code, use_run_length_for_non_zeros: The
        code parameters.
      threads: Threads to use (default: the CPUs this process may use).

    Returns:
      A list of `array.shape[0]` strings.

    Raises:
      ValueError: bad parameters, a value that cannot be coded (the message
        names the unit), a 0-d array.
      TypeError: an argument of the wrong type.
    """
    params = _params(run_length_code, magnitude_code, use_run_length_for_non_zeros)
    x = _batch_array(array)
    _unit_size(x.shape[1:])
    return _codec.encode_batch(x, x.shape[0], *params, _threads(threads))


def encoded_bits_batch(
    array: Any,
    *,
    run_length_code: int = -1,
    magnitude_code: int = 0,
    use_run_length_for_non_zeros: bool = False,
    threads: int | None = None,
) -> np.ndarray:
    """`encoded_bits` of each `array[i]`, as an int64 array of `array.shape[0]`.

    Arguments and errors as for `encode_batch`.
    """
    params = _params(run_length_code, magnitude_code, use_run_length_for_non_zeros)
    x = _batch_array(array)
    _unit_size(x.shape[1:])
    return _codec.encoded_bits_batch(x, x.shape[0], *params, _threads(threads))


def decode_batch(
    codes: Iterable[bytes | bytearray | memoryview],
    unit_shape: int | Sequence[int],
    *,
    run_length_code: int = -1,
    magnitude_code: int = 0,
    use_run_length_for_non_zeros: bool = False,
    threads: int | None = None,
) -> np.ndarray:
    """Decodes strings of units of `unit_shape` into one int32 array.

    Args:
      codes: Bytes-like strings, e.g. a list from `encode_batch`, or the
        object array of `LaplaceEntropyModel.compress(x).numpy()` (any
        shape; flattened in row-major order).
      unit_shape: The shape of one coding unit.
      run_length_code, magnitude_code, use_run_length_for_non_zeros: As
        given to the encoder.
      threads: Threads to use (default: the CPUs this process may use).

    Returns:
      An int32 array of shape `(len(codes), *unit_shape)` (for an array of
      strings: `(*codes.shape, *unit_shape)`).

    Raises:
      ValueError: a malformed string (the message names the unit), bad
        parameters.
      TypeError: a string that is not bytes-like, `unit_shape` not ints, or
        a fixed-width bytes array (NumPy strips its trailing zero bytes).
    """
    params = _params(run_length_code, magnitude_code, use_run_length_for_non_zeros)
    dims = _shape(unit_shape)
    if isinstance(codes, np.ndarray):
        if codes.dtype.kind != "O":
            raise TypeError(
                f"codes of dtype {codes.dtype} cannot be decoded: NumPy drops the trailing "
                "zero bytes of fixed-width strings; pass a list or an object array"
            )
        batch_shape = codes.shape
        code_list = codes.ravel().tolist()
    else:
        code_list = list(codes)
        batch_shape = (len(code_list),)
    values = _codec.decode_batch(code_list, _unit_size(dims), *params, _threads(threads))
    return values.reshape(batch_shape + dims)
