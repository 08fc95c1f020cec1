#!/usr/bin/env bash
# Sanitizers and fuzzing (tests/fuzz/README.md): the codec's unit tests and
# the fuzzers' regression inputs and kept corpus under AddressSanitizer +
# UBSan, then a
# bounded libFuzzer run of each target (LAPLACE_RICE_FUZZ_SECONDS, default
# 60, both targets at once). Installs clang from Debian if missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${LAPLACE_RICE_FUZZ_SECONDS:-60}
build=build/fuzz

. scripts/lib/clang.sh
ensure_clang fuzzer || {
  echo "50-fuzz: clang with libFuzzer is missing (apt-get install clang)" >&2
  exit 1
}

start=$(date +%s)
cmake -C tests/fuzz/sanitize.cmake -S . -B "$build" -G Ninja >/dev/null
cmake --build "$build" --parallel 2 --target codec_test decode_fuzzer roundtrip_fuzzer
echo "== codec unit tests under ASan + UBSan"
"$build/cc/codec/tests/codec_test" --gtest_brief=1
echo "== fuzz regression inputs and the kept corpus (tests/fuzz/corpus) under ASan + UBSan"
ctest --test-dir "$build" --output-on-failure -R '_(regressions|corpus)$'
echo "== fuzzing each target for ${seconds} s"
bash tests/fuzz/run.sh "$seconds" "$build"
echo "== 50-fuzz took $(($(date +%s) - start)) s"
