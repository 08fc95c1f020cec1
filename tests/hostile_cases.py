"""The hostile-input cases of test_hostile.py, one function each.

Each case runs in a child process of its own (test_hostile.py starts them),
so that a crash, an abort or an OOM kill fails that case alone, with its
name. The cases import TensorFlow lazily: importing this module is cheap.

Run one case by hand: python hostile_cases.py <case>   (no case: the list)
"""

from __future__ import annotations

import dataclasses
import faulthandler
import os
import sys
import traceback
from collections.abc import Callable

INT32_MAX = 2**31 - 1
MAX_UNIT = 2**31 - 2  # kMaxUnitSize in codec.h

# ---------------------------------------------------------------------------
# The cases (run in the child only: TensorFlow is imported lazily).

# LAPLACE_RICE_MAX_OUTPUT_BYTES for the case that tests it; the others run
# without it (the parent removes it from their environment).
LIMIT_ENV = {"LAPLACE_RICE_MAX_OUTPUT_BYTES": "1000000"}


@dataclasses.dataclass(frozen=True)
class Case:
    fn: Callable[[], None]
    env: dict[str, str]


CASES: dict[str, Case] = {}


def case(env: dict[str, str] | None = None):
    """Registers a case (its name is the function's) and the environment
    variables its child needs."""

    def register(fn):
        assert fn.__name__ not in CASES, fn.__name__
        CASES[fn.__name__] = Case(fn, dict(env or {}))
        return fn

    return register


def _tf():
    import tensorflow as tf

    return tf


def _lib():
    from laplace_rice import ops

    return ops.library


def expect_error(fn, *errors):
    """Calls fn(); it must raise one of `errors` (with a message)."""
    try:
        fn()
    except errors as error:
        assert str(error), f"{type(error).__name__} without a message"
        return error
    raise AssertionError(f"expected one of {[e.__name__ for e in errors]}, got no error")


def _params():
    """A spread of parameter combinations, all valid."""
    for run_length_code in (-1, 0, 1, 3, 31):
        for magnitude_code in (-1, 0, 2, 31):
            for non_zeros in (False, True):
                yield dict(
                    run_length_code=run_length_code,
                    magnitude_code=magnitude_code,
                    use_run_length_for_non_zeros=non_zeros,
                )


def _laplace(rng, n, scale=2.0):
    import numpy as np

    return np.round(rng.laplace(0, scale, n)).astype(np.int32)


def _decode(strings, code_shape, **params):
    tf = _tf()
    return _lib().laplace_rice_decode(
        tf.constant(strings, tf.string), tf.constant(code_shape), **params
    )


def _encode(data, coding_rank=1, **params):
    return _lib().laplace_rice_encode(_tf().constant(data), coding_rank=coding_rank, **params)


@case()
def random_byte_strings():
    """Random bytes under every parameter set: a result or DataLoss."""
    import numpy as np

    tf = _tf()
    rng = np.random.default_rng(7)
    outcomes = {"ok": 0, "data_loss": 0}
    for params in _params():
        for _ in range(25):
            code = rng.integers(0, 256, rng.integers(0, 300), dtype=np.uint8).tobytes()
            n = int(rng.integers(0, 400))
            try:
                out = _decode(code, [n], **params)
                assert out.shape == (n,)
                outcomes["ok"] += 1
            except tf.errors.DataLossError:
                outcomes["data_loss"] += 1
    assert outcomes["data_loss"] > 0 and sum(outcomes.values()) == 1000, outcomes


@case()
def truncated_strings_fail():
    """Every strict prefix of a valid string is DataLoss (codes are missing)."""
    import numpy as np

    tf = _tf()
    rng = np.random.default_rng(8)
    for params in _params():
        data = _laplace(rng, 80)
        code = _encode(data, **params).numpy()
        assert _decode(code, [80], **params).numpy().tolist() == data.tolist()
        for length in range(len(code)):
            expect_error(
                lambda n=length, c=code, p=params: _decode(c[:n], [80], **p),
                tf.errors.DataLossError,
            )
        # Whole unused bytes after the last code are an error too.
        padded = code + b"\0"
        expect_error(lambda c=padded, p=params: _decode(c, [80], **p), tf.errors.DataLossError)


@case()
def bit_flipped_strings():
    """A flipped bit gives DataLoss, or other values (the format has one string
    per unit), or the same values when it is a padding bit."""
    import numpy as np

    from laplace_rice import codec

    tf = _tf()
    rng = np.random.default_rng(9)
    changed = 0
    for params in _params():
        data = _laplace(rng, 60)
        code = _encode(data, **params).numpy()
        bits = int(_lib().laplace_rice_bits(tf.constant(data), coding_rank=1, **params))
        # Where the padding starts: the codec's exact count (checked bit by
        # bit against the format oracle by the C++ tests; a wrong count here
        # would also show below, as a padding flip that changes the values or
        # a code flip that does not).
        exact_bits = codec.encoded_bits(data, **params)
        assert bits == 8 * len(code) and (exact_bits + 7) // 8 == len(code)
        for bit in rng.choice(8 * len(code), size=min(40, 8 * len(code)), replace=False):
            flipped = bytearray(code)
            flipped[bit // 8] ^= 1 << (bit % 8)
            try:
                out = _decode(bytes(flipped), [60], **params).numpy()
            except tf.errors.DataLossError:
                continue
            if bit >= exact_bits:
                assert out.tolist() == data.tolist(), "a padding bit changed the values"
            else:
                assert out.tolist() != data.tolist(), f"bit {bit} flipped, same values"
                changed += 1
    assert changed > 0


@case()
def overflowing_codes_fail():
    """Rice codes whose value overflows int32 (the reference writes outside its
    output on such a ~270-byte string) are DataLoss."""
    tf = _tf()
    for k in range(20, 32):
        prefix = 2 ** (31 - k)  # (prefix << k) + low bits >= 2^31
        # Gamma run length 0 ("1"), sign "1", then Rice(k) magnitude - 1.
        bits = "1" + "1" + "0" * prefix + "1" + "1" * k
        code = _bits_to_bytes(bits)
        params = dict(run_length_code=-1, magnitude_code=k)
        expect_error(lambda c=code, p=params: _decode(c, [1], **p), tf.errors.DataLossError)
        # The same prefix as a Rice run length: a run far past the unit's end.
        code = _bits_to_bytes("0" * prefix + "1" + "1" * k)
        params = dict(run_length_code=k, magnitude_code=0)
        expect_error(lambda c=code, p=params: _decode(c, [5], **p), tf.errors.DataLossError)
    # Gamma prefixes longer than 30 zero bits.
    code = _bits_to_bytes("0" * 31 + "1" + "0" * 31)
    expect_error(lambda: _decode(code, [3], run_length_code=-1), tf.errors.DataLossError)


def _bits_to_bytes(bits: str) -> bytes:
    """A string of '0'/'1' in writing order, LSB first per byte (FORMAT.md)."""
    out = bytearray((len(bits) + 7) // 8)
    for i, bit in enumerate(bits):
        if bit == "1":
            out[i // 8] |= 1 << (i % 8)
    return bytes(out)


@case()
def non_string_and_non_scalar_inputs():
    import numpy as np

    tf = _tf()
    from laplace_rice import ops

    lib = _lib()
    code = _encode(np.arange(6, dtype=np.int32)).numpy()
    # A wrong dtype is refused by TensorFlow's op checks, eagerly as
    # InvalidArgument, in Python conversions as TypeError or ValueError.
    wrong_type = (TypeError, ValueError, tf.errors.InvalidArgumentError)
    expect_error(lambda: lib.laplace_rice_decode(tf.constant([1]), [6]), *wrong_type)
    expect_error(lambda: lib.laplace_rice_decode([code], [6.0]), *wrong_type)
    expect_error(lambda: lib.laplace_rice_decode([code], [[6]]), tf.errors.InvalidArgumentError)
    expect_error(lambda: lib.laplace_rice_decode([code], 6), tf.errors.InvalidArgumentError)
    rank2 = lib.laplace_rice_decode([[code, code]], [2, 3])
    assert rank2.shape == (1, 2, 2, 3)
    expect_error(lambda: ops.run_length_decode([code, code], [6], -1, 0, False), ValueError)
    expect_error(lambda: lib.laplace_rice_encode(tf.constant(["a"]), coding_rank=1), *wrong_type)
    expect_error(
        lambda: lib.laplace_rice_encode(tf.constant([1], tf.int64), coding_rank=1), *wrong_type
    )
    expect_error(lambda: lib.laplace_rice_quantize(tf.constant([1])), *wrong_type)
    expect_error(
        lambda: lib.laplace_rice_penalty(
            tf.constant([1.0]), tf.constant([1.0, 2.0]), coding_rank=1
        ),
        tf.errors.InvalidArgumentError,
    )
    for op in (lib.laplace_rice_encode, lib.laplace_rice_bits):
        expect_error(
            lambda op=op: op(tf.zeros([2, 3]), coding_rank=3), tf.errors.InvalidArgumentError
        )
        expect_error(
            lambda op=op: op(tf.zeros([2, 3]), coding_rank=-1),
            tf.errors.InvalidArgumentError,
            ValueError,
        )


@case()
def graph_mode_shapes_and_gradients():
    """The same refusals inside tf.function, where shapes are inferred."""
    tf = _tf()
    lib = _lib()
    code = _encode([0, 0, 3]).numpy()

    @tf.function(input_signature=[tf.TensorSpec(None, tf.int64)])
    def decode(shape):
        return lib.laplace_rice_decode(tf.constant([code]), shape)

    assert decode(tf.constant([3], tf.int64)).shape == (1, 3)
    for shape in ([-2], [2**40], [MAX_UNIT], [[3]]):
        expect_error(
            lambda s=shape: decode(tf.constant(s, tf.int64)),
            tf.errors.InvalidArgumentError,
            tf.errors.DataLossError,
        )
    with_constant_shape = tf.function(lambda: lib.laplace_rice_decode([code], [-5]))
    expect_error(with_constant_shape, tf.errors.InvalidArgumentError, ValueError)
    # The penalty's gradient must get one upstream value per coding unit.
    x = tf.ones([4, 3, 2])
    for grad in (tf.ones([3]), tf.ones([4, 3]), tf.ones([])):
        expect_error(
            lambda g=grad: lib.laplace_rice_penalty_grad(x, g, tf.constant(1.0), coding_rank=2),
            tf.errors.InvalidArgumentError,
        )


@case()
def mismatched_code_shape():
    import numpy as np

    tf = _tf()
    data = np.arange(-50, 50, dtype=np.int32)
    code = _encode(data).numpy()
    assert _decode(code, [10, 10]).numpy().ravel().tolist() == data.tolist()
    for wrong in ([99], [101], [200], [0], [1], [4, 26]):
        expect_error(lambda w=wrong: _decode(code, w), tf.errors.DataLossError)
    # An empty unit from a non-empty string, and a non-empty unit from "".
    expect_error(lambda: _decode(code, [0, 7]), tf.errors.DataLossError)
    expect_error(lambda: _decode(b"", [3]), tf.errors.DataLossError)
    assert _decode(b"", [0]).shape == (0,)


def _peak_virtual_kib() -> int:
    """VmPeak of this process (Linux), 0 where unknown."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmPeak:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


@case()
def negative_and_huge_dims():
    tf = _tf()
    code = _encode([0, 0, 3]).numpy()
    for shape, dtype in (
        ([-1], tf.int32),
        ([3, -2], tf.int64),
        ([2**40], tf.int64),
        ([MAX_UNIT + 1], tf.int64),
        ([2**31 - 1, 2**31 - 1, 2**31 - 1], tf.int64),
        ([2**62, 4], tf.int64),
        ([1] * 300, tf.int32),
    ):
        expect_error(
            lambda s=shape, d=dtype: _decode(code, tf.constant(s, d)),
            tf.errors.InvalidArgumentError,
        )
    # The largest unit from a 1-byte string: refused before its 8 GiB output
    # is even allocated (no string of that size can hold it).
    peak_before = _peak_virtual_kib()
    for shape in ([MAX_UNIT], [2**15, 2**15], [2**20]):
        error = expect_error(lambda s=shape: _decode(code, s), tf.errors.DataLossError)
        assert "cannot hold" in str(error), str(error)
    grown_gib = (_peak_virtual_kib() - peak_before) / 2**20
    assert grown_gib < 2, f"decoding hostile shapes reserved {grown_gib:.1f} GiB"


@case()
def outputs_beyond_memory_are_refused():
    """Tiny inputs that ask for more memory than any machine has."""
    tf = _tf()
    # 61 bits: Gamma(2^31 - 1), a run of MAX_UNIT zeros. 8 bytes -> 8 GiB.
    zeros = _bits_to_bytes("0" * 30 + "1" + "1" * 30)
    strings = tf.fill([4096], tf.constant(zeros))
    error = expect_error(lambda: _decode(strings, [MAX_UNIT]), tf.errors.InvalidArgumentError)
    assert "LAPLACE_RICE_MAX_OUTPUT_BYTES" in str(error)
    # Rice magnitudes with k = 0 take |v| bits: 2^31 bits per value, 25 TiB
    # in many units, and 32 TiB in one large unit (which kernels may code on
    # several threads: every path must check before allocating).
    for shape in ([1000, 100], [1, 2**17], [2, 2**17]):
        huge = tf.fill(shape, INT32_MAX)
        error = expect_error(
            lambda h=huge: _encode(h, magnitude_code=0), tf.errors.InvalidArgumentError
        )
        assert "would take" in str(error) or "allocate" in str(error), str(error)
    huge = tf.fill([1000, 100], INT32_MAX)
    # Counting needs no memory: it works.
    bits = _lib().laplace_rice_bits(huge[:2], coding_rank=1, magnitude_code=0)
    assert bits.numpy().tolist() == [8 * ((100 * (2**31 + 1) + 7) // 8)] * 2


@case(env=LIMIT_ENV)
def output_limit_from_environment():
    """LAPLACE_RICE_MAX_OUTPUT_BYTES (set to 1 MB for this batch) bounds outputs."""
    import numpy as np

    tf = _tf()
    assert os.environ["LAPLACE_RICE_MAX_OUTPUT_BYTES"] == "1000000"
    zeros = _encode(np.zeros(300_000, np.int32)).numpy()
    expect_error(lambda: _decode(zeros, [300_000]), tf.errors.InvalidArgumentError)
    assert _decode(zeros[:0] + _encode(np.zeros(200_000, np.int32)).numpy(), [200_000]).shape == (
        200_000,
    )
    big = np.full([20, 1000], 500, np.int32)  # 501 bits a value with k = 0
    expect_error(lambda: _encode(big, magnitude_code=0), tf.errors.InvalidArgumentError)
    assert _encode(big[:2], magnitude_code=0).shape == (2,)
    # One large unit (kernels may code it on several threads): 8 MB.
    one = np.full([1, 2**17], 500, np.int32)
    expect_error(lambda: _encode(one, magnitude_code=0), tf.errors.InvalidArgumentError)
    assert _encode(one[:, : 2**13], magnitude_code=0).shape == (1,)


@case()
def out_of_range_parameters_to_raw_ops():
    import numpy as np

    tf = _tf()
    lib = _lib()
    data = tf.constant([0, 3, -1, 0], tf.int32)
    code = _encode(data).numpy()
    for bad in (32, 100, INT32_MAX):
        for name in ("run_length_code", "magnitude_code"):
            attrs = {name: bad}
            expect_error(
                lambda a=attrs: lib.laplace_rice_encode(data, coding_rank=1, **a),
                tf.errors.InvalidArgumentError,
            )
            expect_error(
                lambda a=attrs: lib.laplace_rice_bits(data, coding_rank=1, **a),
                tf.errors.InvalidArgumentError,
            )
            expect_error(lambda a=attrs: _decode(code, [4], **a), tf.errors.InvalidArgumentError)
    # Attributes beyond int32: refused by TensorFlow when the kernel reads them.
    for bad in (2**31, -(2**31) - 1, 2**62):
        expect_error(
            lambda b=bad: lib.laplace_rice_encode(data, coding_rank=1, magnitude_code=b),
            tf.errors.InvalidArgumentError,
            ValueError,
        )
    # Any negative value means gamma, the same strings as -1.
    rng = np.random.default_rng(3)
    values = _laplace(rng, 300, 5.0)
    for negative in (-2, -31, -(2**31)):
        for name in ("run_length_code", "magnitude_code"):
            a = _encode(values, **{name: negative}).numpy()
            b = _encode(values, **{name: -1}).numpy()
            assert a == b
            out = _decode(a, [300], **{name: negative}).numpy()
            assert out.tolist() == values.tolist()


@case()
def nan_and_inf_inputs():
    import numpy as np

    tf = _tf()
    lib = _lib()
    for dtype in (np.float32, np.float64):
        for bad in (np.nan, np.inf, -np.inf, 2.0**31, -(2.0**32)):
            x = tf.constant(np.array([0.0, 1.5, bad, 2.0], dtype))
            for op in (lib.laplace_rice_encode, lib.laplace_rice_bits):
                error = expect_error(
                    lambda op=op, x=x: op(x, coding_rank=1), tf.errors.InvalidArgumentError
                )
                assert "index 2" in str(error), str(error)
    # Edges: 2147483647.4 rounds to INT32_MAX, -2147483648.5 to INT32_MIN (even).
    edges = tf.constant([2147483647.4, -2147483648.5, -0.5, 0.5, 1.5], tf.float64)
    out = _decode(_encode(edges, magnitude_code=31).numpy(), [5], magnitude_code=31).numpy()
    assert out.tolist() == [INT32_MAX, -(2**31), 0, 0, 2]
    expect_error(
        lambda: _encode(tf.constant([2147483647.5], tf.float64)), tf.errors.InvalidArgumentError
    )
    # Quantize and the penalty follow IEEE: NaN and Inf pass through, no error.
    x = tf.constant([np.nan, np.inf, -np.inf, 2.5], tf.float32)
    q = lib.laplace_rice_quantize(x).numpy()
    assert np.isnan(q[0]) and q[1] == np.inf and q[2] == -np.inf and q[3] == 2.0
    p = lib.laplace_rice_penalty(x, tf.constant(1.0), coding_rank=1).numpy()
    assert np.isnan(p)
    p = lib.laplace_rice_penalty(x[1:2], tf.constant(np.nan, tf.float32), coding_rank=0).numpy()
    assert np.isnan(p).all()
    q, p = lib.laplace_rice_quantize_penalty(x, tf.constant(0.5), coding_rank=0)
    assert np.isnan(p.numpy()[0]) and p.numpy()[1] == np.inf


@case()
def entropy_model_with_hostile_strings():
    import numpy as np

    tf = _tf()
    from laplace_rice import LaplaceEntropyModel

    model = LaplaceEntropyModel(coding_rank=1, bottleneck_dtype=tf.float32)
    rng = np.random.default_rng(4)
    strings = [rng.integers(0, 256, 40, dtype=np.uint8).tobytes() for _ in range(30)]
    for s in strings:
        try:
            out = model.decompress(tf.constant([s]), [100])
            assert out.shape == (1, 100)
        except tf.errors.DataLossError:
            pass
    expect_error(
        lambda: model.decompress(tf.constant([b"\x02"]), [MAX_UNIT]), tf.errors.DataLossError
    )
    expect_error(lambda: model.compress(tf.constant([[np.nan]])), tf.errors.InvalidArgumentError)


# ---------------------------------------------------------------------------
# The child.

# Printed on stdout once a case has returned: an exit status of 0 without it
# (something in the case exiting the process early) is no pass.
PASSED_MARKER = "hostile case passed:"
# Seconds after which the child prints every thread's stack to stderr (set by
# the parent shortly before it would kill the child as hung).
STACK_AFTER_ENV = "LAPLACE_RICE_HOSTILE_STACK_AFTER"


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[1] not in CASES:
        print("usage: python hostile_cases.py <case>; cases:", *CASES, sep="\n  ", file=sys.stderr)
        return 2
    name = argv[1]
    if os.environ.get(STACK_AFTER_ENV):
        faulthandler.dump_traceback_later(float(os.environ[STACK_AFTER_ENV]))
    try:
        CASES[name].fn()
    except Exception:  # the parent shows the traceback (stderr) and fails the case
        traceback.print_exc()
        return 1
    print(PASSED_MARKER, name, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
