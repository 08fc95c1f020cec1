#!/usr/bin/env bash
# Bazel: builds and tests the codec targets of BUILD with plain Bazel and
# native rules only (no network: WORKSPACE maps the rule repositories Bazel
# would download to local stand-ins in third_party/bazel). Installs Debian's
# bazel-bootstrap if it is missing (idempotent); skips where it cannot.
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
  echo "bazel not available: Bazel check skipped"
  exit 0
fi

# Bazel's output lives outside the tree; --batch leaves no server behind.
root=${LAPLACE_RICE_BAZEL_ROOT:-/tmp/laplace-rice-bazel}
log=$(mktemp)
status=0
bazel --output_user_root="$root" --batch test -c opt --jobs=2 --local_cpu_resources=2 \
  --test_output=errors --noshow_progress //:codec //:codec_test >"$log" 2>&1 || status=$?
grep -v "linux-sandbox" "$log" | tail -n 20
rm -f "$log"
exit "$status"
