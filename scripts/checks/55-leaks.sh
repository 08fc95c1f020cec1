#!/usr/bin/env bash
# Leaks (docs/reliability.md, "Leaks"):
#  1. LeakSanitizer works here: a program that leaks must be reported (under
#     ptrace restrictions LSan can fail silently; then nothing below would
#     mean anything).
#  2. The codec's unit tests, the fuzz regression inputs and the fuzz corpus
#     under ASan with detect_leaks=1 (the build of 50-fuzz, reused).
#  3. The pybind module laplace_rice._codec: the Python codec tests in a
#     python with LeakSanitizer preloaded; every leak record whose stack
#     passes through _codec fails (tests/leaks/lsan_report.py); the
#     interpreter's own exit-time records are tallied, not judged. A
#     ctypes-made leak checks that such stacks are seen at all.
#  4. bench/leak_loop.py: 100,000 TF op calls (compress/decompress, good and
#     hostile strings), RSS flat net of TensorFlow's own error-path leak.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=build/fuzz
start=$(date +%s)

. scripts/lib/clang.sh
ensure_clang || {
  echo "SKIPPED: clang is missing (apt-get install clang)"
  exit 77
}
# The interpreter itself, not a shim script (pyenv's is bash: LD_PRELOAD
# would instrument bash instead).
python=$(python3 -c 'import sys; print(sys.executable)')
lsan_runtime=$(gcc -print-file-name=liblsan.so 2>/dev/null || true)
if [ ! -f "$lsan_runtime" ]; then
  echo "SKIPPED: gcc's liblsan.so is missing (apt-get install libgcc-12-dev)"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== LeakSanitizer self-test"
printf '#include <stdlib.h>\nint main(void) { void* volatile p = malloc(4242); p = 0; return 0; }\n' \
  >"$tmp/leak.c"
clang -fsanitize=address -g "$tmp/leak.c" -o "$tmp/leak"
if ASAN_OPTIONS=detect_leaks=1 "$tmp/leak" 2>"$tmp/leak.log" \
    || ! grep -q "Direct leak of 4242 byte" "$tmp/leak.log"; then
  echo "55-leaks: LeakSanitizer does not report a known leak here" >&2
  cat "$tmp/leak.log" >&2
  exit 1
fi

echo "== codec unit tests, fuzz regressions and corpus under ASan, detect_leaks=1"
cmake -C tests/fuzz/sanitize.cmake -S . -B "$build" -G Ninja >/dev/null
nice cmake --build "$build" --parallel 2 --target codec_test decode_fuzzer roundtrip_fuzzer
export ASAN_OPTIONS=detect_leaks=1
"$build/cc/codec/tests/codec_test" --gtest_brief=1
for target in decode_fuzzer roundtrip_fuzzer; do
  inputs=(tests/fuzz/regressions/$target)
  [ -d tests/fuzz/corpus/$target ] && inputs+=(tests/fuzz/corpus/$target)
  "$build/tests/fuzz/$target" -runs=0 -detect_leaks=1 "${inputs[@]}" 2>"$tmp/$target.log" || {
    tail -40 "$tmp/$target.log" >&2
    exit 1
  }
  echo "$target: $(grep -E '^Done [0-9]+ runs' "$tmp/$target.log" || true), no leak"
done
unset ASAN_OPTIONS

echo "== laplace_rice._codec under LeakSanitizer (Python codec tests)"
lsan_options=detect_leaks=1:fast_unwind_on_malloc=0:malloc_context_size=30:symbolize=0:exitcode=0
mkdir -p "$tmp/control" "$tmp/codec"
LD_PRELOAD=$lsan_runtime LSAN_OPTIONS=$lsan_options:log_path=$tmp/control/lsan \
  "$python" -c 'import ctypes; ctypes.CDLL(None).malloc(4242)'
if python3 tests/leaks/lsan_report.py "$tmp/control" _ctypes >/dev/null; then
  echo "55-leaks: a leak made through ctypes was not attributed to _ctypes" >&2
  exit 1
fi
# The two tests that compare with the TF ops are left out: TensorFlow's own
# exit-time allocations would make the report slow (minutes) and say nothing
# of _codec; test_codec_property.py is TF-bound for the same reason.
(cd tests && LD_PRELOAD=$lsan_runtime LSAN_OPTIONS=$lsan_options:log_path=$tmp/codec/lsan \
  nice "$python" -m pytest -q -p no:cacheprovider test_codec_py.py -k "not same_strings_as_the")
python3 tests/leaks/lsan_report.py "$tmp/codec" _codec

echo "== 100,000 TF op calls, RSS flat (bench/leak_loop.py)"
nice python3 bench/leak_loop.py --calls 100000
echo "== 55-leaks took $(($(date +%s) - start)) s"
