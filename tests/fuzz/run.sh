#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) and fuzzes each for
# SECONDS (default 60), both at once, starting from the golden-vector seeds
# and the corpus that earlier runs left in BUILD_DIR/corpus. Prints the
# executions and coverage each reached; exits non-zero on any finding, with
# the input that triggers it under BUILD_DIR/artifacts/<target>/.
#
#   tests/fuzz/run.sh [SECONDS] [BUILD_DIR]     # e.g. tests/fuzz/run.sh 3600
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
build=${2:-build/fuzz}
targets=(decode_fuzzer roundtrip_fuzzer)

cmake -C tests/fuzz/sanitize.cmake -S . -B "$build" -G Ninja >/dev/null
cmake --build "$build" --parallel 2 --target "${targets[@]}"
python3 tests/fuzz/make_corpus.py "$build/seeds" >/dev/null

pids=()
for target in "${targets[@]}"; do
  mkdir -p "$build/corpus/$target" "$build/artifacts/$target"
  # New inputs go to the first folder (kept between runs); the seeds and the
  # repository's corpus (tests/fuzz/corpus, kept by campaign.sh) are read only.
  mkdir -p "tests/fuzz/corpus/$target"
  "$build/tests/fuzz/$target" -max_total_time="$seconds" -timeout=20 \
    -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="$build/artifacts/$target/" \
    "$build/corpus/$target" "$build/seeds/$target" "tests/fuzz/corpus/$target" \
    >"$build/$target.log" 2>&1 &
  pids+=($!)
done

status=0
printf '%-18s %12s %10s %8s %8s %8s\n' target executions exec/s cov ft corpus
for i in "${!targets[@]}"; do
  target=${targets[$i]}
  log="$build/$target.log"
  if ! wait "${pids[$i]}"; then
    status=1
    echo "== $target FAILED; the input is in $build/artifacts/$target/:" >&2
    grep -E -A30 "ERROR|FUZZ CHECK FAILED|runtime error" "$log" | head -60 >&2 || tail -40 "$log" >&2
    echo "Add it to tests/fuzz/regressions/$target/ once fixed." >&2
  fi
  # The last status line: "#N DONE cov: C ft: F corp: K/..." (or the last pulse).
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || true)
  rate=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -oE '[0-9]+$' || true)
  cov=$(grep -oE 'cov: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || true)
  ft=$(grep -oE 'ft: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || true)
  corp=$(grep -oE 'corp: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || true)
  printf '%-18s %12s %10s %8s %8s %8s\n' "$target" "${execs:--}" "${rate:--}" \
    "${cov:--}" "${ft:--}" "${corp:--}"
done
exit $status
