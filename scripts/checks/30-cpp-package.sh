#!/usr/bin/env bash
# Bazel, on every run: builds //:codec and runs //:codec_test, builds
# //:ops_kernels (as the op library //:_laplace_rice_ops.so) against the
# installed TensorFlow wheel, loads it with tf.load_op_library and checks a
# round trip against laplace_rice.codec. Plain Bazel and native rules only (no
# network: WORKSPACE maps the rule repositories Bazel would download to local
# stand-ins in third_party/bazel). Installs Debian's bazel-bootstrap if it is
# missing (idempotent); where it cannot, prints "SKIPPED: bazel not found" and
# exits 77 (scripts/test.sh counts a skip). A missing TensorFlow is a failure:
# scripts/setup.sh, which runs before the checks, installs one.
# (The CMake package, find_package and pkg-config are tested by pytest:
# tests/test_cpp_package.py.)
#
# Bazel's compile and link results are kept in a disk cache under
# ~/.cache/laplace_rice/bazel (LAPLACE_RICE_BAZEL_CACHE), keyed by content
# and not by the checkout's path, so CI's fresh clone in a new folder reuses
# the previous run's objects. Measured on the 2 shared cores (load average
# 2.5 to 4): 163 s with an empty cache (142 s of it the codec's dispatch.cc
# at -O3), 27 s with a filled one; see docs/cpp.md.
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

tf=$(python3 -c "import os, tensorflow as tf; print(os.path.dirname(tf.__file__))") || {
  echo "30-cpp-package: python3 cannot import tensorflow (run scripts/setup.sh)" >&2
  exit 1
}

cache=${LAPLACE_RICE_BAZEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/laplace_rice/bazel}
# Bazel 4 never evicts from a disk cache, and every change to the sources
# adds entries: past 1 GiB (about 100 builds) it starts empty again, which
# costs one cold build.
if [ -d "$cache" ] && [ "$(du -sm "$cache" | cut -f1)" -gt 1024 ]; then
  echo "30-cpp-package: disk cache $cache over 1 GiB, emptied"
  rm -rf "$cache"
fi
mkdir -p "$cache"

# Everything else of Bazel's lives in a folder of this run, removed at exit:
# with the disk cache it would save nothing, and a fresh CI clone would leave
# one more output base (and its sandboxes) behind each run. Bazel writes its
# outputs read-only, hence the chmod before the rm.
tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT

# A stand-in @org_tensorflow made of the installed wheel: its headers and
# libtensorflow_framework.so.2 under the target //tensorflow/core:framework.
standin=$tmp/org_tensorflow
mkdir -p "$standin/tensorflow/core"
echo 'workspace(name = "org_tensorflow")' >"$standin/WORKSPACE"
touch "$standin/BUILD"
cp third_party/bazel/tf_wheel/BUILD.core "$standin/tensorflow/core/BUILD"
ln -s "$tf/include" "$standin/tensorflow/core/include"
ln -s "$tf/libtensorflow_framework.so.2" "$standin/tensorflow/core/"

# One invocation builds every target: each --batch call starts Bazel's JVM
# and loads and analyzes the targets again. --force_pic compiles the codec
# once, position-independent, for both the test and the op library, instead
# of a second time without -fPIC for libcodec.a. The test runs every time
# (--nocache_test_results), even when the disk cache holds its result.
# Compiles run unsandboxed (--strategy=CppCompile=local): a sandbox of the
# op library's compiles holds a link to each of the wheel's 11,000 headers,
# and Bazel leaves those behind, about 40,000 entries whose removal took 18 s
# to 80 s here. Bazel still fails a compile that includes an undeclared
# header (it checks the compiler's .d file), as the sandbox would. Links and
# the test stay sandboxed. --symlink_prefix=/ makes no bazel-* links in the
# tree (they would point into $tmp).
bazel=(bazel --output_user_root="$tmp/root" --batch)
flags=(-c opt --force_pic --jobs=2 --local_cpu_resources=2 --disk_cache="$cache"
  --strategy=CppCompile=local --override_repository=org_tensorflow="$standin"
  --symlink_prefix=/)
status=0
"${bazel[@]}" test "${flags[@]}" --nocache_test_results --test_output=errors --noshow_progress \
  //:codec //:codec_test //:_laplace_rice_ops.so >"$tmp/log" 2>&1 || status=$?
grep -v "linux-sandbox" "$tmp/log" | tail -n 20
[ "$status" = 0 ] || exit "$status"

bin=$("${bazel[@]}" info "${flags[@]}" bazel-bin 2>/dev/null)
TF_CPP_MIN_LOG_LEVEL=2 python3 - "$bin/_laplace_rice_ops.so" <<'PY'
import sys

import numpy as np
import tensorflow as tf

from laplace_rice import codec

ops = tf.load_op_library(sys.argv[1])
x = np.random.default_rng(0).laplace(scale=3, size=(8, 100)).round().astype(np.int32)
params = dict(run_length_code=1, magnitude_code=0, use_run_length_for_non_zeros=True)
strings = ops.laplace_rice_encode(x, coding_rank=1, **params)
assert strings.numpy().tolist() == codec.encode_batch(x, **params), "Bazel-built ops differ"
back = ops.laplace_rice_decode(strings, code_shape=[100], **params).numpy()
assert (back == x).all(), "Bazel-built ops do not decode their own strings"
print("bazel: //:ops_kernels (alwayslink) registers working ops: strings as laplace_rice.codec's, round trip exact")
PY
