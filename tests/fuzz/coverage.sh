#!/usr/bin/env bash
# Line and branch coverage of the codec reached by the fuzz corpora
# (BUILD_DIR/corpus from run.sh, the repository's corpus tests/fuzz/corpus,
# the seeds and the regressions), via clang's source-based coverage and
# llvm-cov. The codec's sources are whatever cc/codec/src holds (*.cc, *.h).
#
#   tests/fuzz/coverage.sh [BUILD_DIR]      # default build/fuzz
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build/fuzz}
cov=$build-coverage
targets=(decode_fuzzer roundtrip_fuzzer)
sources=(cc/codec/src/*.cc cc/codec/src/*.h)

cmake -C tests/fuzz/coverage.cmake -S . -B "$cov" -G Ninja >/dev/null
cmake --build "$cov" --parallel 2 --target "${targets[@]}"
python3 tests/fuzz/make_corpus.py "$build/seeds" >/dev/null
rm -f "$cov"/*.profraw
objects=()
for target in "${targets[@]}"; do
  mkdir -p "$build/corpus/$target"
  LLVM_PROFILE_FILE="$cov/$target.profraw" "$cov/tests/fuzz/$target" -runs=0 \
    "$build/corpus/$target" "$build/seeds/$target" tests/fuzz/regressions/$target \
    $([ -d tests/fuzz/corpus/$target ] && echo tests/fuzz/corpus/$target) \
    >"$cov/$target.log" 2>&1
  llvm-profdata merge -sparse "$cov/$target.profraw" -o "$cov/$target.profdata"
  echo "== $target: coverage of cc/codec/src"
  llvm-cov report "$cov/tests/fuzz/$target" -instr-profile="$cov/$target.profdata" \
    "${sources[@]}"
done
echo "== both targets together"
llvm-profdata merge -sparse "$cov"/*.profraw -o "$cov/all.profdata"
llvm-cov report "$cov/tests/fuzz/${targets[0]}" -object "$cov/tests/fuzz/${targets[1]}" \
  -instr-profile="$cov/all.profdata" "${sources[@]}"
# llvm-cov lists only files with code in a binary: a source that no fuzzer
# links in (as abi_v1.cc and encode_unit.cc were, before the fuzzers called
# them) would otherwise drop out of the total unseen.
reported=$(llvm-cov report "$cov/tests/fuzz/${targets[0]}" -object "$cov/tests/fuzz/${targets[1]}" \
  -instr-profile="$cov/all.profdata" "${sources[@]}" 2>/dev/null | awk '{print $1}')
absent=()
for source in "${sources[@]}"; do
  grep -qxF "$(basename "$source")" <<<"$reported" || absent+=("$(basename "$source")")
done
echo "== not in the total (no code in either fuzzer): ${absent[*]:-none}"
