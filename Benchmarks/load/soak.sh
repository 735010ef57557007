#!/usr/bin/env bash
# Soak test: `soak.sh [seconds]` (default 60). Starts the reference board (`rampart serve`,
# release build) with a fresh data dir in a temp folder and runs soak.py against it: a mixed
# workload of anonymous and signed-in page loads, form and JSON comment posts with CSRF tokens,
# API reads, CSP reports, the stylesheet and one-time-token data exports, from 24 keep-alive
# client threads (see soak.py for the mix). Registration and logins (bcrypt cost 12) happen
# once, before the measured window.
#
# It reports req/s and the status counts per kind, the server's RSS at 10 s and at the end (half a
# second before the load stops), its open file descriptors (sampled every 2 s: first, after
# warm-up, max, last) and the count of error-level lines in its log, as markdown tables and one
# JSON line (the last line of stdout).
#
# Exit status: 0 passed; 1 a server check failed: any 5xx, any socket error (refused, reset,
# timeout), RSS(end) not within 10% of RSS(10 s), open fds at the end more than 20 above the
# sample at 10 s, the server gone (also bad arguments, or a server that does not start: lib.sh);
# 2 the workload went wrong (answers these requests should not get, a signed-in client signed
# out); 3 setup failed (the build, RAMPART_BIN, soak.py's arguments, registering or logging in).
#
# Knobs (environment):
#   PORT=5077       the port (a free one is picked if 5077 is taken)
#   MIX=            workers per role, e.g. "anon=3,anon_cookie=3,user=5,form=2,api_get=3,api_post=2,csp=2,css=2,export=2"
#   USERS=3         accounts registered up front; COMMENTS=20 comments posted up front
#   POST_RATE=2     posts per second per writer (form, api_post; 4 writers: 8 posts/s, 480 a
#                   minute); 0: back to back (about 7,000 comments a minute). Every post adds a
#                   comment for good and an export lists all its user's comments, so unpaced
#                   writers make the data (and the server's working set) grow through the run
#   WARMUP=10       seconds before the baseline RSS and fd samples; SAMPLE_EVERY=2
#   RSS_TOLERANCE=0.10  FD_SLACK=20  TIMEOUT=10 (seconds per request before it is a socket error)
#   RAMPART_BIN=    a prebuilt `rampart` binary: skips the build. Without it, .build/release/rampart
#                   is (re)built when missing or older than Sources/ or Package.swift
#   BUILD_JOBS=     -j for that build (it takes ~13 minutes cold on 2 cores)
#   KEEP_WORK=1     keep the temp dir (server log, data dir); kept anyway when the run fails
# Bounded: the server listens on 127.0.0.1 only and is stopped on exit (TERM, then KILL).
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"

SECONDS_TOTAL="${1:-60}"; SECONDS_TOTAL="${SECONDS_TOTAL%s}"
PORT="${PORT:-5077}"
USERS="${USERS:-3}"
COMMENTS="${COMMENTS:-20}"
WARMUP="${WARMUP:-10}"
bench_int seconds "$SECONDS_TOTAL"
bench_int PORT "$PORT"
bench_int USERS "$USERS"
bench_int WARMUP "$WARMUP"
(( SECONDS_TOTAL >= WARMUP + 10 )) || bench_die "the soak lasts at least WARMUP + 10 = $(( WARMUP + 10 )) s (the baseline sample is at $WARMUP s)"

# Exits 3 on a setup failure (bench_die exits 1, which means a failed check here).
setup_die() { printf '\n*** %s\n' "$*" >&2; exit 3; }

for tool in curl python3; do command -v "$tool" >/dev/null || setup_die "$tool is not installed"; done
[[ -z "${RAMPART_BIN:-}" || -x "$RAMPART_BIN" ]] || setup_die "RAMPART_BIN=$RAMPART_BIN is not executable"
bench_make_work
bench_install_traps

# --- The server binary ------------------------------------------------------------------------
# RAMPART_BIN, else .build/release/rampart, built when missing or older than anything it is built
# from (Sources/, Package.swift, Package.resolved).
if [[ -n "${RAMPART_BIN:-}" ]]; then
    bench_log "using RAMPART_BIN=$RAMPART_BIN (no build)"
else
    RAMPART_BIN="$ROOT/.build/release/rampart"
    newer=""
    [[ -x "$RAMPART_BIN" ]] && newer="$(find "$ROOT/Sources" "$ROOT/Package.swift" "$ROOT/Package.resolved" -newer "$RAMPART_BIN" -print -quit 2>/dev/null || true)"
    if [[ ! -x "$RAMPART_BIN" || -n "$newer" ]]; then
        bench_log "building rampart (release${newer:+; $newer is newer than the binary}; log: $WORK/build.log)…"
        if ! (cd "$ROOT" && swift build -c release --product rampart ${BUILD_JOBS:+-j "$BUILD_JOBS"}) >"$WORK/build.log" 2>&1; then
            tail -n 40 "$WORK/build.log" >&2
            setup_die "swift build failed (RAMPART_BIN=path runs a prebuilt binary instead)"
        fi
        [[ -x "$RAMPART_BIN" ]] || setup_die "no binary at $RAMPART_BIN after the build"
    else
        bench_log "using $RAMPART_BIN (up to date)"
    fi
fi

# --- The server ---------------------------------------------------------------------------------
port_free() { python3 -c 'import socket, sys; s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.close()' "$1" 2>/dev/null; }
if ! port_free "$PORT"; then
    bench_log "port $PORT is taken; using a free one"
    PORT="$(bench_free_port)"
fi
BASE="http://127.0.0.1:$PORT"
mkdir -p "$WORK/data"
bench_start rampart "$RAMPART_BIN" serve --host 127.0.0.1 --port "$PORT" --data-dir "$WORK/data"
bench_wait_ready rampart "$BASE/healthz"
bench_log "rampart serve up on $BASE (PID $PID_rampart; log: $WORK/rampart.log)"

# --- The soak -------------------------------------------------------------------------------------
status=0
python3 "$LOAD_DIR/soak.py" --base "$BASE" --pid "$PID_rampart" --log "$WORK/rampart.log" --seconds "$SECONDS_TOTAL" \
    --users "$USERS" --comments "$COMMENTS" --post-rate "${POST_RATE:-2}" --warmup "$WARMUP" ${MIX:+--mix "$MIX"} \
    --sample-every "${SAMPLE_EVERY:-2}" --rss-tolerance "${RSS_TOLERANCE:-0.10}" --fd-slack "${FD_SLACK:-20}" \
    --timeout "${TIMEOUT:-10}" || status=$?

if (( status != 0 )); then
    bench_log ""
    bench_log "--- the last 30 lines of the server log ($WORK/rampart.log) ---"
    tail -n 30 "$WORK/rampart.log" >&2 || true
fi
exit "$status"
