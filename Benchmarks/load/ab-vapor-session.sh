#!/usr/bin/env bash
# A/B of the Vapor session middleware: bare Vapor, the stack built before a change (OLD) and after
# (NEW), interleaved in each round; ratios within the round. OLD and NEW are two builds of
# RampartVaporLoadServer (swift build -c release --package-path Adapters/RampartVapor).
OLD=${OLD:?path to the old RampartVaporLoadServer}; NEW=${NEW:?path to the new one}
ROUNDS=${ROUNDS:-5}; D=${D:-5}
rm -rf /tmp/ab-old /tmp/ab-new; mkdir -p /tmp/ab-old /tmp/ab-new
"$NEW" --mode bare --port 18301 >/dev/null 2>&1 & P1=$!
"$OLD" --mode stack --port 18302 --data-dir /tmp/ab-old >/dev/null 2>&1 & P2=$!
"$NEW" --mode stack --port 18303 --data-dir /tmp/ab-new >/dev/null 2>&1 & P3=$!
sleep 2
cookie() { curl -s -i http://127.0.0.1:$1/ | grep -i '^set-cookie: __Host-session=' | sed 's/^[Ss]et-[Cc]ookie: //; s/;.*//' | tr -d '\r'; }
C2=$(cookie 18302); C3=$(cookie 18303)
run() { wrk -t1 -c32 -d${D}s ${2:+-H "Cookie: $2"} http://127.0.0.1:$1/ | awk '/Requests\/sec/ {print $2}'; }
for r in $(seq $ROUNDS); do
  b=$(run 18301); o=$(run 18302 "$C2"); n=$(run 18303 "$C3")
  python3 -c "b,o,n=$b,$o,$n; print(f'round $r: bare {b:.0f} old-stack {o:.0f} new-stack {n:.0f}  old/bare {o/b:.3f} new/bare {n/b:.3f} new/old {n/o:.3f}')"
done
kill $P1 $P2 $P3
