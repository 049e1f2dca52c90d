#!/usr/bin/env bash
# The whole suite (without benchmarks) RUNS times in a row while two CPU-bound processes keep
# both cores busy: a test that depends on time must pass on a machine this busy.
#   tests/stress.sh BUILD_DIR [RUNS=5] [JOBS=2]
set -uo pipefail
build=${1:?usage: tests/stress.sh BUILD_DIR [RUNS] [JOBS]}
runs=${2:-5}
jobs=${3:-2}
hogs=()
cleanup() { for p in "${hogs[@]}"; do kill "$p" 2>/dev/null; done; }
trap cleanup EXIT
for _ in 1 2; do
    (while :; do :; done) &
    hogs+=($!)
done
echo "stress-test: ${#hogs[@]} busy loops running (pids ${hogs[*]}); $runs runs of ctest -j$jobs"
for run in $(seq 1 "$runs"); do
    start=$(date +%s)
    if ! (cd "$build" && ctest --output-on-failure --label-exclude 'bench|soak' -j "$jobs" \
            >"stress-run-$run.log" 2>&1); then
        echo "stress-test: run $run FAILED after $(( $(date +%s) - start )) s; log:"
        grep -E "FAIL!|Failed|\*\*\*" "$build/stress-run-$run.log" | head -40
        echo "(full log: $build/stress-run-$run.log)"
        exit 1
    fi
    echo "stress-test: run $run passed in $(( $(date +%s) - start )) s"
done
echo "stress-test: all $runs runs passed"
