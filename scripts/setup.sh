#!/usr/bin/env bash
# Installs what the build and the tests need (Debian packages and PyPI), then
# builds and installs laplace_rice into the current Python. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  missing=()
  # ccache: scripts/compat.sh shares the TensorFlow-free objects between the
  # builds for each TensorFlow (scripts/checks/70-compat.sh).
  for pkg in libgtest-dev cmake ninja-build g++ ccache; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  fi
fi

# TensorFlow: build against the one installed, whichever distribution it is
# (tensorflow with or without [and-cuda], tensorflow-cpu, tf-nightly), if its
# release is supported; install tensorflow-cpu only where there is none.
# Installing tensorflow-cpu over a GPU `tensorflow` would overwrite its files
# with a second distribution's. scripts/detect_tf.py decides (its exit status).
tf_spec=()
status=0
line=$(python3 scripts/detect_tf.py) || status=$?
case $status in
  0) echo "setup: TensorFlow: $line, building against it" ;;
  1) tf_spec=("$(python3 scripts/detect_tf.py --pip-spec)")
     echo "setup: TensorFlow: none installed, installing ${tf_spec[0]}" ;;
  *) echo "setup: TensorFlow: $line" >&2
     exit 1 ;;
esac
python3 -m pip install -q ${tf_spec[@]+"${tf_spec[@]}"} numpy "pytest>=8" "hypothesis>=6" \
  scikit-learn matplotlib \
  "scikit-build-core>=0.10" "pybind11>=2.12" ninja wheel
# --no-build-isolation: build against the TensorFlow found or installed
# above, which is the one the op library will run with.
python3 -m pip install -q --no-build-isolation --no-deps .
