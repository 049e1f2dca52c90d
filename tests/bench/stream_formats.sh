#!/usr/bin/env bash
# Stream formats side by side, in one run on this machine:
#  1. bytes per listener-hour of each wire format (one listener each, SECONDS of audio):
#     PCM binary and JSON on /ws/stream, Opus on /ws/stream?format=opus, Ogg on /stream.ogg;
#  2. CPU per Ogg listener: N HTTP readers on the node's /stream.ogg against N readers of the
#     same stream relayed by Icecast 2.4 (the node as its source), each minus its own idle
#     cost over the same window. Icecast runs as `nobody` when this runs as root.
#   tests/bench/stream_formats.sh BUILD_DIR [N=300] [SECONDS=20] [ROUNDS=2]
set -euo pipefail
build=$(cd "${1:?usage: stream_formats.sh BUILD_DIR [N] [SECONDS]}" && pwd)
n=${2:-300}
seconds=${3:-20}
rounds=${4:-2}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
chmod 777 "$work"
cleanup() { kill "${node_pid:-}" "${ice_pid:-}" 2>/dev/null || true; pkill -u nobody icecast2 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

ice_port=$(free_port)
cat > "$work/icecast.xml" <<XML
<icecast><location>bench</location><admin>bench@localhost</admin>
<limits><clients>$((n + 50))</clients><sources>2</sources><queue-size>524288</queue-size>
<client-timeout>30</client-timeout><header-timeout>15</header-timeout><source-timeout>10</source-timeout>
<burst-size>65535</burst-size></limits>
<authentication><source-password>bench</source-password><admin-user>admin</admin-user><admin-password>bench</admin-password></authentication>
<hostname>127.0.0.1</hostname><listen-socket><port>$ice_port</port><bind-address>127.0.0.1</bind-address></listen-socket>
<fileserve>0</fileserve><paths><basedir>/usr/share/icecast2</basedir><logdir>$work</logdir>
<webroot>/usr/share/icecast2/web</webroot><adminroot>/usr/share/icecast2/admin</adminroot></paths>
<logging><accesslog>access.log</accesslog><errorlog>error.log</errorlog><loglevel>2</loglevel></logging>
<security><chroot>0</chroot></security></icecast>
XML
chmod 644 "$work/icecast.xml"
if [ "$(id -u)" -eq 0 ]; then runuser -u nobody -- icecast2 -c "$work/icecast.xml" & else icecast2 -c "$work/icecast.xml" & fi
sleep 1
ice_pid=$(pgrep -n -x icecast2)

"$build/app/auralis-node" --port 0 --bind 127.0.0.1 --device cpu --log-level warn \
    --max-clients $((n + 50)) --max-listeners-per-address 0 --max-connections-per-address 0 --max-requests-per-second 0 \
    --icecast "http://source:bench@127.0.0.1:$ice_port/auralis.ogg" > "$work/node.out" &
node_pid=$!
until grep -q "listening on" "$work/node.out" 2>/dev/null; do sleep 0.1; done
port=$(grep -o '127.0.0.1:[0-9]*' "$work/node.out" | head -1 | cut -d: -f2)
until curl -s "http://127.0.0.1:$port/api/status" | grep -q '"state":"streaming"'; do sleep 0.2; done

echo "== $(date -u +%FT%TZ) $(nproc) cores, $(git -C "$here" describe --always --dirty)"
echo "-- bytes per listener-hour (each format's mean message or page bytes per second of audio, over $seconds s)"
for f in binary json opus; do
    python3 "$here/stream_readers.py" ws 127.0.0.1 "$port" "$f" "$seconds" |
        python3 -c 'import json,sys; r=json.load(sys.stdin); m=r["bytes"]/max(1,r["messages"]); print("%-8s /ws/stream  %5d msgs  %8.1f B/msg  %7.1f MB per listener-hour" % (r["format"], r["messages"], m, m*36000/1e6))'
done
python3 "$here/stream_readers.py" http 127.0.0.1 "$port" /stream.ogg 1 "$seconds" |
    python3 -c 'import json,sys; r=json.load(sys.stdin); print("ogg      /stream.ogg %7.1f MB per listener-hour (%d bytes for %s s of audio and the 1 s burst)" % (r["bytes"]/(r["seconds"]+1)*3600/1e6, r["bytes"], r["seconds"]))'

measure() { # pid what -> CPU % of one core over $seconds, with $3 readers on $4:$5
    local pid=$1 readers=$2 rport=$3 path=$4
    local t0 t1 out
    t0=$(cpu_ticks "$pid")
    if [ "$readers" -gt 0 ]; then
        out=$(python3 "$here/stream_readers.py" http 127.0.0.1 "$rport" "$path" "$readers" "$seconds")
    else
        sleep "$seconds"; out='{"alive": 0, "bytes": 0}'
    fi
    t1=$(cpu_ticks "$pid")
    echo "$(( (t1 - t0) )) $out"
}
curl -s "http://127.0.0.1:$port/metrics" | awk '
    /^chunk_encoding_duration_seconds_(sum|count)/ {b[$1]=$2}
    /^auralis_opus_encoding_duration_seconds_(sum|count)/ {o[$1]=$2}
    END { bb = b["chunk_encoding_duration_seconds_sum"] / b["chunk_encoding_duration_seconds_count"];
          oo = o["auralis_opus_encoding_duration_seconds_sum"] / o["auralis_opus_encoding_duration_seconds_count"];
          printf "-- encoding one chunk (scheduler thread, this run): base64 %.1f us, Opus %.1f us (Opus/base64 %.0f; %.2f %% of a core for Opus)\n", bb*1e6, oo*1e6, oo/bb, oo*1e6/1e5*100 }'
echo "-- CPU per /stream.ogg listener, $n readers, $seconds s each (ticks at $hz/s)"
for round in $(seq 1 "$rounds"); do
    read -r node_idle _ < <(measure "$node_pid" 0 0 /)
    read -r node_busy node_out < <(measure "$node_pid" "$n" "$port" /stream.ogg)
    read -r ice_idle _ < <(measure "$ice_pid" 0 0 /)
    read -r ice_busy ice_out < <(measure "$ice_pid" "$n" "$ice_port" /auralis.ogg)
    python3 - "$node_idle" "$node_busy" "$ice_idle" "$ice_busy" "$n" "$seconds" "$hz" "$node_out" "$ice_out" "$round" <<'PY'
import json, sys
ni, nb, ii, ib, n, s, hz = (float(x) for x in sys.argv[1:8])
no, io, rnd = json.loads(sys.argv[8]), json.loads(sys.argv[9]), sys.argv[10]
pct = lambda t: 100.0 * t / hz / s
node = (nb - ni) / n / hz / s * 1e6   # microseconds of CPU per listener per second
ice = (ib - ii) / n / hz / s * 1e6
nk, ik = no['bytes'] / n / s * 8 / 1000, io['bytes'] / n / s * 8 / 1000  # kbit/s per listener
print(f"round {rnd}: node {pct(ni):.1f} % idle, {pct(nb):.1f} % with {int(n)} ({no['alive']} alive, "
      f"{nk:.0f} kbit/s each): {node:.1f} us/s per listener | "
      f"icecast {pct(ii):.1f} % idle, {pct(ib):.1f} % with {int(n)} ({io['alive']} alive, "
      f"{ik:.0f} kbit/s each): {ice:.1f} us/s per listener | node/icecast per listener "
      f"{node/ice if ice > 0 else float('nan'):.2f}, per byte sent {(node/nk)/(ice/ik) if ice > 0 and ik > 0 else float('nan'):.2f}")
PY
done
