#!/usr/bin/env bash
# Side by side in one run: this tree against an older revision, built the same way (Release)
# in a worktree. Synthesis (bench_synth renderPhrase/cpu), the /metrics scrape at 1000
# listeners (bench_metrics) and the node under 1000 binary listeners (load_bench.sh, the same
# client binary for both nodes), alternating old/new so drift hits both. Ratios are what count.
#   tests/bench/compare.sh BUILD_DIR OLD_REV [LOAD_SECONDS=20] [ROUNDS=2]
set -euo pipefail
build=$(cd "${1:?usage: compare.sh BUILD_DIR OLD_REV [LOAD_SECONDS] [ROUNDS]}" && pwd)
rev=${2:?old revision}
seconds=${3:-20}
rounds=${4:-2}
src=$(cd "$(dirname "$0")/../.." && pwd)
old=/tmp/auralis-compare-$rev
if [ ! -x "$old/build/app/auralis-node" ]; then
    rm -rf "$old"; git -C "$src" worktree prune
    git -C "$src" worktree add --detach "$old" "$rev" >/dev/null
    cmake -S "$old" -B "$old/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DAURALIS_WERROR=OFF \
        >/dev/null
    cmake --build "$old/build" -j "$(nproc)" --target bench_synth bench_metrics auralis-node \
        auralis-client >/dev/null
fi
bench() { # binary filter -> median real time of the benchmark whose name starts with filter
    "$1" --benchmark_filter="^$2" --benchmark_repetitions=5 --benchmark_report_aggregates_only \
        --benchmark_format=json 2>/dev/null |
        awk '/"name": .*_median"/ {f=1} f && /"real_time"/ {gsub(/[,]/,""); printf "%.6f\n", $2; exit}'
}
echo "== $(date -u +%FT%TZ) $(nproc) cores; old = $rev ($(git -C "$src" log -1 --format=%s "$rev" | cut -c1-60)), new = $(git -C "$src" describe --always --dirty)"
for r in $(seq 1 "$rounds"); do
    so=$(bench "$old/build/tests/bench/bench_synth" "renderPhrase/cpu")
    sn=$(bench "$build/tests/bench/bench_synth" "renderPhrase/cpu")
    mo=$(bench "$old/build/tests/bench/bench_metrics" "scrape/1000")
    mn=$(bench "$build/tests/bench/bench_metrics" "scrape/1000")
    awk -v r="$r" -v so="$so" -v sn="$sn" -v mo="$mo" -v mn="$mn" 'BEGIN {
        printf "round %d: 8-s phrase (CPU) old %.2f ms new %.2f ms (new/old %.3f); scrape at 1000 old %.0f us new %.0f us (new/old %.3f)\n",
               r, so, sn, sn / so, mo, mn, mn / mo }'
done
for r in $(seq 1 "$rounds"); do
    for which in old new; do
        b=$([ "$which" = old ] && echo "$old/build" || echo "$build")
        echo "round $r, $which node, 1000 binary listeners, $seconds s:"
        CLIENT_BIN="$build/app/auralis-client" "$src/tests/bench/load_bench.sh" "$b" "$seconds" 1000 | tail -1
    done
done
