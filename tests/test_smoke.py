"""The smoke subset: a few seconds that show an install works at all.

scripts/compat.sh runs this file (and only this file) against every supported
TensorFlow and Python, and scripts/checks/65-wheel.sh runs it against a wheel
installed where no compiler is on PATH. It touches each part a build can get
wrong: the op library loads and its kernels run (round trip, `bits`), the
gradients are registered, the XLA path compiles, a SavedModel reloads with the
custom ops, and the pybind11 codec module imports and agrees with the ops.

The cases are the full suite's own, picked rather than written a second time:
four are imported whole, two run one case of a parametrized test. The modules
they come from need nothing the smoke environments lack (NumPy, pytest,
TensorFlow and laplace_rice).
"""

from __future__ import annotations

import tensorflow as tf
import test_codec_py
import test_xla

# pytest collects every test_* name of this module, imported ones included:
# that is what puts these four in the smoke run.
from test_model import (  # noqa: F401
    test_bits_equal_the_compressed_size,
    test_call_gradients_combine_straight_through_and_penalty,
    test_compression_consistent_with_quantization,
    test_savedmodel_round_trip,
)

from laplace_rice import ops


def test_xla_step_matches_kernels():
    # One of test_xla's 16 cases (dtype by coding rank): each compiles on its
    # own, and one is enough to show that this build's XLA path works.
    test_xla.test_call_forward_and_backward_match_without_xla(tf.float32, 2, [3, 5, 7])


def test_codec_module_agrees_with_ops():
    # Takes the ops module where the full suite's fixture skips without
    # TensorFlow; here TensorFlow must be there.
    test_codec_py.test_same_strings_as_the_entropy_model(ops)
