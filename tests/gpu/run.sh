#!/usr/bin/env bash
# GPU checks in one script, for a machine with an NVIDIA GPU (H100/H200: arch 90):
# builds the synthesis library and the GPU check without Qt, runs the `gpu`-labelled tests
# and the synthesis benchmark on both devices, and writes everything to the given folder.
#   tests/gpu/run.sh OUT_DIR [CUDA_ARCH]      (default arch 90)
set -uo pipefail
out=${1:?usage: tests/gpu/run.sh OUT_DIR [CUDA_ARCH]}
arch=${2:-90}
cd "$(dirname "$0")/../.."
mkdir -p "$out"
build=build-gpu-$arch
log="$out/gpu-run.log"
: >"$log"
step() { echo "== $*" | tee -a "$log"; }

step "machine"
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
  nvcc --version | tail -2; cmake --version | head -1; } 2>&1 | tee -a "$log"

step "configure and build (sm_$arch, no Qt)"
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if ! cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DAURALIS_GPU_ONLY=ON \
        -DAURALIS_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES="$arch" >>"$log" 2>&1 ||
   ! cmake --build "$build" -j "$(nproc)" >>"$log" 2>&1; then
    tail -30 "$log"; echo "build failed (full log: $log)"; exit 1
fi

step "gpu tests (ctest -L gpu)"
(cd "$build" && ctest -L gpu --output-on-failure -V) 2>&1 | tee "$out/ctest-gpu.log" | tail -40
rc=${PIPESTATUS[0]}

step "synthesis benchmark: 100 phrases of 8 s on the CPU and the GPU, same process"
"$build/tests/gpu/auralis-gpu-check" --phrases 100 --json "$out/bench-gpu.json" 2>&1 |
    tee "$out/bench-gpu.txt"
brc=${PIPESTATUS[0]}

step "done: ctest rc=$rc, benchmark rc=$brc; results in $out"
[ "$rc" -eq 0 ] && [ "$brc" -eq 0 ]
