"""Serving: the exported SavedModel runs in processes that never import laplace_rice.

Two hosts load it as a model server would: a fresh Python process (op library
by path, then `tf.saved_model.load`), and a C program on the TensorFlow C API
(`TF_LoadLibrary`, `TF_LoadSessionFromSavedModel`, `TF_SessionRun`) built with
CMake from examples/serving. Both must reproduce `model.compress` byte for byte
and `model.quantize` after the round trip, and both must fail with "Op type not
registered" when the op library is not loaded first.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf

import laplace_rice
from laplace_rice import serving

REPO = pathlib.Path(__file__).resolve().parents[1]
C_CLIENT_SOURCE = REPO / "examples" / "serving"
TIMEOUT_S = 120
CODE_SHAPE = (4, 8)
MODEL_ARGS = dict(coding_rank=2, l1=0.01, run_length_code=1, magnitude_code=-1)


def _env() -> dict:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    env.pop("PYTHONPATH", None)  # the fresh process sees only installed packages
    return env


@pytest.fixture(scope="module")
def model() -> laplace_rice.LaplaceEntropyModel:
    return laplace_rice.LaplaceEntropyModel(**MODEL_ARGS, bottleneck_dtype=tf.float32)


@pytest.fixture(scope="module")
def bottleneck() -> np.ndarray:
    # Laplace-like values with many zeros after rounding; no exact .5 ties.
    rng = np.random.default_rng(6)
    return (rng.laplace(scale=1.5, size=(5, *CODE_SHAPE))).astype(np.float32)


@pytest.fixture(scope="module")
def export_dir(model, tmp_path_factory) -> pathlib.Path:
    path = tmp_path_factory.mktemp("serving") / "laplace" / "1"
    serving.export_saved_model(model, path, bottleneck_shape=[None, *CODE_SHAPE])
    return path


@pytest.fixture(scope="module")
def c_client(tmp_path_factory) -> pathlib.Path:
    """The C API client, configured and built once per session."""
    build = tmp_path_factory.mktemp("c_client_build")
    configure = [
        shutil.which("cmake") or "cmake",
        "-S",
        str(C_CLIENT_SOURCE),
        "-B",
        str(build),
        f"-DTF_INCLUDE_DIR={tf.sysconfig.get_include()}",
        f"-DTF_LIB_DIR={tf.sysconfig.get_lib()}",
    ]
    for command in (configure, ["cmake", "--build", str(build)]):
        result = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S)
        assert result.returncode == 0, result.stdout + result.stderr
    return build / "laplace_rice_c_client"


def _read_length_prefixed(path: pathlib.Path) -> list[bytes]:
    data = path.read_bytes()
    strings, pos = [], 0
    while pos < len(data):
        size = int.from_bytes(data[pos : pos + 4], "little")
        strings.append(data[pos + 4 : pos + 4 + size])
        pos += 4 + size
    assert pos == len(data)
    return strings


# Runs in a fresh interpreter: TensorFlow only, the op library by path.
_PYTHON_HOST = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import tensorflow as tf

    export_dir, library, work = sys.argv[1:]
    report = {}
    try:
        tf.saved_model.load(export_dir)
        report["without_library"] = "loaded"
    except Exception as error:  # the trap the docs describe
        report["without_library"] = f"{type(error).__name__}: {error}"
    tf.load_op_library(library)
    loaded = tf.saved_model.load(export_dir)
    bottleneck = np.load(work + "/bottleneck.npy")
    strings = loaded.signatures["compress"](bottleneck=tf.constant(bottleneck))["strings_bytes"]
    decoded = loaded.signatures["decompress"](strings_bytes=strings)["bottleneck"]
    np.save(work + "/strings.npy", strings.numpy())
    np.save(work + "/decoded.npy", decoded.numpy())
    report["signatures"] = sorted(loaded.signatures)
    report["modules"] = sorted(m for m in sys.modules if m.split(".")[0] == "laplace_rice")
    print(json.dumps(report))
    """
)


def test_op_library_path_is_the_loaded_library():
    from laplace_rice import ops

    path = serving.op_library_path()
    assert os.path.isabs(path) and os.path.isfile(path)
    assert os.path.samefile(path, ops._LIBRARY_PATH)


def test_signature_specs(export_dir, model):
    names = serving.signature_names(export_dir)
    assert sorted(names) == ["compress", "decompress"]
    assert list(names["compress"]["inputs"]) == ["bottleneck"]
    assert list(names["compress"]["outputs"]) == ["strings_bytes"]
    assert list(names["decompress"]["inputs"]) == ["strings_bytes"]
    assert list(names["decompress"]["outputs"]) == ["bottleneck"]
    loaded = tf.saved_model.load(str(export_dir))  # ops registered in this process
    compress, decompress = loaded.signatures["compress"], loaded.signatures["decompress"]
    (spec,) = compress.structured_input_signature[1].values()
    assert spec.shape.as_list() == [None, *CODE_SHAPE] and spec.dtype == tf.float32
    # Any batch size: here 2, with the code shape fixed at export.
    x = tf.constant([[[0.4] * 8] * 4, [[-2.6] * 8] * 4])
    strings = compress(bottleneck=x)["strings_bytes"]
    assert strings.shape == [2]
    np.testing.assert_array_equal(
        decompress(strings_bytes=strings)["bottleneck"], model.quantize(x)
    )


def test_python_host_in_fresh_process(export_dir, model, bottleneck, tmp_path):
    np.save(tmp_path / "bottleneck.npy", bottleneck)
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            _PYTHON_HOST,
            str(export_dir),
            serving.op_library_path(),
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        env=_env(),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["modules"] == []  # the host never imported our package
    assert "Op type not registered 'LaplaceRice" in report["without_library"]
    assert report["signatures"] == ["compress", "decompress"]
    strings = np.load(tmp_path / "strings.npy", allow_pickle=True)
    np.testing.assert_array_equal(strings, model.compress(bottleneck).numpy())
    decoded = np.load(tmp_path / "decoded.npy")
    np.testing.assert_array_equal(decoded, model.quantize(bottleneck).numpy())


def _run_c_client(c_client, export_dir, bottleneck, library: str, work: pathlib.Path):
    names = serving.signature_names(export_dir)
    bottleneck.astype("<f4").tofile(work / "bottleneck.f32")
    command = [
        str(c_client),
        str(export_dir),
        library,
        str(work / "bottleneck.f32"),
        ",".join(str(d) for d in bottleneck.shape),
        names["compress"]["inputs"]["bottleneck"],
        names["compress"]["outputs"]["strings_bytes"],
        names["decompress"]["inputs"]["strings_bytes"],
        names["decompress"]["outputs"]["bottleneck"],
        str(work / "strings.bin"),
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S, env=_env())


def test_c_api_host_round_trip(c_client, export_dir, model, bottleneck, tmp_path):
    result = _run_c_client(c_client, export_dir, bottleneck, serving.op_library_path(), tmp_path)
    assert result.returncode == 0, result.stderr[-4000:]
    assert "round trip OK: 160 values, 5 strings" in result.stdout
    strings = _read_length_prefixed(tmp_path / "strings.bin")
    assert strings == list(model.compress(bottleneck).numpy())


def test_c_api_host_handles_empty_batch(c_client, export_dir, tmp_path):
    empty = np.zeros((0, *CODE_SHAPE), np.float32)
    result = _run_c_client(c_client, export_dir, empty, serving.op_library_path(), tmp_path)
    assert result.returncode == 0, result.stderr[-4000:]
    assert "round trip OK: 0 values, 0 strings" in result.stdout


def test_c_api_host_without_op_library_fails_clearly(c_client, export_dir, bottleneck, tmp_path):
    result = _run_c_client(c_client, export_dir, bottleneck, "-", tmp_path)
    assert result.returncode == 1
    assert "Op type not registered 'LaplaceRice" in result.stderr


@pytest.mark.parametrize("dtype", [tf.float16, tf.float64])
def test_export_other_dtypes_and_coding_rank_zero(dtype, tmp_path):
    model = laplace_rice.LaplaceEntropyModel(coding_rank=0, bottleneck_dtype=dtype)
    serving.export_saved_model(model, tmp_path, bottleneck_shape=[3])
    loaded = tf.saved_model.load(str(tmp_path))
    x = tf.constant([1.4, -7.0, 0.2], dtype)
    strings = loaded.signatures["compress"](bottleneck=x)["strings_bytes"]
    assert strings.shape == [3]
    decoded = loaded.signatures["decompress"](strings_bytes=strings)["bottleneck"]
    assert decoded.dtype == dtype
    np.testing.assert_array_equal(decoded, [1.0, -7.0, 0.0])


@pytest.mark.parametrize(
    "shape, error",
    [
        ([None, None, 8], ValueError),  # code shape must be known
        ([8], ValueError),  # fewer than coding_rank dimensions
        ([2, -1, 8], ValueError),
        ([2, 4.0, 8], ValueError),
        ("2,4,8", TypeError),
    ],
)
def test_export_rejects_bad_shapes(model, shape, error, tmp_path):
    with pytest.raises(error, match="bottleneck_shape"):
        serving.export_saved_model(model, tmp_path, bottleneck_shape=shape)


def test_export_rejects_other_models(tmp_path):
    with pytest.raises(TypeError, match="LaplaceEntropyModel"):
        serving.export_saved_model(tf.Module(), tmp_path, bottleneck_shape=[2])


def test_cli_prints_op_library_path():
    result = subprocess.run(
        [sys.executable, "-m", "laplace_rice.serving", "op-library"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        env=_env(),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == serving.op_library_path()
