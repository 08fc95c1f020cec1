#!/usr/bin/env bash
# ThreadSanitizer: the codec's CountBitsParallel / EncodeParallel with a
# std::thread-per-task runner, four callers at once (tests/tsan). First a
# program with a deliberate data race must be reported, so that a TSan that
# does not work here cannot pass the check.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=build/tsan
start=$(date +%s)
. scripts/lib/clang.sh
ensure_clang || {
  echo "SKIPPED: clang is missing (apt-get install clang)"
  exit 77
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== ThreadSanitizer self-test"
cat >"$tmp/race.cc" <<'CC'
#include <thread>
int shared = 0;
int main() {
  std::thread a([] { for (int i = 0; i < 1000; ++i) ++shared; });
  std::thread b([] { for (int i = 0; i < 1000; ++i) ++shared; });
  a.join();
  b.join();
  return shared == 0;
}
CC
clang++ -std=c++17 -fsanitize=thread -g -O1 "$tmp/race.cc" -o "$tmp/race"
if TSAN_OPTIONS=halt_on_error=1 "$tmp/race" >"$tmp/race.log" 2>&1 \
    || ! grep -q "WARNING: ThreadSanitizer: data race" "$tmp/race.log"; then
  echo "57-tsan: ThreadSanitizer does not report a known data race here" >&2
  cat "$tmp/race.log" >&2
  exit 1
fi

echo "== parallel encode under ThreadSanitizer"
CXX=clang++ cmake -S tests/tsan -B "$build" -G Ninja -DCMAKE_CXX_FLAGS=-fsanitize=thread \
  >/dev/null
nice cmake --build "$build" --parallel 2
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 "$build/parallel_encode_tsan"
echo "== 57-tsan took $(($(date +%s) - start)) s"
