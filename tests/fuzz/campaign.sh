#!/usr/bin/env bash
# A fuzzing campaign that keeps its corpus: fuzzes both targets at once for
# SECONDS each (nice'd), starting from the repository's corpus
# (tests/fuzz/corpus/<target>/), the golden-vector seeds and the regressions;
# merges what the run found back into tests/fuzz/corpus/<target>/ with
# libFuzzer's -merge=1 (a minimal set with the same coverage: only inputs
# that add features are kept); measures the codec's line coverage by the new
# corpus (coverage.sh); and appends a row to the campaign table of
# docs/reliability.md: executions, coverage, corpus size, findings.
#
#   tests/fuzz/campaign.sh SECONDS [BUILD_DIR]     # e.g. 3600; then commit
#                                                   # tests/fuzz/corpus and the doc
#
# Exits 1 on a finding (the inputs are in BUILD_DIR/artifacts/<target>/ and
# are named in the row; add them to regressions/ once fixed), or when the
# corpus would exceed LAPLACE_RICE_CORPUS_MAX_BYTES (default 2 MiB, both
# targets together; the corpus is then left as it was).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:?usage: tests/fuzz/campaign.sh SECONDS [BUILD_DIR]}
build=${2:-build/fuzz}
max_bytes=${LAPLACE_RICE_CORPUS_MAX_BYTES:-2097152}
# New inputs are at most this long: the golden-vector seeds (up to 32 KiB)
# already cover long units, and small inputs keep the corpus within bounds.
max_len=${LAPLACE_RICE_FUZZ_MAX_LEN:-4096}
targets=(decode_fuzzer roundtrip_fuzzer)
work=$build/campaign
doc=docs/reliability.md

cmake -C tests/fuzz/sanitize.cmake -S . -B "$build" -G Ninja >/dev/null
nice cmake --build "$build" --parallel 2 --target "${targets[@]}"
python3 tests/fuzz/make_corpus.py "$build/seeds" >/dev/null
rm -rf "$work"
started=$(date -u +%Y-%m-%d\ %H:%M)

pids=()
for target in "${targets[@]}"; do
  mkdir -p "$work/$target/new" "tests/fuzz/corpus/$target" "$build/artifacts/$target"
  # New inputs go to the first (empty) folder; the others are read only.
  nice "$build/tests/fuzz/$target" -max_total_time="$seconds" -timeout=20 -max_len="$max_len" \
    -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$build/artifacts/$target/" \
    "$work/$target/new" "tests/fuzz/corpus/$target" "$build/seeds/$target" \
    "tests/fuzz/regressions/$target" >"$work/$target.log" 2>&1 &
  pids+=($!)
done

findings=0
declare -A execs cov ft
for i in "${!targets[@]}"; do
  target=${targets[$i]}
  log=$work/$target.log
  if ! wait "${pids[$i]}"; then
    findings=$((findings + 1))
    echo "== $target: FINDING; the input is in $build/artifacts/$target/:" >&2
    grep -E -A30 "ERROR|FUZZ CHECK FAILED|runtime error" "$log" | head -60 >&2 || tail -40 "$log" >&2
  fi
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  execs[$target]=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo 0)
  cov[$target]=$(grep -oE 'cov: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || echo -)
  ft[$target]=$(grep -oE 'ft: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || echo -)
done

# Merge: a new minimal corpus from the old one and what this run found. The
# seeds are put in the output first, so that merge counts their features as
# had, and taken out after: the kept corpus holds what the seeds (made again
# from tests/data by make_corpus.py) do not reach, and stays small.
total_bytes=0
declare -A files
for target in "${targets[@]}"; do
  mkdir -p "$work/$target/merged"
  cp "$build/seeds/$target"/* "$work/$target/merged/"
  (cd "$build/seeds/$target" && ls) >"$work/$target.seed-names"
  nice "$build/tests/fuzz/$target" -merge=1 -timeout=20 -rss_limit_mb=4096 \
    "$work/$target/merged" "tests/fuzz/corpus/$target" "$work/$target/new" \
    >"$work/$target.merge.log" 2>&1
  (cd "$work/$target/merged" && xargs rm -f <"../../$target.seed-names")
  files[$target]=$(find "$work/$target/merged" -type f | wc -l)
  total_bytes=$((total_bytes + $(find "$work/$target/merged" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')))
done
if [ "$total_bytes" -gt "$max_bytes" ]; then
  echo "campaign: the merged corpus has $total_bytes bytes, over $max_bytes; corpus unchanged" >&2
  exit 1
fi
for target in "${targets[@]}"; do
  rm -rf "tests/fuzz/corpus/$target"
  mv "$work/$target/merged" "tests/fuzz/corpus/$target"
done

echo "== line coverage of cc/codec/src by the kept corpus"
bash tests/fuzz/coverage.sh "$build" >"$work/coverage.log" 2>&1
# llvm-cov's TOTAL row of "both targets together": ... Lines Missed Cover ...
total=$(awk '/== both targets together/ {both = 1} both && /^TOTAL/ {print; exit}' "$work/coverage.log")
read -r -a t <<<"$total"
lines="${t[7]:-?}"; missed="${t[8]:-?}"; line_cover="${t[9]:-?}"
covered=$([ "$lines" != "?" ] && echo $((lines - missed)) || echo "?")
tail -4 "$work/coverage.log"

row="| $started | $seconds s | ${execs[decode_fuzzer]} / ${execs[roundtrip_fuzzer]} | ${cov[decode_fuzzer]}/${ft[decode_fuzzer]} / ${cov[roundtrip_fuzzer]}/${ft[roundtrip_fuzzer]} | ${files[decode_fuzzer]} / ${files[roundtrip_fuzzer]} ($((total_bytes / 1024)) KiB) | $covered of $lines ($line_cover) | $findings |"
echo "$row" >>"$doc"
echo "campaign: $row"
echo "campaign: appended to $doc; commit tests/fuzz/corpus and $doc"
[ "$findings" = 0 ]
