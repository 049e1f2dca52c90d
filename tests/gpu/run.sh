#!/usr/bin/env bash
# GPU checks in one script, for a machine with an NVIDIA GPU (H100/H200: arch 90): builds the
# synthesis library and the GPU check without Qt, runs the `gpu`-labelled tests and the
# synthesis benchmark on both devices, and writes everything to the given folder. Every step
# has a time limit; a failing check is run again with CUDA_LAUNCH_BLOCKING=1 so that the error
# names the kernel that failed; a short compute-sanitizer pass runs when the tool is there.
#   tests/gpu/run.sh OUT_DIR [CUDA_ARCH]      (default arch 90)
# Environment: PHRASES (benchmark phrases per device, default 100), STEP_TIMEOUT (s, 300).
set -uo pipefail
out=${1:?usage: tests/gpu/run.sh OUT_DIR [CUDA_ARCH]}
arch=${2:-90}
phrases=${PHRASES:-100}
limit=${STEP_TIMEOUT:-300}
cd "$(dirname "$0")/../.."
mkdir -p "$out"
build=build-gpu-$arch
log="$out/gpu-run.log"
: >"$log"
step() { echo "== $(date +%T) $*" | tee -a "$log"; }
export PATH="$PATH:/usr/local/cuda/bin"

step "machine"
{ nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm,clocks.mem,power.draw,temperature.gpu --format=csv || true
  nvidia-smi -q -d CLOCK,PERFORMANCE | head -60 || true
  nvcc --version | tail -2; cmake --version | head -1; nproc; } >"$out/machine.txt" 2>&1
cat "$out/machine.txt" | tee -a "$log" | head -5

step "configure and build (sm_$arch, no Qt, warnings not fatal)"
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if ! timeout "$limit" cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
        -DAURALIS_GPU_ONLY=ON -DAURALIS_CUDA=ON -DAURALIS_WERROR=OFF \
        -DCMAKE_CUDA_ARCHITECTURES="$arch" >>"$log" 2>&1 ||
   ! timeout "$limit" cmake --build "$build" -j "$(nproc)" >>"$log" 2>&1; then
    tail -30 "$log"; echo "build failed or timed out (full log: $log)"; exit 1
fi
check="$build/tests/gpu/auralis-gpu-check"

step "gpu tests (ctest -L gpu)"
(cd "$build" && timeout "$limit" ctest -L gpu --output-on-failure -V) >"$out/ctest-gpu.log" 2>&1
rc=$?
tail -25 "$out/ctest-gpu.log" | tee -a "$log"
if [ "$rc" -ne 0 ]; then
    step "gpu tests failed (rc=$rc): again with CUDA_LAUNCH_BLOCKING=1 to name the kernel"
    CUDA_LAUNCH_BLOCKING=1 timeout "$limit" "$check" --phrases 8 >"$out/gpu-check-blocking.log" 2>&1
    tail -25 "$out/gpu-check-blocking.log" | tee -a "$log"
fi

step "synthesis benchmark: $phrases phrases of 8 s on the CPU and the GPU, same process"
timeout "$limit" "$check" --phrases "$phrases" --json "$out/bench-gpu.json" >"$out/bench-gpu.txt" 2>&1
brc=$?
tail -8 "$out/bench-gpu.txt" | tee -a "$log"
if [ "$brc" -ne 0 ] && [ "$brc" -ne 77 ]; then
    step "benchmark failed (rc=$brc): again with CUDA_LAUNCH_BLOCKING=1"
    CUDA_LAUNCH_BLOCKING=1 timeout "$limit" "$check" --phrases 4 >"$out/bench-blocking.txt" 2>&1
    tail -15 "$out/bench-blocking.txt" | tee -a "$log"
fi

if command -v compute-sanitizer >/dev/null; then
    step "compute-sanitizer memcheck, 2 phrases"
    timeout "$limit" compute-sanitizer --tool memcheck --error-exitcode 3 "$check" --phrases 2 \
        >"$out/sanitizer-memcheck.txt" 2>&1
    src=$?
    tail -6 "$out/sanitizer-memcheck.txt" | tee -a "$log"
    step "compute-sanitizer racecheck, 2 phrases"
    timeout "$limit" compute-sanitizer --tool racecheck --error-exitcode 3 "$check" --phrases 2 \
        >"$out/sanitizer-racecheck.txt" 2>&1
    rrc=$?
    tail -6 "$out/sanitizer-racecheck.txt" | tee -a "$log"
else
    src=0; rrc=0
    step "compute-sanitizer not found: skipped"
fi

step "done: ctest rc=$rc, benchmark rc=$brc, memcheck rc=$src, racecheck rc=$rrc; results in $out"
[ "$rc" -eq 0 ] && [ "$brc" -eq 0 ] && [ "$src" -eq 0 ] && [ "$rrc" -eq 0 ]
