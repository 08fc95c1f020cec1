#!/usr/bin/env bash
# Soak (bench/soak.py): the serving SavedModel from 8 Python threads, the same
# models through the TensorFlow C API from 8 threads, and laplace_rice.codec
# alone from 8 threads, each for LAPLACE_RICE_SOAK_SECONDS (default 60), all
# three at once to bound CI time. Every result is checked against the codec
# oracle; RSS may grow at most 2 % after the warm-up. First, a short run with
# a corrupted oracle must fail: the comparison is live.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${LAPLACE_RICE_SOAK_SECONDS:-60}
start=$(date +%s)
for tool in cmake cc; do
  if ! command -v "$tool" >/dev/null; then
    echo "SKIPPED: $tool is missing (the C API soak client is built with it)"
    exit 77
  fi
done
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

echo "== a corrupted oracle must be caught"
if nice python3 bench/soak.py codec --seconds 4 --warmup 1 --corrupt-oracle \
    >"$logs/corrupt.log" 2>&1; then
  echo "60-soak: the soak passed with a corrupted oracle" >&2
  cat "$logs/corrupt.log" >&2
  exit 1
fi

echo "== soaks: savedmodel, c, codec, ${seconds} s each, at once"
pids=()
targets=(savedmodel c codec)
for target in "${targets[@]}"; do
  nice python3 bench/soak.py "$target" --seconds "$seconds" >"$logs/$target.log" 2>&1 &
  pids+=($!)
done
status=0
for i in "${!targets[@]}"; do
  if ! wait "${pids[$i]}"; then
    status=1
    echo "== soak ${targets[$i]} FAILED:" >&2
    grep -v -e oneDNN -e absl "$logs/${targets[$i]}.log" | tail -20 >&2
  else
    grep '^soak ' "$logs/${targets[$i]}.log"
  fi
done
echo "== 60-soak took $(($(date +%s) - start)) s"
exit $status
