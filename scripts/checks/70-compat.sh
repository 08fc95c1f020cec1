#!/usr/bin/env bash
# TensorFlow compatibility at both ends of the supported range: builds
# laplace_rice against TensorFlow 2.16 (the oldest, first with Keras 3) and
# 2.21 (the newest) on Python 3.11, each in a virtual environment of its
# own, and runs the smoke tests (scripts/compat.sh; the full table of every
# release and Python is docs/compatibility.md, made by compat.sh without
# arguments). Kept short for CI: the environments and build folders persist
# between runs (a rerun installs nothing and rebuilds only what changed),
# TensorFlow comes from pip's cache after the first download, ccache (when
# installed: setup.sh does) compiles the codec once for both, and the CUDA
# kernels are left out (the full run of compat.sh builds them for every
# release; setup.sh's build, for the newest).
# Skips (77) when there is no Python 3.11.
set -euo pipefail
cd "$(dirname "$0")/../.."
start=$(date +%s)
status=0
bash scripts/compat.sh --no-cuda 3.11:2.16 3.11:2.21 || status=$?
echo "70-compat: $(($(date +%s) - start)) s"
exit "$status"
