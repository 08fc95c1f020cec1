#!/usr/bin/env bash
# The binary wheel: builds it (scripts/build_wheel.sh, for python3's
# TensorFlow), checks its name, contents and metadata, installs it into a
# fresh virtual environment, where pip fetches its TensorFlow by the wheel's
# own requirement (from pip's cache when it has it), with no compiler on
# PATH and binaries only, then runs the smoke tests (tests/test_smoke.py)
# there. Skips (77) when python3 has no `venv` or `wheel` module.
# $PYTHON (default python3) and $BUILD_DIR pass on to build_wheel.sh: by
# default the wheel reuses setup.sh's build folder, so it costs no compiling
# after setup.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
start=$(date +%s)
python=${PYTHON:-python3}

if ! "$python" -c 'import venv, wheel' 2>/dev/null; then
  echo "SKIPPED: $python lacks the venv or wheel module (pip install wheel)"
  exit 77
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
wheel=$(PYTHON=$python bash scripts/build_wheel.sh "$work/dist" | tail -n 1)
name=$(basename "$wheel")
echo "65-wheel: built $name ($(du -k "$wheel" | cut -f1) KiB)"

# The name: version with the TensorFlow label, CPython tags of this Python,
# a plain Linux platform tag (build_wheel.sh says why not manylinux).
tf_release=$("$python" -c 'import importlib.metadata as m, sys
for d in ("tensorflow", "tensorflow-cpu", "tf-nightly", "tf-nightly-cpu"):
    try:
        v = m.version(d)
    except m.PackageNotFoundError:
        continue
    print(".".join(v.split(".")[:2])); sys.exit()')
py_tag=$("$python" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')
pattern="^laplace_rice-[0-9.]+\+tf${tf_release//./\\.}-$py_tag-$py_tag-linux_$(uname -m)\.whl\$"
if ! [[ $name =~ $pattern ]]; then
  echo "65-wheel: FAIL: $name does not match $pattern"
  exit 1
fi

# The contents and the metadata, read from the wheel itself.
"$python" - "$wheel" "$tf_release" <<'PY'
import re
import sys
import zipfile

path, release = sys.argv[1], sys.argv[2]
names = zipfile.ZipFile(path).namelist()
for needed in ("laplace_rice/_laplace_rice_ops.so", "laplace_rice/_build_info.py"):
    assert needed in names, f"{needed} missing from the wheel"
assert any(n.startswith("laplace_rice/_codec.") and n.endswith(".so") for n in names), names
metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
lines = zipfile.ZipFile(path).read(metadata).decode().splitlines()
requires = [line.split(": ", 1)[1] for line in lines if line.startswith("Requires-Dist: ")]
# Exactly one TensorFlow distribution, bounded to the release built against.
tf = [r for r in requires if re.match(r"(tensorflow|tf-nightly)(-cpu)?\b", r)]
assert len(tf) == 1, f"one TensorFlow requirement expected, got {requires}"
major, minor = (int(p) for p in release.split("."))
bounds = sorted(re.sub(r"^[a-z-]+\s*", "", tf[0]).replace(" ", "").split(","))
want = sorted([f">={major}.{minor}", f"<{major}.{minor + 1}"])
assert bounds == want, f"{tf[0]}: expected the bounds {want}"
print("65-wheel: metadata requires", ", ".join(requires))
PY

# A fresh environment: nothing of this machine's site-packages. Its
# TensorFlow comes from pip (cache or index), by the wheel's requirement.
"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q --only-binary=:all: "$wheel" "pytest>=8"

# No compiler, no build tool: PATH holds the environment's bin only (in a
# subshell: the cleanup and the timing below need the usual tools).
(
  export PATH="$work/venv/bin"
  for tool in cc c++ gcc g++ clang clang++ cmake ninja make ld; do
    if command -v "$tool" >/dev/null; then
      echo "65-wheel: FAIL: $tool is still on PATH ($(command -v "$tool"))"
      exit 1
    fi
  done
  installed=$(python -c 'import importlib.metadata as m; print(m.version("laplace_rice"))')
  echo "65-wheel: installed laplace_rice $installed in a fresh venv (PATH=$PATH)"
  # From tests/, so that the installed package is imported, not python/.
  cd tests && python -m pytest -q -p no:cacheprovider test_smoke.py
)
echo "65-wheel: passed in $(($(date +%s) - start)) s"
