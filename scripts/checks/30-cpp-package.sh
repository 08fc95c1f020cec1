#!/usr/bin/env bash
# Bazel: builds and tests the codec targets of BUILD with plain Bazel and
# native rules only (no network: WORKSPACE maps the rule repositories Bazel
# would download to local stand-ins in third_party/bazel). Installs Debian's
# bazel-bootstrap if it is missing (idempotent); where it cannot, prints
# "SKIPPED: bazel not found" and exits 77 (scripts/test.sh counts a skip).
# (The CMake package, find_package and pkg-config are tested by pytest:
# tests/test_cpp_package.py.)
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v bazel >/dev/null; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bazel-bootstrap >/dev/null ||
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bazel-bootstrap >/dev/null; } ||
      true
  fi
fi
if ! command -v bazel >/dev/null; then
  echo "30-cpp-package: Bazel targets not built (apt-get install bazel-bootstrap, as root)"
  echo "SKIPPED: bazel not found"
  exit 77
fi

# Bazel's output lives outside the tree; --batch leaves no server behind.
root=${LAPLACE_RICE_BAZEL_ROOT:-/tmp/laplace-rice-bazel}
log=$(mktemp)
status=0
bazel --output_user_root="$root" --batch test -c opt --jobs=2 --local_cpu_resources=2 \
  --test_output=errors --noshow_progress //:codec //:codec_test >"$log" 2>&1 || status=$?
grep -v "linux-sandbox" "$log" | tail -n 20
rm -f "$log"
[ "$status" = 0 ] || exit "$status"

# Optional (about 2 minutes on 2 cores): //:ops_kernels against a stand-in
# @org_tensorflow made of the installed TensorFlow wheel, then the op library
# loaded with tf.load_op_library and checked against laplace_rice.codec.
if [ "${LAPLACE_RICE_BAZEL_OPS:-0}" != 1 ]; then
  echo "30-cpp-package: //:ops_kernels not built (optional: LAPLACE_RICE_BAZEL_OPS=1)"
  exit 0
fi
tf=$(python3 -c "import os, tensorflow as tf; print(os.path.dirname(tf.__file__))" 2>/dev/null)
standin=$(mktemp -d)
trap 'rm -rf "$standin"' EXIT
mkdir -p "$standin/tensorflow/core"
echo 'workspace(name = "org_tensorflow")' >"$standin/WORKSPACE"
touch "$standin/BUILD"
cp third_party/bazel/tf_wheel/BUILD.core "$standin/tensorflow/core/BUILD"
ln -s "$tf/include" "$standin/tensorflow/core/include"
ln -s "$tf/libtensorflow_framework.so.2" "$standin/tensorflow/core/"
bazel --output_user_root="$root" --batch build -c opt --jobs=2 --local_cpu_resources=2 \
  --noshow_progress --override_repository=org_tensorflow="$standin" \
  //:_laplace_rice_ops.so >"$standin/log" 2>&1 || { tail -n 40 "$standin/log"; exit 1; }
TF_CPP_MIN_LOG_LEVEL=2 python3 - "$(bazel --output_user_root="$root" --batch info -c opt bazel-bin 2>/dev/null)/_laplace_rice_ops.so" <<'PY'
import sys

import numpy as np
import tensorflow as tf

from laplace_rice import codec

ops = tf.load_op_library(sys.argv[1])
x = np.random.default_rng(0).laplace(scale=3, size=(8, 100)).round().astype(np.int32)
params = dict(run_length_code=1, magnitude_code=0, use_run_length_for_non_zeros=True)
strings = ops.laplace_rice_encode(x, coding_rank=1, **params).numpy().tolist()
assert strings == codec.encode_batch(x, **params), "Bazel-built ops differ"
print("bazel: //:ops_kernels (alwayslink) registers working ops")
PY
