#!/usr/bin/env bash
# Sets up what bench/run.py compares against, idempotently:
#   1. the reference, tensorflow-compression 2.14.1 (on TensorFlow 2.14), in a
#      venv of its own (REFERENCE_VENV, default /tmp/tfc-ref), never in ours;
#   2. the peer coders (imagecodecs, zstandard, constriction) in the Python
#      that runs the benchmark (first argument, default python3).
# Each step is skipped when what it installs already imports.
#
#   bench/setup_reference.sh [PYTHON]
set -euo pipefail

PYTHON="${1:-python3}"
REFERENCE_VENV="${REFERENCE_VENV:-/tmp/tfc-ref}"

reference_ok() {
  "$REFERENCE_VENV/bin/python" - <<'EOF' >/dev/null 2>&1
import importlib.metadata
import tensorflow_compression as tfc
from tensorflow_compression.python.entropy_models.laplace import LaplaceEntropyModel
version = importlib.metadata.version("tensorflow-compression")
assert version == "2.14.1", version
assert callable(tfc.run_length_encode) and callable(tfc.run_length_decode)
EOF
}

if reference_ok; then
  echo "reference: tensorflow-compression 2.14.1 ready in $REFERENCE_VENV"
else
  echo "reference: installing tensorflow-compression 2.14.1 into $REFERENCE_VENV"
  [ -x "$REFERENCE_VENV/bin/python" ] || python3 -m venv "$REFERENCE_VENV"
  "$REFERENCE_VENV/bin/pip" install -q "tensorflow-compression==2.14.1"
  reference_ok || { echo "reference: install failed" >&2; exit 1; }
fi

if "$PYTHON" -c "import imagecodecs, zstandard, constriction" >/dev/null 2>&1; then
  echo "peers: imagecodecs, zstandard, constriction ready in $PYTHON"
else
  echo "peers: installing imagecodecs, zstandard, constriction into $PYTHON"
  "$PYTHON" -m pip install -q imagecodecs zstandard constriction
fi
