#!/usr/bin/env bash
# Load comparison in ONE invocation, alternating rounds:
#   bare         Hummingbird GET / -> "hello"                         (RampartLoadServer --mode bare)
#   static floor the same with Rampart's header set prepared once and    (--mode static-set)
#                appended: what sending these bytes costs, with no per-request work (context)
#   headers      the same behind SecurityHeadersMiddleware(.strict)    (--mode headers)
#   stack        headers + sessions (SQLite) + CSRF, an HTML page      (--mode stack), with its cookie
#   board        the reference board's home page, seeded               (--mode board), without and with
#                a signed-in cookie
#   flask        the Flask peer (peers/flask: Flask + Talisman + Flask-WTF, gunicorn 2x4 gthread),
#                seeded the same way, without and with a signed-in cookie
#   vapor bare, vapor static floor, vapor headers, vapor stack
#                the same four servers on Vapor 4 with the RampartVapor adapter
#                (Adapters/RampartVapor's RampartVaporLoadServer); VAPOR=0 leaves them out
# Every server is started once and stays up (idle servers cost nothing); only one is under load
# at a time. Each round runs wrk against every target in that order with a 1 s pause; ratios
# are taken within a round, then the median over the rounds is shown with its range and the goals.
# wrk shares the 2 cores with the server, so absolute numbers mean little; the ratios do.
#
# Knobs (environment):
#   ROUNDS=7        rounds (fewer than 5 only with ALLOW_FEWER_ROUNDS=1); even rounds run in reverse order
#   DURATION=8      seconds per wrk run
#   CONNECTIONS=32  wrk connections (one wrk thread)
#   COMMENTS=20     comments seeded into the board and the peer
#   WARMUP=2        seconds of unrecorded load on each target before round 1 (0: none)
#   SCRATCH=        a --scratch-path for the Swift build
#   LOAD_SERVER_BIN=  a prebuilt RampartLoadServer: skips the build
#   VAPOR=1         include the Vapor targets (0: Hummingbird and Flask only)
#   VAPOR_LOAD_SERVER_BIN=  a prebuilt RampartVaporLoadServer: skips its build
#   KEEP_WORK=1     keep the logs and data dirs (kept anyway when the script fails)
#
# Exit status: 0 all goals met; 1 a goal failed (or setup failed); 2 some responses were not
# 2xx/3xx, or a cookie stopped signing in (the figures are then worthless).
# Bounded: every server listens on 127.0.0.1 and is stopped on exit; every run lasts DURATION s.
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

ROUNDS="${ROUNDS:-7}"
DURATION="${DURATION:-8}"; DURATION="${DURATION%s}"
CONNECTIONS="${CONNECTIONS:-32}"
COMMENTS="${COMMENTS:-20}"
WARMUP="${WARMUP:-2}"; WARMUP="${WARMUP%s}"
VAPOR="${VAPOR:-1}"
[[ "$VAPOR" == 0 || "$VAPOR" == 1 ]] || bench_die "VAPOR must be 0 or 1, not '$VAPOR'"
bench_int ROUNDS "$ROUNDS"
bench_int DURATION "$DURATION"
bench_int CONNECTIONS "$CONNECTIONS"
bench_int COMMENTS "$COMMENTS"
[[ "$WARMUP" =~ ^[0-9]+$ ]] || bench_die "WARMUP must be a whole number of seconds, not '$WARMUP'"
if (( ROUNDS < 5 )) && [[ "${ALLOW_FEWER_ROUNDS:-0}" != 1 ]]; then
    bench_die "ROUNDS=$ROUNDS: at least 5 rounds make a median worth reading (ALLOW_FEWER_ROUNDS=1 to override)"
fi
MIN_SHOWN=$(( COMMENTS < 50 ? COMMENTS : 50 ))

bench_require_tools
bench_make_work
bench_install_traps

# --- Build and start everything -------------------------------------------------------------
bench_build
if [[ "$VAPOR" == 1 ]]; then bench_build_vapor; fi
bench_flask_venv

declare -A PORT
for name in bare static_set headers stack board flask vapor_bare vapor_static_set vapor_headers vapor_stack; do
    while :; do
        port="$(bench_free_port)"
        [[ " ${PORT[*]:-} " == *" $port "* ]] || break   # all different ports
    done
    PORT[$name]="$port"
done
URL_bare="http://127.0.0.1:${PORT[bare]}/"
URL_static_set="http://127.0.0.1:${PORT[static_set]}/"
URL_headers="http://127.0.0.1:${PORT[headers]}/"
URL_stack="http://127.0.0.1:${PORT[stack]}/"
URL_board="http://127.0.0.1:${PORT[board]}/"
URL_flask="http://127.0.0.1:${PORT[flask]}/"
URL_vapor_bare="http://127.0.0.1:${PORT[vapor_bare]}/"
URL_vapor_static_set="http://127.0.0.1:${PORT[vapor_static_set]}/"
URL_vapor_headers="http://127.0.0.1:${PORT[vapor_headers]}/"
URL_vapor_stack="http://127.0.0.1:${PORT[vapor_stack]}/"

mkdir -p "$WORK/stack-data" "$WORK/board-data"
bench_start bare "$LOAD_SERVER_BIN" --mode bare --port "${PORT[bare]}"
bench_start static_set "$LOAD_SERVER_BIN" --mode static-set --port "${PORT[static_set]}"
bench_start headers "$LOAD_SERVER_BIN" --mode headers --port "${PORT[headers]}"
bench_start stack "$LOAD_SERVER_BIN" --mode stack --port "${PORT[stack]}" --data-dir "$WORK/stack-data"
bench_start board "$LOAD_SERVER_BIN" --mode board --port "${PORT[board]}" --data-dir "$WORK/board-data"
bench_start_flask flask "${PORT[flask]}"
if [[ "$VAPOR" == 1 ]]; then
    mkdir -p "$WORK/vapor-stack-data"
    bench_start vapor_bare "$VAPOR_LOAD_SERVER_BIN" --mode bare --port "${PORT[vapor_bare]}"
    bench_start vapor_static_set "$VAPOR_LOAD_SERVER_BIN" --mode static-set --port "${PORT[vapor_static_set]}"
    bench_start vapor_headers "$VAPOR_LOAD_SERVER_BIN" --mode headers --port "${PORT[vapor_headers]}"
    bench_start vapor_stack "$VAPOR_LOAD_SERVER_BIN" --mode stack --port "${PORT[vapor_stack]}" --data-dir "$WORK/vapor-stack-data"
fi

bench_wait_ready bare "$URL_bare"
bench_wait_ready static_set "$URL_static_set"
bench_wait_ready headers "$URL_headers"
bench_wait_ready stack "$URL_stack"
bench_wait_ready board "${URL_board}healthz"
bench_wait_ready flask "$URL_flask"
if [[ "$VAPOR" == 1 ]]; then
    bench_wait_ready vapor_bare "$URL_vapor_bare"
    bench_wait_ready vapor_static_set "$URL_vapor_static_set"
    bench_wait_ready vapor_headers "$URL_vapor_headers"
    bench_wait_ready vapor_stack "$URL_vapor_stack"
fi
bench_log "servers up: bare :${PORT[bare]}, static :${PORT[static_set]}, headers :${PORT[headers]}, stack :${PORT[stack]}, board :${PORT[board]}, flask :${PORT[flask]}$( [[ "$VAPOR" == 1 ]] && echo ", vapor bare :${PORT[vapor_bare]}, vapor static :${PORT[vapor_static_set]}, vapor headers :${PORT[vapor_headers]}, vapor stack :${PORT[vapor_stack]}")"

# --- Cookies and seeding ----------------------------------------------------------------------
COOKIE_stack="$(python3 "$SEED" cookie --base "${URL_stack%/}")"
COOKIE_vapor_stack=""
if [[ "$VAPOR" == 1 ]]; then COOKIE_vapor_stack="$(python3 "$SEED" cookie --base "${URL_vapor_stack%/}")"; fi
bench_log "seeding the board with $COMMENTS comments (bcrypt: register takes ~0.3 s)…"
COOKIE_board="$(python3 "$SEED" rampart --base "${URL_board%/}" --comments "$COMMENTS")"
bench_log "seeding the Flask peer with $COMMENTS comments…"
COOKIE_flask="$(python3 "$SEED" flask --base "${URL_flask%/}" --comments "$COMMENTS")"

# What each target is: name, URL, cookie.
TARGET_NAMES=(bare static_set headers stack board board_cookie flask flask_cookie)
if [[ "$VAPOR" == 1 ]]; then TARGET_NAMES+=(vapor_bare vapor_static_set vapor_headers vapor_stack); fi
declare -A TARGET_URL=(
    [bare]="$URL_bare" [static_set]="$URL_static_set" [headers]="$URL_headers" [stack]="$URL_stack"
    [board]="$URL_board" [board_cookie]="$URL_board" [flask]="$URL_flask" [flask_cookie]="$URL_flask"
    [vapor_bare]="$URL_vapor_bare" [vapor_static_set]="$URL_vapor_static_set" [vapor_headers]="$URL_vapor_headers"
    [vapor_stack]="$URL_vapor_stack"
)
declare -A TARGET_COOKIE=(
    [bare]="" [static_set]="" [headers]="" [stack]="$COOKIE_stack"
    [board]="" [board_cookie]="$COOKIE_board" [flask]="" [flask_cookie]="$COOKIE_flask"
    [vapor_bare]="" [vapor_static_set]="" [vapor_headers]="" [vapor_stack]="$COOKIE_vapor_stack"
)

# Before measuring: every target answers 200, the pages show the comments, the signed-in
# cookies sign in and the anonymous runs are anonymous.
check_targets() {
    local name
    local plain=(bare static_set headers stack)
    if [[ "$VAPOR" == 1 ]]; then plain+=(vapor_bare vapor_static_set vapor_headers vapor_stack); fi
    for name in "${plain[@]}"; do bench_page_check "$name" "${TARGET_URL[$name]}" "${TARGET_COOKIE[$name]}" 0 ""; done
    bench_page_check board "$URL_board" "" "$MIN_SHOWN" 0
    bench_page_check board+cookie "$URL_board" "$COOKIE_board" "$MIN_SHOWN" 1
    bench_page_check flask "$URL_flask" "" "$MIN_SHOWN" 0
    bench_page_check flask+cookie "$URL_flask" "$COOKIE_flask" "$MIN_SHOWN" 1
}
check_targets

if (( WARMUP > 0 )); then
    bench_log "warming up each target for ${WARMUP} s…"
    for name in "${TARGET_NAMES[@]}"; do
        DURATION="$WARMUP" bench_wrk "$WORK/warmup.txt" "${TARGET_URL[$name]}" "${TARGET_COOKIE[$name]}"
        sleep 1
    done
fi

# --- Rounds -----------------------------------------------------------------------------------
RESULTS="$WORK/results.tsv"
: >"$RESULTS"
BAD=0
bench_log "$ROUNDS rounds × ${#TARGET_NAMES[@]} runs × ${DURATION} s, $CONNECTIONS connections…"
for round in $(seq "$ROUNDS"); do
    # Even rounds run the targets in reverse order, so that no target always runs first or
    # right after the same neighbour (the machine's speed drifts within a round).
    order=("${TARGET_NAMES[@]}")
    if (( round % 2 == 0 )); then
        order=()
        for (( i = ${#TARGET_NAMES[@]} - 1; i >= 0; i-- )); do order+=("${TARGET_NAMES[$i]}"); done
    fi
    for name in "${order[@]}"; do
        out="$WORK/wrk-r$round-$name.txt"
        bench_wrk "$out" "${TARGET_URL[$name]}" "${TARGET_COOKIE[$name]}"
        parsed="$(python3 "$SUMMARIZE" parse "$out")"
        IFS=$'\t' read -r rps p99 non2xx errors <<<"$parsed"
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$name" "$rps" "$p99" "$non2xx" "$errors" >>"$RESULTS"
        if (( non2xx > 0 )); then
            BAD=1
            bench_log ""
            bench_log "!!!!!!!! round $round $name: $non2xx responses were NOT 2xx/3xx — this run measured error pages !!!!!!!!"
            bench_log "!!!!!!!! (wrk output: $out; server log: $WORK/${name%_cookie}.log)"
            bench_log ""
        fi
        sleep 1
    done
    python3 "$SUMMARIZE" round "$RESULTS" "$round"
    # The signed-in cookies must still sign in after the load (an expired or rotated session
    # would have turned the cookie runs into anonymous ones).
    for name in board_cookie flask_cookie; do
        check="$WORK/cookie-check-r$round-$name.txt"
        code="$(curl -s -i --max-time 10 -o "$check" -w '%{http_code}' -H "Cookie: ${TARGET_COOKIE[$name]}" "${TARGET_URL[$name]}" || echo "curl exit $?")"
        if ! grep -q 'action="/logout"' "$check"; then
            BAD=1
            bench_log "!!!!!!!! after round $round, the $name cookie no longer signs in: its runs were anonymous !!!!!!!!"
            bench_log "!!!!!!!! (the check got '$code'; response with headers: $check; Set-Cookie: $(grep -i '^set-cookie' "$check" | cut -c1-60 | tr '\r\n' '  '))"
        fi
    done
done

status=0
python3 "$SUMMARIZE" summary "$RESULTS" || status=$?
if (( BAD )); then
    status=2
    bench_log "FAILED: some runs got error responses or lost their session; see the warnings above."
fi
exit "$status"
