#!/usr/bin/env python3
"""Arithmetic for compare.sh: parses wrk output and summarizes the rounds. Standard library only.

    summarize.py parse WRK_OUTPUT_FILE      -> "REQ_PER_S<TAB>P99_MS<TAB>NON_2XX_3XX<TAB>SOCKET_ERRORS"
    summarize.py round RESULTS.tsv ROUND    -> the round's one-line summary
    summarize.py summary RESULTS.tsv        -> the table; exit 0, 1 (a goal failed) or 2 (bad responses)

RESULTS.tsv has one line per wrk run: round, target, req/s, p99 (ms), non-2xx/3xx count, socket
errors. Ratios are taken within each round, then the median over the rounds (the mean of the two
middle values for an even count) is shown with the range; a goal is judged on the median.
"""
import re
import statistics
import sys

TARGETS = [
    ("bare", "bare"),
    ("static_set", "static floor"),
    ("headers", "headers"),
    ("stack", "stack"),
    ("board", "board"),
    ("board_cookie", "board+cookie"),
    ("flask", "flask"),
    ("flask_cookie", "flask+cookie"),
    ("vapor_bare", "vapor bare"),
    ("vapor_static_set", "vapor static"),
    ("vapor_headers", "vapor headers"),
    ("vapor_stack", "vapor stack"),
]
LABELS = dict(TARGETS)

# Context, not goals: what merely sending the header set costs (the same fields prepared once
# and appended, no per-request work), and Rampart's per-request work on top of that floor.
CONTEXT = [
    ("static floor / bare (req/s)", "static_set", "bare", "rps"),
    ("headers / static floor (req/s)", "headers", "static_set", "rps"),
    ("stack / static floor (req/s)", "stack", "static_set", "rps"),
    ("vapor bare / bare (req/s)", "vapor_bare", "bare", "rps"),
    ("vapor static floor / vapor bare (req/s)", "vapor_static_set", "vapor_bare", "rps"),
    ("vapor headers / vapor static (req/s)", "vapor_headers", "vapor_static_set", "rps"),
    ("vapor stack / vapor static (req/s)", "vapor_stack", "vapor_static_set", "rps"),
]

# (label, numerator, denominator, metric, comparison, goal)
RATIOS = [
    ("headers / bare (req/s)", "headers", "bare", "rps", ">=", 0.95),
    ("stack / bare (req/s)", "stack", "bare", "rps", ">=", 0.80),
    ("board / flask, no cookie (req/s)", "board", "flask", "rps", ">=", 10.0),
    ("board / flask, cookie (req/s)", "board_cookie", "flask_cookie", "rps", ">=", 8.0),
    ("board / flask, no cookie (p99)", "board", "flask", "p99", "<=", 0.2),
    ("board / flask, cookie (p99)", "board_cookie", "flask_cookie", "p99", "<=", 0.2),
    ("vapor headers / vapor bare (req/s)", "vapor_headers", "vapor_bare", "rps", ">=", 0.95),
    ("vapor stack / vapor bare (req/s)", "vapor_stack", "vapor_bare", "rps", ">=", 0.80),
]
# Goals on targets a run left out (VAPOR=0) are skipped, not failed.
OPTIONAL = {"vapor_bare", "vapor_static_set", "vapor_headers", "vapor_stack"}

UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def parse(path):
    text = open(path, encoding="utf-8", errors="replace").read()
    rps = re.search(r"^Requests/sec:\s*([0-9.]+)", text, re.M)
    p99 = re.search(r"^\s*99(?:\.0+)?%\s+([0-9.]+)(us|ms|s|m|h)\s*$", text, re.M)
    if not rps or not p99:
        raise SystemExit(f"summarize.py: cannot read req/s and the 99% latency from {path}:\n{text}")
    non2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", text)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    errors = sum(int(n) for n in socket.groups()) if socket else 0
    print(f"{float(rps.group(1)):.2f}\t{float(p99.group(1)) * UNITS_MS[p99.group(2)]:.3f}\t"
          f"{int(non2xx.group(1)) if non2xx else 0}\t{errors}")


def load(path):
    rounds = {}
    for line in open(path, encoding="utf-8"):
        if not line.strip():
            continue
        number, target, rps, p99, non2xx, errors = line.rstrip("\n").split("\t")
        rounds.setdefault(int(number), {})[target] = {
            "rps": float(rps), "p99": float(p99), "non2xx": int(non2xx), "errors": int(errors)}
    return rounds


def round_line(path, number):
    runs = load(path)[int(number)]
    cells = [f"{label} {runs[key]['rps']:,.0f}" for key, label in TARGETS if key in runs]
    print(f"round {number}: " + " | ".join(cells) + " req/s")


def spread(values):
    return statistics.median(values), min(values), max(values)


def fmt(value):
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.3f}"


def summary(path):
    rounds = load(path)
    numbers = sorted(rounds)
    print(f"\nSummary over {len(numbers)} rounds: median (min–max); ratios are taken within each round.\n")
    print(f"{'target':<14} {'req/s':>10} {'(range)':<22} {'p99 ms':>9} {'(range)':<20}")
    for key, label in TARGETS:
        runs = [rounds[n][key] for n in numbers if key in rounds[n]]
        if not runs:
            continue
        rps = spread([r["rps"] for r in runs])
        p99 = spread([r["p99"] for r in runs])
        print(f"{label:<14} {fmt(rps[0]):>10} {'(' + fmt(rps[1]) + '–' + fmt(rps[2]) + ')':<22} "
              f"{fmt(p99[0]):>9} {'(' + fmt(p99[1]) + '–' + fmt(p99[2]) + ')':<20}")

    print(f"\n{'ratio':<34} {'median':>8} {'(range)':<18} {'goal':<8} result")
    failed = 0
    judged = 0
    for label, top, bottom, metric, comparison, goal in RATIOS:
        if top in OPTIONAL and not any(top in rounds[n] for n in numbers):
            continue
        judged += 1
        values = [rounds[n][top][metric] / rounds[n][bottom][metric]
                  for n in numbers if top in rounds[n] and bottom in rounds[n] and rounds[n][bottom][metric] > 0]
        if not values:
            print(f"{label:<34} {'—':>8} {'':<18} {'≥' if comparison == '>=' else '≤'} {goal:<6g} MISSING")
            failed += 1
            continue
        median, low, high = spread(values)
        ok = median >= goal if comparison == ">=" else median <= goal
        failed += not ok
        symbol = "≥" if comparison == ">=" else "≤"
        print(f"{label:<34} {median:>8.3f} {'(' + f'{low:.3f}–{high:.3f}' + ')':<18} {symbol} {goal:<6g} {'PASS' if ok else 'FAIL'}")

    print(f"\n{'context (no goal)':<34} {'median':>8} {'(range)':<18}")
    for label, top, bottom, metric in CONTEXT:
        values = [rounds[n][top][metric] / rounds[n][bottom][metric]
                  for n in numbers if top in rounds[n] and bottom in rounds[n] and rounds[n][bottom][metric] > 0]
        if values:
            median, low, high = spread(values)
            print(f"{label:<34} {median:>8.3f} {'(' + f'{low:.3f}–{high:.3f}' + ')':<18}")

    bad = [(n, key, rounds[n][key]) for n in numbers for key, _ in TARGETS
           if key in rounds[n] and rounds[n][key]["non2xx"] > 0]
    errors = [(n, key, rounds[n][key]) for n in numbers for key, _ in TARGETS
              if key in rounds[n] and rounds[n][key]["errors"] > 0]
    for n, key, run in errors:
        print(f"note: round {n} {LABELS[key]}: {run['errors']} socket errors (connect/read/write/timeout)")
    if bad:
        print("\n" + "!" * 78)
        for n, key, run in bad:
            print(f"!!! round {n} {LABELS[key]}: {run['non2xx']} responses were not 2xx/3xx")
        print("!!! These runs measured error pages: the figures above are WORTHLESS.")
        print("!" * 78)
        return 2
    print(f"\n{judged - failed} of {judged} goals met.")
    return 1 if failed else 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "parse":
        parse(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "round":
        round_line(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == "summary":
        sys.exit(summary(sys.argv[2]))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
