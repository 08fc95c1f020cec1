#!/usr/bin/env bash
# Installs what the build and the tests need (Debian packages and PyPI), then
# builds and installs laplace_rice into the current Python. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  missing=()
  for pkg in libgtest-dev cmake ninja-build g++; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  fi
fi

python3 -m pip install -q "tensorflow-cpu>=2.21,<2.22" numpy "pytest>=8" "hypothesis>=6" \
  scikit-learn matplotlib \
  "scikit-build-core>=0.10" "pybind11>=2.12" ninja
# --no-build-isolation: build against the TensorFlow installed above, which
# is the one the op library will run with.
python3 -m pip install -q --no-build-isolation --no-deps .
