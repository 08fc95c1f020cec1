#!/usr/bin/env bash
# Builds laplace_rice and runs the smoke tests (tests/test_smoke.py) against
# several Python/TensorFlow pairs, each in a virtual environment of its own,
# then prints a table: Python, TensorFlow, build time, smoke result.
#
#   scripts/compat.sh                    every supported pair (see ALL below)
#   scripts/compat.sh 3.11:2.16 3.11:2.21
#   scripts/compat.sh --table FILE ...   also write the table (Markdown) to FILE
#   scripts/compat.sh --clean ...        delete each pair's build folder first,
#                                        so the build time is a full build
#   scripts/compat.sh --no-cuda ...      leave out the CUDA kernels (built by
#                                        default when nvcc is found, as for users)
#   scripts/compat.sh --no-ccache ...    compile everything (by default ccache,
#                                        where installed, serves objects that do
#                                        not depend on TensorFlow's headers, the
#                                        codec's, from an earlier pair's build)
#
# Environments live outside the tree, in $LAPLACE_RICE_COMPAT_DIR (default
# ~/.cache/laplace_rice/compat/py<X.Y>-tf<X.Y>), and are kept: a second run
# installs nothing, and pip's cache serves the TensorFlow wheels to a first
# one. Build folders are build/compat/py<X.Y>-tf<X.Y>: without --clean a
# rerun is an incremental build. The interpreter for Python X.Y is
# `pythonX.Y` on PATH, else pyenv's X.Y. Exit status: 0 when every pair
# builds and passes, 1 otherwise (the table says which), 77 with "SKIPPED:"
# when no pair's Python is found.
set -euo pipefail
cd "$(dirname "$0")/.."

# The supported pairs: every TensorFlow release with Keras 3 on Python 3.11,
# and every Python TensorFlow's newest release supports.
ALL=(3.11:2.16 3.11:2.17 3.11:2.18 3.11:2.19 3.11:2.20 3.11:2.21
     3.10:2.21 3.12:2.21 3.13:2.21)

table_file=
clean=0
cuda=AUTO
ccache=1
pairs=()
while [ $# -gt 0 ]; do
  case $1 in
    --table) table_file=$2; shift 2 ;;
    --clean) clean=1; shift ;;
    --no-cuda) cuda=OFF; shift ;;
    --no-ccache) ccache=0; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *:*) pairs+=("$1"); shift ;;
    *) echo "compat: bad argument '$1' (want PYTHON:TENSORFLOW, e.g. 3.11:2.16)" >&2; exit 2 ;;
  esac
done
[ ${#pairs[@]} -gt 0 ] || pairs=("${ALL[@]}")
envs=${LAPLACE_RICE_COMPAT_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/laplace_rice/compat}
mkdir -p "$envs" build/compat
# Two cores are shared: builds and installs yield to interactive work.
nice_cmd=(nice -n 19)
# CMake reads these on a build folder's first configure. The op library's
# objects miss (each TensorFlow has its own headers); the codec's hit.
if [ "$ccache" = 1 ] && command -v ccache >/dev/null; then
  export CMAKE_CXX_COMPILER_LAUNCHER=ccache CMAKE_CUDA_COMPILER_LAUNCHER=ccache
else
  ccache=0
fi

find_python() {
  local version=$1 candidate
  if candidate=$(command -v "python$version") && "$candidate" -c '' 2>/dev/null; then
    echo "$candidate"
    return
  fi
  if command -v pyenv >/dev/null; then
    for candidate in "$(pyenv root)/versions/$version".*/bin/python; do
      [ -x "$candidate" ] && { echo "$candidate"; return; }
    done
  fi
  return 1
}

rows=()
failed=0
found_any=0
for pair in "${pairs[@]}"; do
  py=${pair%%:*}
  tf=${pair##*:}
  name=py$py-tf$tf
  venv=$envs/$name
  log=build/compat/$name.log
  echo "== compat: Python $py, TensorFlow $tf ($venv)"
  if ! python=$(find_python "$py"); then
    rows+=("| $py | $tf | - | - | SKIPPED: no python$py |")
    echo "${rows[-1]}"
    continue
  fi
  found_any=1
  : >"$log"
  # The environment: TensorFlow of this release and what the build and the
  # smoke tests need. pip exits fast when all of it is there already.
  if ! { [ -x "$venv/bin/python" ] || "${nice_cmd[@]}" "$python" -m venv "$venv"; } >>"$log" 2>&1 ||
     ! "${nice_cmd[@]}" "$venv/bin/python" -m pip install -q "tensorflow-cpu==$tf.*" \
       "pytest>=8" "scikit-build-core>=0.10" "pybind11>=2.12" ninja >>"$log" 2>&1; then
    tail -n 5 "$log"
    rows+=("| $py | $tf | - | - | FAILED: environment (see $log) |")
    echo "${rows[-1]}"
    failed=1
    continue
  fi
  tf_full=$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("tensorflow-cpu"))')
  [ "$clean" = 1 ] && rm -rf "build/compat/$name"
  start=$(date +%s)
  if ! "${nice_cmd[@]}" "$venv/bin/python" -m pip install -q --force-reinstall --no-build-isolation \
       --no-deps --config-settings=build-dir="build/compat/$name" \
       --config-settings=cmake.define.LAPLACE_RICE_CUDA=$cuda . >>"$log" 2>&1; then
    tail -n 20 "$log"
    rows+=("| $py | $tf_full | failed after $(($(date +%s) - start)) s | - | FAILED: build (see $log) |")
    echo "${rows[-1]}"
    failed=1
    continue
  fi
  build_s=$(($(date +%s) - start))
  # From tests/, so that the installed package is imported, not python/.
  start=$(date +%s)
  smoke_status=0
  smoke=$(cd tests && "$venv/bin/python" -m pytest -q -p no:cacheprovider test_smoke.py 2>&1) ||
    smoke_status=$?
  smoke_s=$(($(date +%s) - start))
  echo "$smoke" >>"$log"
  summary=$(echo "$smoke" | tail -n 1 | sed 's/=//g; s/^ *//; s/ *$//; s/ in [0-9.]*s.*//')
  if [ "$smoke_status" = 0 ]; then
    result="passed ($summary)"
  else
    echo "$smoke" | tail -n 30
    result="FAILED ($summary)"
    failed=1
  fi
  rows+=("| $py | $tf_full | $build_s s | $smoke_s s | $result |")
  echo "${rows[-1]}"
done

how=$([ "$clean" = 1 ] && echo "full build" || echo "incremental where a build folder existed")
[ "$cuda" = OFF ] && how+=", no CUDA"
[ "$ccache" = 1 ] && how+=", ccache"
table=$(
  echo "| Python | TensorFlow | build ($how) | smoke run | smoke result |"
  echo "|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
)
echo "$table"
[ -z "$table_file" ] || echo "$table" >"$table_file"
if [ "$found_any" = 0 ]; then
  echo "SKIPPED: none of the requested Pythons is installed"
  exit 77
fi
exit "$failed"
