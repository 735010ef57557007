#!/usr/bin/env bash
# Load test: requests per second for a bare Hummingbird route, the same route behind Hummingbird's
# static ContentSecurityMiddleware, and behind Rampart's SecurityHeadersMiddleware (all headers,
# fresh nonce). All three run in one invocation, alternating, so the ratios are comparable.
# wrk shares the 2 cores with the server, so absolute numbers mean little; the ratios do.
# Bounded: each run lasts DURATION seconds against 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${DURATION:-10}"
ROUNDS="${ROUNDS:-3}"
command -v wrk >/dev/null || { echo "install wrk (apt-get install wrk)"; exit 1; }
swift build -c release --product RampartLoadServer ${SCRATCH:+--scratch-path "$SCRATCH"} >/dev/null
BIN="$(swift build -c release ${SCRATCH:+--scratch-path "$SCRATCH"} --show-bin-path)/RampartLoadServer"

run() {
    local mode=$1 port=$2
    "$BIN" --mode "$mode" --port "$port" & local pid=$!
    for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
    wrk -t1 -c32 -d"${DURATION}s" "http://127.0.0.1:$port/" | awk '/Requests\/sec/ {print $2}'
    kill "$pid"; wait "$pid" 2>/dev/null || true
}

declare -A total=([bare]=0 [static]=0 [rampart]=0)
for round in $(seq "$ROUNDS"); do
    for mode in bare static rampart; do
        rps=$(run "$mode" 18080)
        echo "round $round $mode: $rps req/s"
        total[$mode]=$(awk -v a="${total[$mode]}" -v b="$rps" 'BEGIN {print a + b}')
    done
done
for mode in bare static rampart; do
    awk -v m="$mode" -v t="${total[$mode]}" -v b="${total[bare]}" -v r="$ROUNDS" \
        'BEGIN {printf "%-8s %9.0f req/s  %.3f x bare\n", m, t / r, t / b}'
done
