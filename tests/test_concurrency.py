"""The ops called from 8 Python threads at once, on shared inputs, give the
same results as serial calls (no shared mutable state in the kernels)."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import tensorflow as tf

from laplace_rice import LaplaceEntropyModel
from laplace_rice.ops import library as lib

THREADS = 8
ROUNDS = 6
PARAMS = [
    dict(run_length_code=-1, magnitude_code=0, use_run_length_for_non_zeros=False),
    dict(run_length_code=2, magnitude_code=-1, use_run_length_for_non_zeros=True),
    dict(run_length_code=0, magnitude_code=3, use_run_length_for_non_zeros=True),
]


def _inputs():
    rng = np.random.default_rng(11)
    # Units of different sizes and sparsity, so that shards differ in cost.
    x = rng.laplace(0, 3.0, (16, 40, 50)) * (rng.random((16, 40, 50)) < 0.6)
    x[3] = 0.0
    x[5, 0, 0] = 4000.5  # a long Rice prefix in one unit
    return x.astype(np.float32)


def _calls(x32: tf.Tensor, x64: tf.Tensor, ints: tf.Tensor, strings: list[tf.Tensor]):
    """Every op, as named thunks returning numpy results."""
    calls = {}
    for i, params in enumerate(PARAMS):
        calls[f"encode_int32_{i}"] = lambda p=params: lib.laplace_rice_encode(
            ints, coding_rank=2, **p
        )
        calls[f"encode_float32_{i}"] = lambda p=params: lib.laplace_rice_encode(
            x32, coding_rank=2, **p
        )
        calls[f"encode_float64_{i}"] = lambda p=params: lib.laplace_rice_encode(
            x64, coding_rank=1, **p
        )
        calls[f"bits_{i}"] = lambda p=params: lib.laplace_rice_bits(x32, coding_rank=2, **p)
        calls[f"decode_{i}"] = lambda p=params, s=strings[i]: lib.laplace_rice_decode(
            s, [40, 50], **p
        )
    l1 = tf.constant(0.25, tf.float32)
    calls["quantize"] = lambda: lib.laplace_rice_quantize(x32)
    calls["penalty"] = lambda: lib.laplace_rice_penalty(x32, l1, coding_rank=2)
    calls["penalty_grad"] = lambda: lib.laplace_rice_penalty_grad(
        x32, tf.ones([16], tf.float32), l1, coding_rank=2
    )
    calls["quantize_penalty"] = lambda: lib.laplace_rice_quantize_penalty(x32, l1, coding_rank=1)
    return calls


def _numpy(result):
    if isinstance(result, (list, tuple)):
        return [np.asarray(r) for r in result]
    return [np.asarray(result)]


def _run_threads(target) -> list[BaseException]:
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            barrier.wait()
            target(index)
        except BaseException as error:  # reported by the test
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return errors


def _assert_same(name, expected, got):
    assert len(expected) == len(got), name
    for e, g in zip(expected, got, strict=True):
        assert e.dtype == g.dtype and e.shape == g.shape, name
        if e.dtype == object:
            assert e.tolist() == g.tolist(), name
        else:
            np.testing.assert_array_equal(e, g, err_msg=name)


def test_ops_from_8_threads_match_serial():
    x = _inputs()
    x32 = tf.constant(x)
    x64 = tf.constant(x.astype(np.float64).reshape(16 * 40, 50))
    ints = tf.constant(np.round(x).astype(np.int32))
    strings = [lib.laplace_rice_encode(ints, coding_rank=2, **p) for p in PARAMS]
    calls = _calls(x32, x64, ints, strings)
    serial = {name: _numpy(fn()) for name, fn in calls.items()}
    names = sorted(calls)
    results: dict[tuple[int, int, str], list[np.ndarray]] = {}

    def work(index: int) -> None:
        rng = np.random.default_rng(index)
        for round_ in range(ROUNDS):
            # Each thread walks the ops in its own order, so different ops overlap.
            for name in rng.permutation(names):
                results[(index, round_, name)] = _numpy(calls[name]())

    errors = _run_threads(work)
    assert not errors, errors
    assert len(results) == THREADS * ROUNDS * len(names)
    for (_, _, name), got in results.items():
        _assert_same(name, serial[name], got)


def test_shared_tf_function_and_model_from_8_threads():
    """One traced function and one model object, shared by all threads."""
    model = LaplaceEntropyModel(coding_rank=2, bottleneck_dtype=tf.float32)
    x = tf.constant(_inputs())

    @tf.function
    def round_trip(values):
        strings = model.compress(values)
        return strings, model.decompress(strings, tf.shape(values)[1:]), model.bits(values)

    expected = _numpy(round_trip(x))
    np.testing.assert_array_equal(expected[1], np.round(x.numpy()))
    got: list[list[np.ndarray]] = []

    def work(index: int) -> None:
        for _ in range(ROUNDS):
            got.append(_numpy(round_trip(x)))

    errors = _run_threads(work)
    assert not errors, errors
    assert len(got) == THREADS * ROUNDS
    for result in got:
        _assert_same("round_trip", expected, result)


def test_errors_from_8_threads_stay_per_call():
    """A failing call in one thread does not disturb the others' results."""
    good = tf.constant(np.arange(-500, 500, dtype=np.int32).reshape(10, 100))
    strings = lib.laplace_rice_encode(good, coding_rank=1)
    expected = good.numpy()
    bad = tf.constant([b"\x00\x01garbage"] * 10)
    outcomes: list[str] = []

    def work(index: int) -> None:
        for round_ in range(ROUNDS * 4):
            if (index + round_) % 2:
                with pytest.raises(tf.errors.DataLossError):
                    lib.laplace_rice_decode(bad, [100])
                outcomes.append("error")
            else:
                out = lib.laplace_rice_decode(strings, [100]).numpy()
                np.testing.assert_array_equal(out, expected)
                outcomes.append("ok")

    errors = _run_threads(work)
    assert not errors, errors
    assert outcomes.count("ok") == outcomes.count("error") == THREADS * ROUNDS * 2
