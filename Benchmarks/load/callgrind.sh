#!/usr/bin/env bash
# Instruction counts per operation for the per-request pieces, with valgrind's callgrind: the
# same binary and input give the same count run after run, whatever else the machine does.
# Each piece runs N times in `RampartBenchmarks count`; the count of a run that does nothing
# (process start-up) is subtracted, and the rest divided by N.
#   ./load/callgrind.sh            (N=10000)
# Needs valgrind (apt-get install valgrind). Debian's valgrind 3.19 cannot read Swift 6.3's
# debug info, so a copy of the binary is stripped with `strip -g` first.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${N:-10000}"
command -v valgrind >/dev/null || { echo "install valgrind (apt-get install valgrind)"; exit 1; }
swift build -c release --product RampartBenchmarks ${SCRATCH:+--scratch-path "$SCRATCH"} >/dev/null
BIN="$(swift build -c release ${SCRATCH:+--scratch-path "$SCRATCH"} --show-bin-path)/RampartBenchmarks"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cp "$BIN" "$WORK/bench"
strip -g "$WORK/bench"

count() {
    valgrind --tool=callgrind --callgrind-out-file="$WORK/out" "$WORK/bench" count "$1" "$2" 2>&1 \
        | awk '/Collected/ {print $NF}'
}

base=$(count nothing "$N")
printf '%-22s %12s\n' piece "instr/op"
for piece in hmac-keyed aes-open-aad-array signed-verify signed-sign sealed-open nonce csp-splice static-append apply apply-lazy-unused apply-lazy-used \
             session-id mask masked-verify derive-and-verify one-time-issue; do
    total=$(count "$piece" "$N")
    awk -v p="$piece" -v t="$total" -v b="$base" -v n="$N" 'BEGIN { printf "%-22s %12.0f\n", p, (t - b) / n }'
done
