#!/usr/bin/env bash
# CUDA: compile-checks the kernels and the GPU harness with nvcc (sm_90),
# runs the host emulation of the kernels' per-thread code (no GPU needed),
# and, only where a GPU is visible, the harness's correctness checks.
# Without nvcc it prints "SKIPPED: nvcc not found" and exits 77, which
# scripts/test.sh counts as skipped (the op library then has no GPU kernels).
set -euo pipefail
cd "$(dirname "$0")/../.."
nvcc=${CUDACXX:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}
if [ ! -x "$nvcc" ]; then
  echo "20-cuda: CUDA kernels not checked (set CUDACXX to point at nvcc)"
  echo "SKIPPED: nvcc not found"
  exit 77
fi
build=build/gpu-check
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S bench/gpu -B "$build" "${generator[@]}" -DCMAKE_CUDA_COMPILER="$nvcc" >/dev/null
cmake --build "$build" -j 2
"$build/cc_cuda/cuda_emulation_test"
if command -v nvidia-smi >/dev/null && nvidia-smi -L 2>/dev/null | grep -q GPU; then
  "$build/gpu_harness" --skip-timing
else
  echo "20-cuda: no GPU here; harness compiled, not run (bash bench/gpu/run.sh on a GPU machine)"
fi
