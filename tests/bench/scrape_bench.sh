#!/usr/bin/env bash
# /metrics scraped live, as Prometheus sees it: a node streams to N listeners (the load
# generator), and once all of them listen, SCRAPES curl requests 0.25 s apart time the first
# and the last byte. Several node binaries take turns in one run (the same client, machine and
# counts, alternating), so their ratio is what counts. A node that logs its own scrape timing
# (this tree's, at --log-level debug) adds the node thread's CPU per scrape and its parts.
#   tests/bench/scrape_bench.sh BUILD_DIR [LISTENERS=1000] [SCRAPES=40] [ROUNDS=2]
# Environment: NODE_BINS (node binaries, space-separated; default BUILD_DIR/app/auralis-node),
# FORMAT (binary|json|opus, default binary), THREADS (load generator threads, default 2),
# NODE_ARGS (more options for every node, e.g. --io-threads 1).
set -euo pipefail
build=${1:?usage: scrape_bench.sh BUILD_DIR [LISTENERS] [SCRAPES] [ROUNDS]}
listeners=${2:-1000}
scrapes=${3:-40}
rounds=${4:-2}
client_bin=${CLIENT_BIN:-$build/app/auralis-client}
read -r -a nodes <<<"${NODE_BINS:-$build/app/auralis-node}"
out=$(mktemp -d)
node_pid=
client_pid=
trap 'kill $client_pid $node_pid 2>/dev/null || true; rm -rf "$out"' EXIT

run_one() { # node binary -> one table row
    local bin=$1 round=$2 port count=0 i
    "$bin" --port 0 --bind 127.0.0.1 --device cpu --log-level debug --max-clients 20000 \
        --max-listeners-per-address 0 --max-connections-per-address 0 \
        --max-requests-per-second 0 ${NODE_ARGS:-} >"$out/node.out" 2>"$out/node.err" &
    node_pid=$!
    until grep -q listening "$out/node.out" 2>/dev/null; do sleep 0.05; done
    port=$(sed -n 's/.*127.0.0.1:\([0-9]*\) .*/\1/p' "$out/node.out")
    local seconds
    seconds=$(awk -v s="$scrapes" 'BEGIN { printf "%d", 20 + s * 0.3 }')
    "$client_bin" --url "ws://127.0.0.1:$port/ws/stream" --clients "$listeners" \
        --duration "$seconds" --format "${FORMAT:-binary}" --threads "${THREADS:-2}" \
        >"$out/load.json" 2>/dev/null &
    client_pid=$!
    for i in $(seq 1 200); do # until every listener is connected (at most 20 s)
        count=$(curl -s "http://127.0.0.1:$port/metrics" |
            awk '/^active_websocket_connections / {print $2}')
        [ "${count:-0}" -ge "$listeners" ] && break
        sleep 0.1
    done
    sleep 2 # past the connection burst: streaming only
    local from
    from=$(wc -l <"$out/node.err")
    : >"$out/times"
    for i in $(seq 1 "$scrapes"); do
        curl -s -o /dev/null -w '%{time_starttransfer} %{time_total}\n' \
            "http://127.0.0.1:$port/metrics" >>"$out/times"
        sleep 0.25
    done
    tail -n +"$((from + 1))" "$out/node.err" | grep 'scrape:' >"$out/node.err.scrapes" || true
    wait $client_pid || true
    client_pid=
    kill $node_pid 2>/dev/null || true
    wait $node_pid 2>/dev/null || true
    node_pid=
    python3 - "$bin" "$round" "$count" "$out/times" "$out/node.err.scrapes" "$out/load.json" <<'PY'
import json, re, statistics, sys
binary, rnd, count, times_file, log_file, load_file = sys.argv[1:]
times = [tuple(float(x) * 1000 for x in l.split()) for l in open(times_file) if l.strip()]
def q(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(p * len(v)))] if v else float("nan")
first = [t[0] for t in times]
last = [t[1] for t in times]
parts = [tuple(int(x) for x in re.findall(r"(\d+) us", l)) for l in open(log_file)]
# Per scrape: (node thread CPU, wall time in the node, of it waiting on the depth refresh).
# Older nodes log "depth refresh R us, exposition E us; node thread CPU C us", this tree's
# "T us: node families F us, depth refresh R us, listeners and process L us; ... CPU C us".
parts = [(p[2], p[0] + p[1], p[0]) if len(p) == 3 else (p[4], p[0], p[2])
         for p in parts if len(p) in (3, 5)]
node = "-"
if parts:
    node = "%.2f (wall %.2f, of it depth refresh %.2f)" % tuple(
        statistics.median(p[i] for p in parts) / 1000 for i in range(3))
try:
    o = json.load(open(load_file))["overall"]
    gaps = "%d" % o["gaps"]
except Exception:
    gaps = "?"
print(f"| {binary} | {rnd} | {count} | {q(first, 0.5):.2f} / {q(first, 0.9):.2f} | "
      f"{q(last, 0.5):.2f} / {q(last, 0.9):.2f} | {node} | {gaps} |")
PY
}

echo "== $(date -u +%FT%TZ) $(nproc) cores; $listeners ${FORMAT:-binary} listeners, $scrapes scrapes 0.25 s apart"
printf '| node | round | listeners | first byte p50 / p90 (ms) | last byte p50 / p90 (ms) | node thread CPU per scrape (wall in the node, of it depth refresh), p50 (ms) | seq gaps |\n'
printf '|---|---|---|---|---|---|---|\n'
for r in $(seq 1 "$rounds"); do
    for bin in "${nodes[@]}"; do
        run_one "$bin" "$r"
    done
done
