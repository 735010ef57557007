#!/usr/bin/env bash
# Memory under sustained load: starts the board (RampartLoadServer --mode board, the same release
# build as compare.sh), seeds it, runs `wrk -t1 -c32 -d60s` with the signed-in cookie, and samples
# the server's resident memory (VmRSS from /proc/PID/status) every 10 s during the run. Fails if
# RSS at the end (60 s) is more than 1.10 x RSS at 10 s: a leak or an unbounded cache.
#
# Knobs (environment): RSS_DURATION=60 (seconds, at least 20), CONNECTIONS=32, COMMENTS=20,
# RSS_LIMIT=1.10, SCRATCH= (a --scratch-path for the Swift build), LOAD_SERVER_BIN= (a prebuilt
# RampartLoadServer: skips the build), KEEP_WORK=1.
# Bounded: the server listens on 127.0.0.1 only and is stopped on exit.
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

RSS_DURATION="${RSS_DURATION:-60}"; RSS_DURATION="${RSS_DURATION%s}"
CONNECTIONS="${CONNECTIONS:-32}"
COMMENTS="${COMMENTS:-20}"
RSS_LIMIT="${RSS_LIMIT:-1.10}"
bench_int RSS_DURATION "$RSS_DURATION"
bench_int CONNECTIONS "$CONNECTIONS"
bench_int COMMENTS "$COMMENTS"
(( RSS_DURATION >= 20 )) || bench_die "RSS_DURATION must be at least 20 s (the first sample is at 10 s)"

bench_require_tools
bench_make_work
bench_install_traps

bench_build
port="$(bench_free_port)"
url="http://127.0.0.1:$port/"
mkdir -p "$WORK/board-data"
bench_start board "$LOAD_SERVER_BIN" --mode board --port "$port" --data-dir "$WORK/board-data"
bench_wait_ready board "${url}healthz"
bench_log "seeding the board with $COMMENTS comments…"
cookie="$(python3 "$SEED" rampart --base "${url%/}" --comments "$COMMENTS")"
bench_page_check board+cookie "$url" "$cookie" $(( COMMENTS < 50 ? COMMENTS : 50 )) 1

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$PID_board/status"; }
bench_log "RSS before the run: $(rss_kb) kB"

# The sampler: every 10 s, and once more half a second before wrk stops ("at $RSS_DURATION s").
samples="$WORK/rss.tsv"
(
    start=$SECONDS
    for at in $(seq 10 10 $(( RSS_DURATION - 1 ))) "$RSS_DURATION"; do
        target="$at"; (( at == RSS_DURATION )) && target="$(awk -v d="$RSS_DURATION" 'BEGIN {print d - 0.5}')"
        sleep "$(awk -v t="$target" -v e="$(( SECONDS - start ))" 'BEGIN {s = t - e; print (s > 0 ? s : 0)}')"
        printf '%s\t%s\n' "$at" "$(rss_kb)" >>"$samples"
    done
) &
sampler=$!
BENCH_PIDS+=("$sampler")

DURATION="$RSS_DURATION" bench_wrk "$WORK/wrk.txt" "$url" "$cookie"
wait "$sampler" || true
cat "$WORK/wrk.txt"
parsed="$(python3 "$SUMMARIZE" parse "$WORK/wrk.txt")"
IFS=$'\t' read -r rps p99 non2xx errors <<<"$parsed"

echo
echo "RSS of the board (PID $PID_board) under load, kB:"
while IFS=$'\t' read -r at kb; do printf '  at %3s s: %8s kB\n' "$at" "$kb"; done <"$samples"
first="$(awk -F'\t' '$1 == 10 {print $2}' "$samples")"
last="$(awk -F'\t' -v d="$RSS_DURATION" '$1 == d {print $2}' "$samples")"
[[ -n "$first" && -n "$last" ]] || bench_die "missing RSS samples (see $samples)"
ratio="$(awk -v a="$first" -v b="$last" 'BEGIN {printf "%.3f", b / a}')"
echo "RSS(${RSS_DURATION} s) / RSS(10 s) = $last / $first = $ratio (limit $RSS_LIMIT); $rps req/s, p99 $p99 ms"

status=0
if (( non2xx > 0 )); then
    echo "!!!!!!!! $non2xx responses were NOT 2xx/3xx: the run measured error pages !!!!!!!!"
    status=2
fi
if ! curl -s --max-time 10 -H "Cookie: $cookie" "$url" | grep -q 'action="/logout"'; then
    echo "!!!!!!!! after the run the cookie no longer signs in: the run was (partly) anonymous !!!!!!!!"
    status=2
fi
if awk -v r="$ratio" -v l="$RSS_LIMIT" 'BEGIN {exit !(r > l)}'; then
    echo "FAIL: RSS grew by more than $(awk -v l="$RSS_LIMIT" 'BEGIN {printf "%.0f", (l - 1) * 100}')% between 10 s and ${RSS_DURATION} s"
    (( status )) || status=1
else
    echo "PASS: RSS(${RSS_DURATION} s) ≤ ${RSS_LIMIT} × RSS(10 s)"
fi
exit "$status"
