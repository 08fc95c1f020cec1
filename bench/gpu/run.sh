#!/usr/bin/env bash
# One command on a GPU machine: builds the harness (nvcc + CMake, no
# TensorFlow), checks every kernel against the CPU math, times ours vs a
# device-to-device copy, then JAX jit and PyTorch eager (when installed), and
# prints one table. Results: $OUT/gpu_bench.json if OUT is set, else
# bench/gpu/results/.
#   bash bench/gpu/run.sh [--mib 256] [--reps 30] [--inner 20]
# Environment: CUDA_ARCHITECTURES (default 90: H100/H200), PYTHON (the
# interpreter with JAX / PyTorch), OUT (where results go), SKIP_SANITIZER=1
# (no compute-sanitizer passes), COMPUTE_SANITIZER (its path).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-$here/results}
build=${LAPLACE_RICE_GPU_BUILD:-$here/build}
python=${PYTHON:-python3}
mkdir -p "$out"

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S "$here" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CUDA_ARCHITECTURES="${CUDA_ARCHITECTURES:-90}" >/dev/null
cmake --build "$build" -j "$(nproc)"

# Correctness first; no timing unless every check passed.
"$build/cc_cuda/cuda_emulation_test"
"$build/gpu_harness" --json "$out/ours.json" "$@"

# The same checks under compute-sanitizer: out-of-bounds and misaligned
# accesses (memcheck), shared-memory races (racecheck) and barrier misuse
# (synccheck). No timing, and --quick (the graph-captured pass with the
# grid-stride cap, 4 of the 6 alignments): the tools slow every launch.
# SKIP_SANITIZER=1 skips them.
sanitizer=${COMPUTE_SANITIZER:-$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)}
if [ "${SKIP_SANITIZER:-0}" != 1 ]; then
  if [ -x "$sanitizer" ]; then
    for tool in memcheck racecheck synccheck; do
      echo "== compute-sanitizer --tool $tool"
      "$sanitizer" --tool "$tool" --error-exitcode 1 "$build/gpu_harness" --skip-timing --quick
    done
  else
    echo "compute-sanitizer not found: sanitizer passes NOT run"
  fi
fi

peers=()
for impl in jax torch; do
  "$python" "$here/peers.py" "$impl" --json "$out/$impl.json" "$@" || true
  [ -s "$out/$impl.json" ] && peers+=("$out/$impl.json")
done
"$python" "$here/report.py" "$out/ours.json" "${peers[@]}" --out "$out/gpu_bench.json"
