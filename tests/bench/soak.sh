#!/usr/bin/env bash
# Soak: one node for SECONDS (default 3600) with LISTENERS (default 200) listeners joining and
# leaving — GROUPS load generators of LISTENERS/GROUPS each, every one running 30-120 s, then
# replaced by a new one (new connections, new client ids) — while the node's RSS and its heap in
# use (/api/status "memory") are sampled every 10 s. After the warm-up (the first WARMUP s,
# default a third of the run: 1200 s of an hour) both slopes are fitted by least squares and
# reported in MB per hour, with the node's heap trims. The first hour-long runs stepped up until
# about 1200 s; after that RSS grew ~1.2 MB/h with heap in use flat: smaps put all of it in the
# main arena's [heap] mapping, pages of it touched again while its size stayed flat, given back
# by the node's heap trims (docs/benchmarks.md, "Soak"). Fails (exit 1) on any seq gap, a load
# generator whose listeners got no audio, a node that died, or growth above MAX_MB_PER_H (default 1).
#   tests/bench/soak.sh BUILD_DIR [SECONDS] [LISTENERS]        (ctest label `soak`; make soak)
# Environment: SOAK_GROUPS (default 4), WARMUP, MAX_MB_PER_H, SEED (the generators' lengths),
# SOAK_KEEP (a file to keep the samples in: seconds, RSS KiB, heap in use bytes, trims, main
# heap mapping size KiB, its resident KiB).
set -euo pipefail
build=$(cd "${1:?usage: soak.sh BUILD_DIR [SECONDS] [LISTENERS]}" && pwd)
seconds=${2:-3600}
listeners=${3:-200}
groups=${SOAK_GROUPS:-4}
warmup=${WARMUP:-$(( seconds / 3 ))}
max_growth=${MAX_MB_PER_H:-1}
RANDOM=${SEED:-15}
per_group=$(( listeners / groups ))
(( warmup < seconds )) || { echo "soak: WARMUP ($warmup) must be shorter than the run ($seconds)" >&2; exit 2; }
out=$(mktemp -d)
node_pid=
cleanup() {
    jobs -p | xargs -r kill 2>/dev/null || true
    [ -n "$node_pid" ] && kill "$node_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$out"
}
trap cleanup EXIT

"$build/app/auralis-node" --port 0 --bind 127.0.0.1 --device cpu --log-level warn \
    --max-clients $(( listeners + 64 )) --max-listeners-per-address 0 \
    --max-connections-per-address 0 --max-requests-per-second 0 >"$out/node.out" 2>"$out/node.err" &
node_pid=$!
until grep -q listening "$out/node.out" 2>/dev/null; do
    kill -0 "$node_pid" 2>/dev/null || { echo "soak: the node did not start" >&2; cat "$out/node.err" >&2; exit 1; }
    sleep 0.05
done
port=$(sed -n 's/.*127.0.0.1:\([0-9]*\) .*/\1/p' "$out/node.out")
echo "soak: node pid $node_pid on port $port; $listeners listeners in $groups groups for $seconds s (warm-up $warmup s)"

t0=$(date +%s)
declare -A group_pid group_end
runs=0
launch() { # group -> a load generator of per_group listeners for 30-120 s
    local g=$1 len=$(( 30 + RANDOM % 91 ))
    local left=$(( t0 + seconds - $(date +%s) ))
    (( len > left )) && len=$left
    (( len >= 5 )) || return 0
    runs=$(( runs + 1 ))
    "$build/app/auralis-client" --url "ws://127.0.0.1:$port/ws/stream" --clients "$per_group" \
        --duration "$len" --ramp-ms 2000 --id-prefix "soak-$g-$runs" \
        >"$out/run-$runs.json" 2>"$out/run-$runs.err" &
    group_pid[$g]=$!
}
for g in $(seq 1 "$groups"); do launch "$g"; done

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$node_pid/status"; }
# The node's own heap statistics (/api/status "memory"): heap in use beside RSS tells a leak
# (in use grows) from allocator residency (in use flat, RSS grows); trims are the node's own.
memory_field() { sed -n "s/.*\"memory\":{[^}]*\"$1\":\([0-9.e+]*\).*/\1/p" "$out/status.json"; }
# The main arena's mapping ([heap] in smaps): its size (what sbrk reserved) and how much of it
# is resident. RSS that rises while that size stays flat is pages of the same heap being
# touched for the first time: bounded by the size, not a leak.
heap_map_kb() { awk '/\[heap\]/ {f = 1} f && /^Size:/ {s = $2} f && /^Rss:/ {print s, $2; exit}' \
    "/proc/$node_pid/smaps"; }
sample() {
    curl -s --max-time 5 "http://127.0.0.1:$port/api/status" >"$out/status.json" || : >"$out/status.json"
    echo "$1 $(rss_kb) $(memory_field heap_in_use_bytes) $(memory_field heap_trims) $(heap_map_kb)" \
        >>"$out/rss.txt"
}
: >"$out/rss.txt"
next_sample=$t0
while (( $(date +%s) < t0 + seconds )); do
    kill -0 "$node_pid" 2>/dev/null || { echo "soak: the node died at $(( $(date +%s) - t0 )) s" >&2; cat "$out/node.err" >&2; exit 1; }
    now=$(date +%s)
    if (( now >= next_sample )); then
        sample $(( now - t0 ))
        next_sample=$(( next_sample + 10 ))
        if (( (now - t0) % 300 < 10 )); then
            echo "soak: $(( now - t0 )) s, RSS $(( $(rss_kb) / 1024 )) MiB, $runs load generators so far"
        fi
    fi
    for g in $(seq 1 "$groups"); do
        pid=${group_pid[$g]:-}
        if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid" || true
            group_pid[$g]=
            launch "$g"
        fi
    done
    sleep 1
done
for g in $(seq 1 "$groups"); do
    pid=${group_pid[$g]:-}
    [ -n "$pid" ] && { wait "$pid" || true; }
done
kill -0 "$node_pid" 2>/dev/null || { echo "soak: the node died at the end" >&2; exit 1; }

python3 - "$out" "$runs" "$warmup" "$max_growth" "$per_group" <<'PY'
import glob, json, os, shutil, sys
out, runs, warmup, max_growth, per_group = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
gaps = chunks = underruns = 0
failed = []
for path in sorted(glob.glob(f"{out}/run-*.json")):
    try:
        s = json.load(open(path))
    except Exception:
        failed.append(f"{path}: no summary")
        continue
    o = s["overall"]
    gaps += o["gaps"]; chunks += o["chunks"]; underruns += o["server_underruns"]
    silent = sum(1 for l in s["listeners"] if l["chunks"] == 0)
    if silent:
        failed.append(f"{path}: {silent} listeners got no audio")
rows = [l.split() for l in open(f"{out}/rss.txt") if l.strip()]
pts = [(float(r[0]), float(r[1]) * 1024 / 1e6) for r in rows]  # s, MB
heap = [(float(r[0]), float(r[2]) / 1e6) for r in rows if len(r) > 2]  # s, MB in use
trims = int(float(rows[-1][3])) if rows and len(rows[-1]) > 3 else 0
brk = [(float(r[0]), float(r[4]) * 1024 / 1e6, float(r[5]) * 1024 / 1e6) for r in rows if len(r) > 5]
def slope_after(series):  # least squares, MB per hour, over the samples after the warm-up
    late = [(t, v) for t, v in series if t >= warmup]
    n = len(late)
    if n < 3:
        return 0.0, n
    mt = sum(t for t, _ in late) / n; mv = sum(v for _, v in late) / n
    return sum((t - mt) * (v - mv) for t, v in late) / sum((t - mt) ** 2 for t, _ in late) * 3600, n
slope, n = slope_after(pts)
heap_slope, _ = slope_after(heap)
first, last = (pts[0][1], pts[-1][1]) if pts else (0, 0)
if brk:
    brk_slope, _ = slope_after([(t, size) for t, size, _ in brk])
    heap_text_brk = (f"; main heap mapping {brk[0][1]:.1f} -> {brk[-1][1]:.1f} MB "
                     f"({brk_slope:+.2f} MB/h after warm-up), resident {brk[-1][2]:.1f} MB of it")
else:
    heap_text_brk = ""
heap_text = (f"; heap in use {heap[0][1]:.1f} -> {heap[-1][1]:.1f} MB, {heap_slope:+.2f} MB/h; "
             f"{trims} heap trims by the node" if heap else "; heap in use unknown") + heap_text_brk
print(f"soak: {runs} load generators ({per_group} listeners each), {int(chunks)} chunks, "
      f"{int(gaps)} seq gaps, {int(underruns)} node underruns; RSS {first:.1f} -> {last:.1f} MB, "
      f"after warm-up {slope:+.2f} MB/h over {n} samples (allowed {max_growth}){heap_text}")
if "SOAK_KEEP" in os.environ:
    shutil.copy(f"{out}/rss.txt", os.environ["SOAK_KEEP"])
ok = gaps == 0 and not failed and slope <= max_growth and n >= 3
for f in failed:
    print("soak: " + f, file=sys.stderr)
print("soak: " + ("PASS" if ok else "FAIL"))
sys.exit(0 if ok else 1)
PY
