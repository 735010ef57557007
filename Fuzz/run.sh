#!/usr/bin/env bash
# Builds the libFuzzer targets and runs each of them in turn.
#
#   bash Fuzz/run.sh [seconds]        every target for `seconds` each (default 20)
#   FUZZ_RUNS=10000000 bash Fuzz/run.sh
#                                     every target for that many executions instead
#                                     (FUZZ_MAX_SECONDS=1500 caps each target's time as well)
#
# Environment:
#   FUZZ_TARGETS="FuzzHost FuzzSafeURL"  only these targets
#   FUZZ_BUILD_JOBS=1                    `swift build -j` (default: SwiftPM's, one per core)
#   FUZZ_OUT=dir                         where corpora, logs and crash inputs go (default: a temp dir)
#   FUZZ_CHECK=0                         skip check_corpus.py (html5lib and ada-url) after fuzzing
#   FUZZ_JOBS=2                          run each target in that many processes at once on one corpus
#                                        (each takes FUZZ_RUNS / FUZZ_JOBS executions and picks up the
#                                        others' new inputs, libFuzzer's -reload; the summary adds up
#                                        their executions)
#   FUZZ_TIMEOUT=10                      seconds one input may take before it counts as a hang
#                                        (wall clock: raise it for runs at the lowest priority beside
#                                        other work, where a starved process can pass 10 s on one input)
#   RAMPART_FUZZ_KNOWN_ISSUES=fail       fail on the known, unfixed bugs too (see README.md)
#
# Exits non-zero if any target crashes, violates a property, leaks, times out on an input, or
# if check_corpus.py finds a disagreement with a reference implementation. The checked-in seed
# corpora are copied, so fuzzing never writes into the tree.
set -euo pipefail

FUZZ_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SECONDS_PER_TARGET="${1:-20}"
ALL_TARGETS=(
    FuzzCookieHeader FuzzSignedSealedCookie FuzzCSRFTokens FuzzCSPAudit FuzzForwarded FuzzHost
    FuzzURLEncodedForm FuzzTemplateContext FuzzSafeURL FuzzUploadSniff FuzzMultipart FuzzJSONLimits
    FuzzHTMLEscape FuzzKeyRing FuzzLeafTemplate
)
read -r -a TARGETS <<< "${FUZZ_TARGETS:-${ALL_TARGETS[*]}}"

OUT="${FUZZ_OUT:-$(mktemp -d -t rampart-fuzz.XXXXXX)}"
mkdir -p "$OUT"
echo "fuzz: outputs in $OUT"

# Same dependency versions as the main package (SwiftPM writes Package.resolved here otherwise).
if [ ! -f "$FUZZ_DIR/Package.resolved" ] && [ -f "$FUZZ_DIR/../Package.resolved" ]; then
    cp "$FUZZ_DIR/../Package.resolved" "$FUZZ_DIR/Package.resolved"
fi

build_flags=(-c release -Xswiftc -sanitize=fuzzer,address --package-path "$FUZZ_DIR" --scratch-path "$FUZZ_DIR/.build")
if [ -n "${FUZZ_BUILD_JOBS:-}" ]; then build_flags+=(-j "$FUZZ_BUILD_JOBS"); fi
build_start=$(date +%s)
# One product at a time: a plain `swift build` would also build executables of the dependencies
# (Hummingbird's PerformanceTest), which cannot link with -sanitize=fuzzer.
for target in "${TARGETS[@]}"; do
    swift build "${build_flags[@]}" --product "$target"
done
BIN="$(swift build "${build_flags[@]}" --show-bin-path)"
echo "fuzz: build took $(( $(date +%s) - build_start )) s"

JOBS="${FUZZ_JOBS:-1}"
if ! [[ "$JOBS" =~ ^[1-9][0-9]*$ ]]; then echo "fuzz: FUZZ_JOBS must be a positive integer, not '$JOBS'" >&2; exit 2; fi
if [ -n "${FUZZ_RUNS:-}" ]; then
    limit=(-runs="$(( (FUZZ_RUNS + JOBS - 1) / JOBS ))")
    # A cap for targets too slow to reach FUZZ_RUNS in reasonable time.
    if [ -n "${FUZZ_MAX_SECONDS:-}" ]; then limit+=(-max_total_time="$FUZZ_MAX_SECONDS"); fi
else
    limit=(-max_total_time="$SECONDS_PER_TARGET")
fi

# The longest input libFuzzer makes, per target: long enough for every limit the target checks
# (the 1024-byte polyglot window, the 1024-byte JSON limit, multipart sizes, the 768-byte SIMD
# batches of HTML.escape), short enough to keep the rate up (each execution scans the input
# several times).
max_len() {
    case "$1" in
        FuzzCSRFTokens) echo 256 ;;
        FuzzSignedSealedCookie | FuzzSafeURL | FuzzKeyRing) echo 512 ;;
        FuzzCookieHeader | FuzzCSPAudit | FuzzForwarded | FuzzHost | FuzzURLEncodedForm) echo 1024 ;;
        FuzzTemplateContext | FuzzLeafTemplate | FuzzUploadSniff | FuzzJSONLimits | FuzzHTMLEscape) echo 2048 ;;
        *) echo 4096 ;;
    esac
}

export SWIFT_BACKTRACE=enable=no   # Swift's crash handler would add a false ASan report
# No allocation stack traces and a small quarantine: about a third less CPU per execution. Leaks
# and memory errors are still caught; to see where a leaked block was allocated, replay its input
# with ASAN_OPTIONS=malloc_context_size=30.
export ASAN_OPTIONS="${ASAN_OPTIONS:-malloc_context_size=0:quarantine_size_mb=32}"
failed=()
summary=()
for target in "${TARGETS[@]}"; do
    corpus="$OUT/corpus/$target"
    mkdir -p "$corpus" "$OUT/artifacts"
    cp -R "$FUZZ_DIR/corpus/$target/." "$corpus/" 2>/dev/null || true
    cat "$FUZZ_DIR/dict/common.dict" "$FUZZ_DIR/dict/$target.dict" > "$OUT/$target.dict"
    log="$OUT/$target.log"
    echo "fuzz: $target"
    start=$(date +%s%N)
    status=0
    pids=()
    for job in $(seq 1 "$JOBS"); do
        job_log="$log"
        [ "$JOBS" -gt 1 ] && job_log="$OUT/$target.job$job.log"
        "$BIN/$target" "${limit[@]}" -max_len="$(max_len "$target")" -timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb=2560 -print_final_stats=1 \
            -dict="$OUT/$target.dict" -artifact_prefix="$OUT/artifacts/$target-" "$corpus" > "$job_log" 2>&1 &
        pids+=($!)
    done
    # The first job to fail stops the others (its input is what matters).
    # `wait -n -p` names the job that ended, which leaves the list (bash warns of a reaped one).
    running=("${pids[@]}")
    while [ ${#running[@]} -gt 0 ]; do
        job_status=0
        ended=""
        wait -n -p ended "${running[@]}" || job_status=$?
        [ -n "$ended" ] || break
        left=()
        for pid in "${running[@]}"; do [ "$pid" = "$ended" ] || left+=("$pid"); done
        running=("${left[@]}")
        if [ "$job_status" -ne 0 ] && [ "$status" -eq 0 ]; then
            status=$job_status
            kill "${running[@]}" 2>/dev/null || true
        fi
    done
    # One log per target: the jobs' logs one after another.
    if [ "$JOBS" -gt 1 ]; then
        for job in $(seq 1 "$JOBS"); do echo "==== job $job of $JOBS"; cat "$OUT/$target.job$job.log"; done > "$log"
    fi
    elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | awk '{ total += $1 } END { print total + 0 }')
    rate=$(( runs * 1000 / (elapsed_ms > 0 ? elapsed_ms : 1) ))
    elapsed="$(( elapsed_ms / 1000 )).$(( elapsed_ms % 1000 / 100 ))"
    files=$(find "$corpus" -type f | wc -l)
    known=$(sed -n 's/^INFO: known issue \([a-z0-9-]*\) hit.*/\1/p' "$log" | sort -u | tr '\n' ' ')
    verdict=OK
    if [ "$status" -ne 0 ] || grep -qE '^==[0-9]+==ERROR|PROPERTY VIOLATED|ERROR: libFuzzer' "$log"; then
        verdict="FAILED (exit $status)"
        failed+=("$target")
        grep -E -A12 'PROPERTY VIOLATED|==ERROR|ERROR: libFuzzer' "$log" | head -n 40 || true
        ls "$OUT/artifacts/$target-"* 2>/dev/null || true
    fi
    line=$(printf '%-24s %12s execs %8s s %9s exec/s  corpus %5s  %s%s' "$target" "$runs" "$elapsed" "$rate" "$files" "$verdict" "${known:+  known issues: $known}")
    echo "$line"
    summary+=("$line")
done

check_status=0
if [ "${FUZZ_CHECK:-1}" != 0 ]; then
    echo "fuzz: check_corpus.py (html5lib, ada-url) on the corpora"
    python3 "$FUZZ_DIR/check_corpus.py" --bin "$BIN" --corpus "$OUT/corpus" --out "$OUT" || check_status=$?
fi

echo
echo "fuzz summary ($( [ -n "${FUZZ_RUNS:-}" ] && echo "$FUZZ_RUNS runs" || echo "$SECONDS_PER_TARGET s" ) per target$( [ "$JOBS" -gt 1 ] && echo " in $JOBS processes" ), commit $(git -C "$FUZZ_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)):"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: FAILED: ${failed[*]} (inputs and logs in $OUT)"
    exit 1
fi
if [ "$check_status" -ne 0 ]; then
    echo "fuzz: FAILED: check_corpus.py found disagreements (see $OUT/check_corpus.txt)"
    exit 1
fi
echo "fuzz: all targets passed"
