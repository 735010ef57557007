# Shared helpers for compare.sh and rss.sh: sourced, not run. Bash, under `set -euo pipefail`.
#
# Every server is started by bench_start, listens on 127.0.0.1 only, and is stopped (TERM, then
# KILL after 5 s) by bench_cleanup, which the callers run from an EXIT trap.

LOAD_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BENCH_DIR="$(cd "$LOAD_DIR/.." && pwd)"
PEER_DIR="$BENCH_DIR/peers/flask"
SEED="$LOAD_DIR/seed.py"
SUMMARIZE="$LOAD_DIR/summarize.py"

BENCH_PIDS=()
WORK=""

bench_log() { printf '%s\n' "$*" >&2; }
bench_die() { printf '\n*** %s\n' "$*" >&2; exit 1; }

bench_require_tools() {
    local tool
    for tool in wrk curl python3 swift; do
        command -v "$tool" >/dev/null || bench_die "$tool is not installed$([[ $tool == wrk ]] && echo ' (apt-get install wrk)')"
    done
}

# A positive integer check: bench_int NAME VALUE.
bench_int() {
    [[ "$2" =~ ^[0-9]+$ ]] && (( $2 > 0 )) || bench_die "$1 must be a positive whole number, not '$2'"
}

bench_make_work() {
    WORK="$(mktemp -d "${TMPDIR:-/tmp}/rampart-bench.XXXXXX")"
}

# Stops every server this script started (only those, by PID), then removes WORK unless the
# script failed or KEEP_WORK=1 (its logs are then kept for a look).
bench_cleanup() {
    local status=$? pid waited
    trap - EXIT INT TERM
    for pid in "${BENCH_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${BENCH_PIDS[@]}"; do
        waited=0
        while kill -0 "$pid" 2>/dev/null && (( waited < 50 )); do sleep 0.1; waited=$((waited + 1)); done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [[ -n "$WORK" && -d "$WORK" ]]; then
        if (( status != 0 )) || [[ "${KEEP_WORK:-0}" == 1 ]]; then
            bench_log "logs and data kept in $WORK"
        else
            rm -rf "$WORK"
        fi
    fi
    exit "$status"
}

bench_install_traps() {
    trap bench_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

# Builds RampartLoadServer in release and sets LOAD_SERVER_BIN. A LOAD_SERVER_BIN already set
# in the environment (a prebuilt binary) skips the build.
bench_build() {
    local log="$WORK/build.log"
    if [[ -n "${LOAD_SERVER_BIN:-}" ]]; then
        [[ -x "$LOAD_SERVER_BIN" ]] || bench_die "LOAD_SERVER_BIN=$LOAD_SERVER_BIN is not executable"
        bench_log "using LOAD_SERVER_BIN=$LOAD_SERVER_BIN (no build)"
        return 0
    fi
    bench_log "building RampartLoadServer (release; log: $log)…"
    if ! swift build -c release --package-path "$BENCH_DIR" --product RampartLoadServer ${SCRATCH:+--scratch-path "$SCRATCH"} >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        bench_die "swift build failed"
    fi
    LOAD_SERVER_BIN="$(swift build -c release --package-path "$BENCH_DIR" ${SCRATCH:+--scratch-path "$SCRATCH"} --show-bin-path)/RampartLoadServer"
    [[ -x "$LOAD_SERVER_BIN" ]] || bench_die "no binary at $LOAD_SERVER_BIN"
}

# bench_build_vapor: builds RampartVaporLoadServer in Adapters/RampartVapor (release), unless
# VAPOR_LOAD_SERVER_BIN names a prebuilt one. Its first build compiles Vapor (10+ minutes).
bench_build_vapor() {
    local log="$WORK/build-vapor.log" package="$BENCH_DIR/../Adapters/RampartVapor"
    if [[ -n "${VAPOR_LOAD_SERVER_BIN:-}" ]]; then
        [[ -x "$VAPOR_LOAD_SERVER_BIN" ]] || bench_die "VAPOR_LOAD_SERVER_BIN=$VAPOR_LOAD_SERVER_BIN is not executable"
        bench_log "using VAPOR_LOAD_SERVER_BIN=$VAPOR_LOAD_SERVER_BIN (no build)"
        return 0
    fi
    bench_log "building RampartVaporLoadServer (release; log: $log)…"
    if ! swift build -c release --package-path "$package" --product RampartVaporLoadServer >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        bench_die "swift build of the Vapor load server failed"
    fi
    VAPOR_LOAD_SERVER_BIN="$(swift build -c release --package-path "$package" --show-bin-path)/RampartVaporLoadServer"
    [[ -x "$VAPOR_LOAD_SERVER_BIN" ]] || bench_die "no binary at $VAPOR_LOAD_SERVER_BIN"
}

# A free TCP port on 127.0.0.1 (the kernel's pick; released at once, so used right away).
bench_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# bench_start NAME COMMAND...: runs COMMAND in the background, output to $WORK/NAME.log; the
# PID goes to BENCH_PIDS and to the variable PID_NAME.
bench_start() {
    local name=$1; shift
    "$@" >"$WORK/$name.log" 2>&1 &
    local pid=$!
    BENCH_PIDS+=("$pid")
    printf -v "PID_$name" '%s' "$pid"
}

# bench_wait_ready NAME URL: polls URL until it answers 200 (20 s at most) while NAME runs.
bench_wait_ready() {
    local name=$1 url=$2 pidvar="PID_$1" tries=0 code
    local pid="${!pidvar}"
    while (( tries < 200 )); do
        kill -0 "$pid" 2>/dev/null || { tail -n 30 "$WORK/$name.log" >&2; bench_die "$name exited before it was ready"; }
        code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)"
        [[ "$code" == 200 ]] && return 0
        sleep 0.1
        tries=$((tries + 1))
    done
    tail -n 30 "$WORK/$name.log" >&2
    bench_die "$name is not ready after 20 s ($url last answered '$code')"
}

# The Flask peer's virtualenv: made if missing, (re)installed when requirements.txt changed.
bench_flask_venv() {
    local venv="$PEER_DIR/.venv" stamp="$PEER_DIR/.venv/requirements.installed"
    if [[ ! -x "$venv/bin/python" ]]; then
        bench_log "creating $venv…"
        python3 -m venv "$venv"
    fi
    if ! cmp -s "$PEER_DIR/requirements.txt" "$stamp"; then
        bench_log "installing the Flask peer's requirements…"
        "$venv/bin/pip" install --disable-pip-version-check -q -r "$PEER_DIR/requirements.txt" >&2
        cp "$PEER_DIR/requirements.txt" "$stamp"
    fi
}

# bench_start_flask NAME PORT: gunicorn (gunicorn.conf.py: 2 workers x 4 threads) with a fresh
# data dir under WORK and a fixed secret for the run.
bench_start_flask() {
    local name=$1 port=$2
    mkdir -p "$WORK/$name-data"
    bench_start "$name" env PEER_PORT="$port" PEER_DATA_DIR="$WORK/$name-data" \
        PEER_SECRET_KEY="$(python3 -c 'import secrets; print(secrets.token_hex(32))')" \
        "$PEER_DIR/.venv/bin/gunicorn" --chdir "$PEER_DIR" -c "$PEER_DIR/gunicorn.conf.py" app:app
}

# bench_page_check WHAT URL COOKIE MIN_COMMENTS SIGNED_IN: one GET; dies unless it is a 200 with
# at least MIN_COMMENTS comments and, when SIGNED_IN is 1, the log-out form (0: without it).
bench_page_check() {
    local what=$1 url=$2 cookie=$3 min=$4 signed_in=$5 page code shown
    page="$WORK/check.html"
    code="$(curl -s -o "$page" -w '%{http_code}' --max-time 10 ${cookie:+-H "Cookie: $cookie"} "$url" || true)"
    [[ "$code" == 200 ]] || bench_die "$what: GET $url answered '$code', not 200"
    shown="$({ grep -o 'class="comment"' "$page" || true; } | wc -l)"
    (( shown >= min )) || bench_die "$what: the page shows $shown comments, expected at least $min"
    if [[ "$signed_in" == 1 ]]; then
        grep -q 'action="/logout"' "$page" || bench_die "$what: the cookie does not sign in (no log-out form on the page)"
    elif [[ "$signed_in" == 0 ]]; then
        ! grep -q 'action="/logout"' "$page" || bench_die "$what: signed in without a cookie?"
    fi
}

# bench_wrk OUT URL [COOKIE]: one wrk run, raw output to OUT.
bench_wrk() {
    local out=$1 url=$2 cookie=${3:-}
    wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency --timeout "${WRK_TIMEOUT:-10}s" \
        ${cookie:+-H "Cookie: $cookie"} "$url" >"$out" 2>&1 || { cat "$out" >&2; bench_die "wrk failed on $url"; }
}
