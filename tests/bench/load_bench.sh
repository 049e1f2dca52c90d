#!/usr/bin/env bash
# Load benchmark: a node on this machine, the load generator at each listener count for
# DURATION seconds; reports chunks lost (seq gaps), underruns, send jitter (the node's own,
# per listener, from /api/status) and inter-arrival jitter at the listeners, node CPU and RSS,
# and time from node start to the first audio at a listener.
#   tests/bench/load_bench.sh BUILD_DIR [DURATION] [COUNTS...]    (default 60 s; 10 100 500 1000)
# The load generator's own CPU and whether it was saturated (then its arrival jitter measures
# itself, not the node) are in the last column.
# Environment: FORMAT=binary|json|opus (the listeners' format, default binary); THREADS (the
# load generator's threads, default 1); NODE_BIN and CLIENT_BIN to measure other builds'
# programs with the same script; NODE_ARGS: more options for the node (e.g. --pacing-slot-ms 0).
set -euo pipefail
build=${1:?usage: load_bench.sh BUILD_DIR [DURATION] [COUNTS...]}
duration=${2:-60}
shift $(( $# >= 2 ? 2 : 1 ))
counts=("${@:-}")
[ -n "${counts[0]}" ] || counts=(10 100 500 1000)
node_bin=${NODE_BIN:-$build/app/auralis-node}
format=${FORMAT:-binary}
threads=${THREADS:-1}
client_bin=${CLIENT_BIN:-$build/app/auralis-client} # the same client for every node compared
out=$(mktemp -d)
trap 'kill $node_pid 2>/dev/null || true; rm -rf "$out"' EXIT
ticks=$(getconf CLK_TCK)

start_node() {
    local t0 now
    t0=$(date +%s%N)
    "$node_bin" --port 0 --bind 127.0.0.1 --device cpu --log-level warn --max-clients 20000 \
        --max-listeners-per-address 0 --max-connections-per-address 0 --max-requests-per-second 0 \
        ${NODE_ARGS:-} >"$out/node.out" 2>"$out/node.err" &
    node_pid=$!
    until grep -q listening "$out/node.out" 2>/dev/null; do sleep 0.005; done
    port=$(sed -n 's/.*127.0.0.1:\([0-9]*\) .*/\1/p' "$out/node.out")
    now=$(date +%s%N)
    startup_ms=$(( (now - t0) / 1000000 ))
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$node_pid/stat"; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$node_pid/status"; }
# "tid name ticks" per thread of the node (its I/O threads are auralis-io-N).
thread_ticks() {
    local t
    for t in /proc/"$node_pid"/task/*; do
        printf '%s %s %s\n' "${t##*/}" "$(tr ' ' _ <"$t/comm")" "$(awk '{print $14 + $15}' "$t/stat")"
    done 2>/dev/null
}

start_node
first=$("$client_bin" --url "ws://127.0.0.1:$port/ws/stream" --clients 1 --duration 0.3 |
        sed -n 's/.*"p50": \([0-9.]*\).*/\1/p' | tail -1)
echo "node start to listening: ${startup_ms} ms; connect to first audio: ${first} ms"
printf '| listeners | chunks received | lost (seq gaps) | node underruns | playout underruns | node send jitter p95 / p99 (ms) | arrival jitter p95 / p99 (ms) | node CPU | node RSS max | /metrics scrape | load generator CPU |\n'
printf '|---|---|---|---|---|---|---|---|---|---|---|\n'
for n in "${counts[@]}"; do
    c0=$(cpu_ticks); t0=$(date +%s%N); rss_max=$(rss_kb); thread_ticks >"$out/threads0"
    "$client_bin" --url "ws://127.0.0.1:$port/ws/stream" --clients "$n" --duration "$duration" \
        --format "$format" --threads "$threads" >"$out/load.json" 2>/dev/null &
    client_pid=$!
    # Sample RSS; read the node's own per-listener send jitter near the end of the run.
    while kill -0 $client_pid 2>/dev/null; do
        r=$(rss_kb); [ "$r" -gt "$rss_max" ] && rss_max=$r
        elapsed=$(( ($(date +%s%N) - t0) / 1000000000 ))
        if [ "$elapsed" -ge $(( duration * 9 / 10 )) ] && [ ! -s "$out/status.json" ]; then
            curl -s "http://127.0.0.1:$port/api/status" >"$out/status.json" || true
            # /metrics while everyone streams: time to the last byte, and size.
            curl -s -o /dev/null -w '%{time_total} %{size_download}' "http://127.0.0.1:$port/metrics" \
                >"$out/scrape.txt" || true
        fi
        sleep 0.5
    done
    wait $client_pid || true
    c1=$(cpu_ticks); t1=$(date +%s%N); thread_ticks >"$out/threads1"
    # The node's threads that used more than 1 % of a core, on stderr beside the table.
    awk -v t=$(( (t1 - t0) / 1000000 )) -v hz="$ticks" -v n="$n" '
        NR == FNR { before[$1] = $3; next }
        { pct = 100 * ($3 - before[$1]) / hz / (t / 1000)
          if (pct >= 1) { line = line sep $2 " " sprintf("%.0f", pct) " %"; sep = ", " } }
        END { print "load_bench: " n " listeners, node threads: " line > "/dev/stderr" }' \
        "$out/threads0" "$out/threads1"
    cpu=$(awk -v d=$((c1 - c0)) -v t=$(( (t1 - t0) / 1000000 )) -v hz="$ticks" 'BEGIN {printf "%.0f %%", 100 * d / hz / (t / 1000)}')
    scrape=$(awk '{printf "%.1f ms, %d KB", $1 * 1000, $2 / 1000}' "$out/scrape.txt" 2>/dev/null || echo "-")
    python3 - "$out/load.json" "$out/status.json" "$n" "$cpu" "$rss_max" "$scrape" "$duration" <<'PY'
import json, sys
load = json.load(open(sys.argv[1])); o = load["overall"]
try:
    clients = json.load(open(sys.argv[2]))["clients"]
except Exception:
    clients = []
node_j = sorted(c["jitter_p95_ms"] for c in clients)
def pct(v, q):
    return v[min(len(v) - 1, max(0, int(-(-q * len(v) // 1)) - 1))] if v else 0.0
expected = int(sys.argv[3]) * float(sys.argv[7]) * 10
if o["chunks"] < 0.9 * expected:  # refused or dropped listeners would read as a light load
    print(f"load_bench: only {int(o['chunks'])} of ~{int(expected)} chunks arrived: "
          "listeners were refused or dropped", file=sys.stderr)
g = load.get("generator", {})
gen = f"{g.get('cpu_percent', 0):.0f} % ({g.get('threads', 1)} thr.)"
if g.get("saturated"):
    gen += " **saturated**"
    print(f"load_bench: the load generator was saturated at {sys.argv[3]} listeners (timer lag "
          f"p95 {g['loop_lag_ms']['p95']:.1f} ms): its arrival jitter measures itself", file=sys.stderr)
print(f"| {sys.argv[3]} | {int(o['chunks'])} | {int(o['gaps'])} | {int(o['server_underruns'])} | "
      f"{int(o['playout_underruns'])} | {pct(node_j, 0.95):.2f} / {pct(node_j, 0.99):.2f} | "
      f"{o['jitter_ms']['p95']:.2f} / {o['jitter_ms']['p99']:.2f} | {sys.argv[4]} | "
      f"{int(sys.argv[5]) / 1024:.0f} MiB | {sys.argv[6]} | {gen} |")
PY
    rm -f "$out/status.json" "$out/scrape.txt"
done
