# Sourced (not run) by the checks that build with clang: 50-fuzz, 55-leaks,
# 57-tsan. It lives outside scripts/checks because scripts/test.sh runs
# every .sh there as a check.
#
#   ensure_clang [fuzzer] || { what to do when clang cannot be had; }
#
# Succeeds when clang++ is there (with "fuzzer": and links a libFuzzer
# target), installing Debian's clang first where it can (root, with
# apt-get); a failed install ends the calling script with apt-get's status.
# Fails, without a word, only where nothing can be installed: each check
# says for itself whether that is a skip or a failure.

# Whether clang++ is on PATH and, with "fuzzer", links -fsanitize=fuzzer (a
# clang without compiler-rt's libFuzzer cannot).
clang_works() {
  command -v clang++ >/dev/null || return 1
  [ "${1:-}" = fuzzer ] || return 0
  clang++ -fsanitize=fuzzer -x c++ -o /dev/null - 2>/dev/null \
    <<<'extern "C" int LLVMFuzzerTestOneInput(const char*, unsigned long) { return 0; }'
}

ensure_clang() {
  clang_works "$@" && return 0
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    # Called as `ensure_clang || ...`, the caller's set -e is off in here:
    # hence the explicit exit.
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang || exit
    return 0
  fi
  return 1
}
