#!/usr/bin/env bash
# Sets up (scripts/setup.sh), then runs every test: the C++ unit tests under
# ctest, the Python tests under pytest, then each check in scripts/checks/.
#
#   scripts/test.sh                  everything (what CI runs)
#   scripts/test.sh --checks [DIR]   only the checks (of DIR, default
#                                    scripts/checks), with the same summary
#
# A check passes with exit status 0. One that cannot run here (its tool is
# missing) prints a line "SKIPPED: <why>" and exits with 77 (automake's
# convention), so that the summary says what was not checked instead of
# counting it as passed; exit 77 without that line is a failure. Any other
# status is a failure: the remaining checks still run (one run shows every
# failure), then the run fails. LAPLACE_RICE_NO_SKIP=1 makes a skip a
# failure too, for machines that must run every check (a GPU runner).
set -euo pipefail
# A DIR given to --checks is relative to where the script was called from.
checks_dir=scripts/checks
if [ "${1:-}" = --checks ] && [ -n "${2:-}" ]; then
  checks_dir=$(cd "$2" && pwd)
fi
cd "$(dirname "$0")/.."

readonly SKIP_STATUS=77

# Runs every check of $1; the last line it prints is the summary.
run_checks() {
  local dir=$1 check name status log reason
  local -a passed=() skipped=() failed=()
  for check in "$dir"/*.sh; do
    [ -e "$check" ] || continue
    name=$(basename "$check")
    echo "== $check"
    log=$(mktemp)
    status=0
    # The output is kept to find the skip reason; 2>&1 keeps its order.
    bash "$check" 2>&1 | tee "$log" || status=$?
    reason=$(sed -n 's/^SKIPPED: *//p' "$log" | tail -n 1)
    rm -f "$log"
    if [ "$status" = 0 ]; then
      passed+=("$name")
    elif [ "$status" = "$SKIP_STATUS" ] && [ -n "$reason" ]; then
      if [ "${LAPLACE_RICE_NO_SKIP:-0}" = 1 ]; then
        failed+=("$name (skipped, LAPLACE_RICE_NO_SKIP=1: $reason)")
      else
        skipped+=("$name ($reason)")
      fi
    elif [ "$status" = "$SKIP_STATUS" ]; then
      failed+=("$name (exit $SKIP_STATUS without a SKIPPED: line)")
    else
      failed+=("$name (exit $status)")
    fi
  done

  local total=$((${#passed[@]} + ${#skipped[@]} + ${#failed[@]}))
  local summary="$total checks: ${#passed[@]} passed"
  if [ "${#skipped[@]}" -gt 0 ]; then
    summary+=", ${#skipped[@]} skipped: $(join_by ', ' "${skipped[@]}")"
  fi
  if [ "${#failed[@]}" -gt 0 ]; then
    summary+=", ${#failed[@]} failed: $(join_by ', ' "${failed[@]}")"
    echo "== FAILED ($summary)"
    return 1
  fi
  echo "== all tests passed ($summary)"
}

join_by() {
  local separator=$1 first=$2
  shift 2
  printf '%s' "$first" "${@/#/$separator}"
}

if [ "${1:-}" = --checks ]; then
  run_checks "$checks_dir"
  exit
fi

bash scripts/setup.sh

echo "== C++ unit tests (ctest)"
cmake -S . -B build/ctest -G Ninja -DLAPLACE_RICE_BUILD_TF=OFF >/dev/null
cmake --build build/ctest
ctest --test-dir build/ctest --output-on-failure

echo "== Python tests (pytest)"
# Run from tests/ so that the installed package, not python/, is imported.
(cd tests && python3 -m pytest -q -p no:cacheprovider .)

run_checks scripts/checks
