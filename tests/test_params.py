"""`CodeParams`: one check of the three code parameters, shared by every coder."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import numpy as np
import pytest

from laplace_rice import _codec, codec
from laplace_rice.container import ContainerError, Header
from laplace_rice.params import GAMMA, MAX_RICE_PARAMETER, MAX_UNIT_SIZE, CodeParams

DEFAULTS = dict(run_length_code=-1, magnitude_code=0, use_run_length_for_non_zeros=False)


def test_limits_come_from_the_compiled_codec():
    assert MAX_RICE_PARAMETER == _codec.MAX_RICE_PARAMETER == 31
    assert MAX_UNIT_SIZE == _codec.MAX_UNIT_SIZE
    assert codec.MAX_RICE_PARAMETER == MAX_RICE_PARAMETER
    assert codec.MAX_UNIT_SIZE == MAX_UNIT_SIZE


def test_defaults_are_the_models():
    params = CodeParams()
    assert params.as_kwargs() == DEFAULTS
    assert params.as_tuple() == (-1, 0, False)


def test_values_are_normalized():
    params = CodeParams(np.int64(3), np.int8(-7), np.bool_(True))
    assert params == CodeParams(3, GAMMA, True)
    assert type(params.run_length_code) is int
    assert type(params.magnitude_code) is int
    assert type(params.use_run_length_for_non_zeros) is bool
    assert CodeParams(-(10**20), MAX_RICE_PARAMETER).as_tuple() == (-1, 31, False)
    assert CodeParams(use_run_length_for_non_zeros=1).use_run_length_for_non_zeros is True


def test_frozen_hashable_and_a_fresh_dict_each_time():
    params = CodeParams(2, 1, True)
    with pytest.raises(dataclasses.FrozenInstanceError):
        params.magnitude_code = 0
    assert len({params, CodeParams(2, 1, True)}) == 1
    params.as_kwargs()["magnitude_code"] = 5
    assert params.magnitude_code == 1


@pytest.mark.parametrize("name", ["run_length_code", "magnitude_code"])
def test_bad_codes(name):
    with pytest.raises(ValueError, match=f"{name} = 32 is out of range"):
        CodeParams(**{name: 32})
    with pytest.raises(ValueError, match=name):
        CodeParams(**{name: 10**20})
    for bad in (1.0, "3", None, True, np.bool_(False)):
        with pytest.raises(TypeError, match=name):
            CodeParams(**{name: bad})


def test_bad_flag():
    for bad in ("yes", None, 1.0):
        with pytest.raises(TypeError, match="use_run_length_for_non_zeros must be a bool"):
            CodeParams(use_run_length_for_non_zeros=bad)


def test_feeds_the_codec():
    x = np.array([[0, 0, 3, -1, 0, 9], [1, 1, 0, 0, 0, -4]], np.int32)
    params = CodeParams(1, 2, True)
    strings = codec.encode_batch(x, **params.as_kwargs())
    np.testing.assert_array_equal(codec.decode_batch(strings, 6, **params.as_kwargs()), x)


def test_the_container_header_uses_it():
    header = Header(np.int32, (2, 3), 1, np.int64(4), -1, np.bool_(True))
    assert header.params == CodeParams(4, -1, True)
    assert header.code_params() == CodeParams(4, -1, True).as_kwargs()
    assert type(header.run_length_code) is int
    with pytest.raises(ContainerError, match="magnitude_code = 32"):
        Header(np.int32, (2, 3), 1, magnitude_code=32)
    with pytest.raises(ContainerError, match="use_run_length_for_non_zeros"):
        Header(np.int32, (2, 3), 1, use_run_length_for_non_zeros="yes")
    # The format stores gamma as -1 only.
    with pytest.raises(ContainerError, match="run_length_code must be -1"):
        Header(np.int32, (2, 3), 1, run_length_code=-2)


def test_importing_it_does_not_load_tensorflow():
    code = "import sys, laplace_rice.params; assert 'tensorflow' not in sys.modules"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
