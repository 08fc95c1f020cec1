"""Keras 3: examples/keras trains a keras.Model holding a LaplaceEntropyModel
under mixed_float16 with jit_compile=True, exports it, and a fresh process
that registers the ops first serves compress/decompress with the same
strings."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

EXAMPLE = pathlib.Path(__file__).resolve().parent.parent / "examples" / "keras"
sys.path.insert(0, str(EXAMPLE))
import autoencoder  # noqa: E402


@pytest.fixture(scope="module")
def trained():
    return autoencoder.train(epochs=2)


def test_training_is_mixed_precision_and_compiled(trained):
    # The policy is restored, the model keeps what it was built with.
    assert keras.mixed_precision.global_policy().name == "float32"
    assert trained.entropy_model.bottleneck_dtype == tf.float16
    assert trained.encoder.compute_dtype == "float16"
    assert trained.jit_compile is True
    # The optimizer Keras wraps for mixed precision. Of the 16 steps, those
    # whose float16 gradients overflowed were skipped while the dynamic loss
    # scale (2**15 at first) came down: most steps applied, not all.
    assert isinstance(trained.optimizer, keras.optimizers.LossScaleOptimizer)
    assert 8 <= int(trained.optimizer.iterations) <= 2 * 256 // 32
    x = autoencoder.data(64, seed=1)
    losses = trained.evaluate(x, x, verbose=0)
    assert np.isfinite(losses)


@pytest.fixture(scope="module")
def export_dir(trained, tmp_path_factory):
    path = tmp_path_factory.mktemp("keras") / "export"
    autoencoder.export(trained, str(path))
    return path


def test_exported_model_serves_the_same_strings_in_a_fresh_process(trained, export_dir, tmp_path):
    x = autoencoder.data(5, seed=2)
    np.save(tmp_path / "x.npy", x)
    expected = [s.hex() for s in trained.compress(x).numpy()]
    assert len(expected) == 5 and all(expected)

    result = subprocess.run(
        [sys.executable, str(EXAMPLE / "serve.py"), str(export_dir), str(tmp_path / "x.npy")],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    served = json.loads(result.stdout.strip().splitlines()[-1])
    assert served["strings_hex"] == expected
    assert served["decompress_equals_serve"] is True


def test_without_the_ops_the_export_does_not_load(export_dir):
    # The trap the serving process avoids by loading the op library first.
    code = (
        "import tensorflow as tf, sys\n"
        "try:\n"
        f"    tf.saved_model.load({str(export_dir)!r})\n"
        "except Exception as e:\n"
        "    print(e); sys.exit(0)\n"
        "sys.exit('loaded without the ops')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Op type not registered 'LaplaceRice" in result.stdout
