#!/usr/bin/env bash
# Cross-checks strings both ways against tensorflow-compression 2.14.1, the
# reference, installed in a side venv of its own (bench/setup_reference.sh does
# the same for the benchmark; idempotent).
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=${LAPLACE_RICE_REFERENCE_VENV:-/tmp/tfc-ref}
if ! "$venv/bin/python" -c "import tensorflow_compression" >/dev/null 2>&1; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q tensorflow-compression==2.14.1
fi
cd tests
LAPLACE_RICE_REFERENCE_PYTHON="$venv/bin/python" python3 -m pytest -q -p no:cacheprovider \
  test_reference_crosscheck.py
