"""`suggest_code_params`: exact sizes, optimality, entropy gap, input checks."""

from __future__ import annotations

import dataclasses
import itertools
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

import laplace_rice
from laplace_rice import LaplaceEntropyModel
from laplace_rice.tuning import CodeParamsSuggestion, suggest_code_params

DEFAULTS = dict(run_length_code=-1, magnitude_code=0, use_run_length_for_non_zeros=False)


def laplace(scale: float, shape, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).laplace(0.0, scale, shape).astype(np.float32)


def compressed_bits(x: np.ndarray, coding_rank: int, **params) -> int:
    model = LaplaceEntropyModel(coding_rank, bottleneck_dtype=tf.float32, **params)
    strings = np.asarray(model.compress(x).numpy(), dtype=object).reshape(-1)
    return 8 * sum(len(s) for s in strings)


def size_of(s: CodeParamsSuggestion, count: int) -> int:
    """Total bits from bits/element (an exact integer up to float rounding)."""
    total = s.bits_per_element * count
    assert abs(total - round(total)) < 1e-6
    return round(total)


def test_exported_lazily():
    assert laplace_rice.suggest_code_params is suggest_code_params
    assert laplace_rice.CodeParamsSuggestion is CodeParamsSuggestion


@pytest.mark.parametrize("scale", [1, 2, 5, 10, 20])
def test_within_7_percent_of_entropy(scale):
    s = suggest_code_params(laplace(scale, 1 << 16, seed=scale))
    assert s.entropy_bits_per_element > 0
    assert s.bits_per_element <= 1.07 * s.entropy_bits_per_element, s


def test_wide_data_gets_a_rice_magnitude_code():
    s = suggest_code_params(laplace(20, 1 << 14))
    assert s.magnitude_code >= 3
    default = compressed_bits(laplace(20, 1 << 14), 1, **DEFAULTS) / (1 << 14)
    assert s.bits_per_element < 0.5 * default  # the defaults cost ~3x the entropy here


@pytest.mark.parametrize(
    "shape, coding_rank",
    [((1 << 15,), None), ((500, 64), None), ((3, 8, 8, 19), 3), ((40, 50), 2)],
)
def test_size_is_that_of_compress_and_not_above_defaults(shape, coding_rank):
    x = laplace(2.5, shape, seed=7)
    s = suggest_code_params(x, coding_rank=coding_rank)
    rank = coding_rank if coding_rank is not None else (len(shape) - 1 if len(shape) > 1 else 1)
    exact = compressed_bits(x, rank, **s.as_kwargs())
    assert size_of(s, x.size) == exact
    assert exact <= compressed_bits(x, rank, **DEFAULTS)


@pytest.mark.parametrize("scale, shape", [(0.4, (2000,)), (3.0, (60, 33)), (12.0, (1500,))])
def test_optimal_over_a_brute_force_grid(scale, shape):
    x = laplace(scale, shape, seed=3)
    rank = len(shape) - 1 if len(shape) > 1 else 1
    s = suggest_code_params(x)
    best = min(
        compressed_bits(
            x, rank, run_length_code=r, magnitude_code=m, use_run_length_for_non_zeros=nz
        )
        for r, m, nz in itertools.product(range(-1, 7), range(-1, 7), (False, True))
    )
    assert size_of(s, x.size) == best


def test_integers_and_all_zeros():
    ints = np.array([[0, 3, -1, 0, 0, 7], [1, 0, 0, 0, -2, 0]], dtype=np.int64)
    s = suggest_code_params(ints)
    assert size_of(s, ints.size) == compressed_bits(ints.astype(np.float32), 1, **s.as_kwargs())
    zeros = suggest_code_params(np.zeros(100, np.int32))
    assert zeros.entropy_bits_per_element == 0.0
    zeros_bits = compressed_bits(np.zeros(100, np.float32), 1, **zeros.as_kwargs())
    assert size_of(zeros, 100) == zeros_bits
    assert zeros_bits <= compressed_bits(np.zeros(100, np.float32), 1, **DEFAULTS)


def test_rounds_half_to_even_like_compress():
    x = np.array([0.5, 1.5, 2.5, -0.5, -1.5, 0.0, 3.49], np.float64)
    s = suggest_code_params(x)
    assert size_of(s, x.size) == compressed_bits(x.astype(np.float32), 1, **s.as_kwargs())


def test_suggestion_is_frozen_and_feeds_the_model():
    s = suggest_code_params(laplace(4, 4096))
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.magnitude_code = 0
    kwargs = s.as_kwargs()
    assert set(kwargs) == set(DEFAULTS)
    model = LaplaceEntropyModel(1, **kwargs)
    assert model.magnitude_code == s.magnitude_code


@pytest.mark.parametrize(
    "samples, error, match",
    [
        (np.zeros(0, np.float32), ValueError, "empty"),
        (np.zeros((4, 0)), ValueError, "empty"),
        ([1.0, float("nan")], ValueError, "NaN"),
        (np.array([1.0, np.inf]), ValueError, "NaN or infinite"),
        (["a", "b"], ValueError, "integers or floats"),
        (np.array([1 + 2j]), ValueError, "integers or floats"),
        (np.array([True, False]), ValueError, "integers or floats"),
        ([[1, 2], [3]], ValueError, "array of numbers"),
        (np.array([3e9]), ValueError, "int32"),
        (None, TypeError, "array of numbers"),
        ("12", TypeError, "array of numbers"),
    ],
)
def test_bad_samples(samples, error, match):
    with pytest.raises(error, match=match):
        suggest_code_params(samples)


def test_tensors_are_samples_too():
    x = laplace(3, (30, 40), seed=5)
    assert suggest_code_params(tf.constant(x)) == suggest_code_params(x)


def test_suggestion_params_are_code_params():
    from laplace_rice.params import CodeParams

    s = suggest_code_params(laplace(4, 4096))
    assert isinstance(s.params, CodeParams)
    assert s.params.as_kwargs() == s.as_kwargs()


def test_tuning_does_not_import_tensorflow():
    code = (
        "import sys, numpy as np\n"
        "from laplace_rice import suggest_code_params\n"
        "s = suggest_code_params(np.arange(-50, 50).reshape(4, 25))\n"
        "assert 'tensorflow' not in sys.modules, 'tuning loaded TensorFlow'\n"
        "print(s.bits_per_element)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert float(result.stdout) > 0


def test_bad_coding_rank():
    with pytest.raises(TypeError, match="coding_rank"):
        suggest_code_params(np.ones((2, 3)), coding_rank=1.5)
    with pytest.raises(ValueError, match="coding_rank"):
        suggest_code_params(np.ones((2, 3)), coding_rank=3)
