"""Importing the package: lazy TensorFlow, and the TensorFlow version check."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

HEADER = Path(__file__).resolve().parent.parent / "cc/codec/include/laplace_rice/codec.h"


def header_version() -> str:
    """The version written in codec.h, its one source."""
    text = HEADER.read_text()
    return ".".join(
        re.search(rf"kVersion{part} = (\d+);", text).group(1)
        for part in ("Major", "Minor", "Patch")
    )


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_import_does_not_load_tensorflow():
    result = _run(
        """
        import sys, laplace_rice
        assert "tensorflow" not in sys.modules, "import laplace_rice loaded TensorFlow"
        print(laplace_rice.__version__)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == header_version()


def test_mismatched_tensorflow_version_is_a_clear_import_error():
    result = _run(
        """
        import laplace_rice._build_info as info
        info.TF_VERSION = "2.9.0"
        try:
            import laplace_rice.ops
        except ImportError as error:
            print(error)
        else:
            raise SystemExit("no ImportError")
        """
    )
    assert result.returncode == 0, result.stderr
    assert "built against TensorFlow 2.9.0" in result.stdout
    assert "Rebuild" in result.stdout
    assert "pip install --force-reinstall --no-build-isolation --no-deps" in result.stdout
    assert "Supported: TensorFlow 2.16 to 2.21." in result.stdout


def test_unsupported_running_tensorflow_names_the_range_and_the_rebuild():
    # A TensorFlow outside the range fails the same way whatever the build:
    # install a supported one, then rebuild against it.
    result = _run(
        """
        import tensorflow as tf
        tf.__version__ = "2.15.1"
        try:
            import laplace_rice.ops
        except ImportError as error:
            print(error)
        else:
            raise SystemExit("no ImportError")
        """
    )
    assert result.returncode == 0, result.stderr
    assert "supports TensorFlow 2.16 to 2.21, but TensorFlow 2.15.1 is running" in result.stdout
    assert "--no-build-isolation" in result.stdout


def test_supported_range():
    # ops.py, CMake and scripts/detect_tf.py all read _tf_support.py.
    from laplace_rice import _tf_support

    assert _tf_support.describe() == "2.16 to 2.21"
    assert _tf_support.supported("2.16.0") and _tf_support.supported("2.21.0rc1")
    assert not _tf_support.supported("2.15.1") and not _tf_support.supported("2.22.0")
    assert not _tf_support.supported("nightly")


def test_tensorflow_free_names_stay_tensorflow_free():
    result = _run(
        """
        import sys, laplace_rice
        from laplace_rice import CodeParams, codec, suggest_code_params
        from laplace_rice.cli import main
        assert laplace_rice.CodeParams is CodeParams
        names = dir(laplace_rice)
        for name in laplace_rice.__all__ + ["codec", "ops", "serving", "cli"]:
            assert name in names, name
        assert "tensorflow" not in sys.modules, "a TensorFlow-free name loaded TensorFlow"
        """
    )
    assert result.returncode == 0, result.stderr


def test_tensorflow_names_load_on_first_use():
    result = _run(
        """
        import sys, laplace_rice
        from laplace_rice import LaplaceEntropyModel
        assert "tensorflow" in sys.modules
        assert LaplaceEntropyModel is laplace_rice.entropy_model.LaplaceEntropyModel
        assert laplace_rice.run_length_encode is laplace_rice.ops.run_length_encode
        assert laplace_rice.ops.library is not None
        try:
            laplace_rice.no_such_name
        except AttributeError as error:
            assert "no_such_name" in str(error)
        else:
            raise SystemExit("no AttributeError")
        """
    )
    assert result.returncode == 0, result.stderr


def test_version_check_runs_when_a_tensorflow_name_is_first_used():
    result = _run(
        """
        import laplace_rice, laplace_rice._build_info as info
        info.TF_VERSION = "2.9.0"
        try:
            laplace_rice.LaplaceEntropyModel
        except ImportError as error:
            print(error)
        else:
            raise SystemExit("no ImportError")
        """
    )
    assert result.returncode == 0, result.stderr
    assert "built against TensorFlow 2.9.0" in result.stdout


def test_codec_module_carries_the_header_version():
    result = _run(
        """
        from laplace_rice import _codec
        print(_codec.__version__)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == header_version()
