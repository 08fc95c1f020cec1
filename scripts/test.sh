#!/usr/bin/env bash
# Sets up (scripts/setup.sh), then runs every test: the C++ unit tests under
# ctest, the Python tests under pytest, then each check in scripts/checks/.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

echo "== C++ unit tests (ctest)"
cmake -S . -B build/ctest -G Ninja -DLAPLACE_RICE_BUILD_TF=OFF >/dev/null
cmake --build build/ctest
ctest --test-dir build/ctest --output-on-failure

echo "== Python tests (pytest)"
# Run from tests/ so that the installed package, not python/, is imported.
(cd tests && python3 -m pytest -q -p no:cacheprovider .)

for check in scripts/checks/*.sh; do
  [ -e "$check" ] || continue
  echo "== $check"
  bash "$check"
done
echo "== all tests passed"
