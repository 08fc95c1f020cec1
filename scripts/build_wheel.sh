#!/usr/bin/env bash
# Builds a binary wheel of laplace_rice for the TensorFlow of the running
# Python (python3, or $PYTHON), into dist/ (or $1):
#
#   bash scripts/build_wheel.sh [OUT_DIR]  # -> dist/laplace_rice-1.1.0+tf2.21-cp311-cp311-linux_x86_64.whl
#
# Run it once per TensorFlow release (in an environment holding that
# TensorFlow) to get one wheel each. What makes the wheel honest:
# - it is built with --no-build-isolation, against the TensorFlow installed
#   here, and its metadata requires that distribution at that release
#   (`tensorflow-cpu>=2.21,<2.22`, from scripts/detect_tf.py --requirement),
#   so pip does not install it beside another release, and adds no second
#   TensorFlow distribution where the one built against is installed;
# - the version gets the local label +tfX.Y, so wheels for several releases
#   can sit in one folder and `pip list` shows which one is installed;
# - the tags are cpXY-cpXY-linux_x86_64 (scikit-build-core's), no manylinux:
#   that promises a glibc no newer than the policy's, which only a build in a
#   manylinux image keeps, and the op library links the TensorFlow wheel's
#   libtensorflow_framework.so.2, which no policy allows outside the wheel
#   (auditwheel repair would copy it in: a second TensorFlow runtime in the
#   process). The wheel runs where this machine's glibc (or a newer one) and
#   that TensorFlow are.
# `pip wheel --no-build-isolation --no-deps .` alone gives the same files
# without the label and without the TensorFlow requirement (pyproject.toml
# names no TensorFlow: a source build runs against whatever is installed).
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
out=$(mkdir -p "${1:-dist}" && cd "${1:-dist}" && pwd)

line=$("$python" scripts/detect_tf.py) || {
  echo "build_wheel: TensorFlow: $line" >&2
  exit 1
}
tf_version=${line##* }
requirement=$("$python" scripts/detect_tf.py --requirement)
label=tf$(echo "$tf_version" | cut -d. -f1,2)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The build folder is pyproject.toml's (build/<wheel tag>), the one
# `pip install --no-build-isolation .` (scripts/setup.sh) uses: right after
# an install the wheel costs no compiling. scikit-build-core passes this
# Python to CMake on every configure and cc/tf queries its TensorFlow again,
# so a folder last used with another TensorFlow is rebuilt, not reused.
# $BUILD_DIR names another (e.g. one of scripts/compat.sh's).
build_dir=()
# (--config-settings: pip before 23.1 has no -C.)
[ -z "${BUILD_DIR:-}" ] || build_dir=("--config-settings=build-dir=$BUILD_DIR")
nice -n 19 "$python" -m pip wheel -q --no-build-isolation --no-deps ${build_dir[@]+"${build_dir[@]}"} \
  -w "$work/plain" .
plain=$(ls "$work"/plain/laplace_rice-*.whl)

# Add the local version label and the TensorFlow requirement: unpack,
# rename the version in METADATA and the dist-info folder, add the
# Requires-Dist line among the headers, repack (wheel pack rewrites RECORD
# and the file name).
"$python" -m wheel unpack -d "$work/tree" "$plain" >/dev/null
tree=$(ls -d "$work"/tree/laplace_rice-*)
version=${tree##*/laplace_rice-}
new_version="$version+$label"
info="$tree/laplace_rice-$new_version.dist-info"
mv "$tree/laplace_rice-$version.dist-info" "$info"
"$python" - "$info/METADATA" "$version" "$new_version" "$requirement" <<'PY'
import sys

path, version, new_version, requirement = sys.argv[1:]
text = open(path, encoding="utf-8").read()
# The headers end at the first blank line; the description follows.
headers, sep, body = text.partition("\n\n")
lines = headers.split("\n")
assert f"Version: {version}" in lines, lines
lines[lines.index(f"Version: {version}")] = f"Version: {new_version}"
assert not any(line.startswith("Requires-Dist: tensorflow") for line in lines), lines
lines.append(f"Requires-Dist: {requirement}")
open(path, "w", encoding="utf-8").write("\n".join(lines) + sep + body)
PY
"$python" -m wheel pack -d "$out" "$tree" >/dev/null
wheel=$(ls "$out"/laplace_rice-"$new_version"-*.whl)
echo "$wheel"
