#!/usr/bin/env bash
# Live view soak: the shop cast (example-configs/shop.cast.yaml, on free ports) in one JVM with its live view on,
# the page open in headless Chromium the whole time (bench/live-view-page.mjs), and the load tool at RATE (1000)
# calls/s for MINUTES (10), reporting every 30 s. Prints the cast's RSS at each report. Goal: the last report's
# RSS within 10% of the one at 2 minutes (the trace store is bounded: THESPIAN_UI_TRACES, 64 MB), and no console
# error on the page. Not in CI; the latest result is in docs/benchmarks.md ("Live view soak"). Needs chromium and
# `npm ci --prefix .ci/npm`, as .ci/run installs them.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh

JAR=target/thespian.jar
JAVA=${JAVA:-java}
RATE=${RATE:-1000}
MINUTES=${MINUTES:-10}
[[ -f $JAR ]] || fail "build the jar first: mvn -B -q package -DskipTests"
command -v node >/dev/null || fail "node is needed for the page"

cp -r example-configs/shop "$WORK/shop"
cp example-configs/shop.cast.yaml "$WORK/shop.cast.yaml"
for member in frontend catalog checkout payment inventory; do
    port=$(free_port)
    sed -i "/- name: $member\$/{n;s/port: [0-9]*/port: $port/}" "$WORK/shop.cast.yaml"
    [[ $member == frontend ]] && FRONT=$port
done
"$JAVA" -jar "$JAR" cast "$WORK/shop.cast.yaml" --ui 127.0.0.1:0 >"$WORK/cast.stdout" 2>"$WORK/cast.stderr" &
CAST=$!
for _ in $(seq 150); do
    kill -0 "$CAST" 2>/dev/null || fail "the cast exited: $(cat "$WORK/cast.stderr")"
    grep -q '^live view: ' "$WORK/cast.stdout" && break
    sleep 0.2
done
URL=$(sed -n 's/^live view: //p' "$WORK/cast.stdout")
[[ -n $URL ]] || fail "no live view URL in: $(cat "$WORK/cast.stdout")"
rss_mb() { awk '/^VmRSS:/ { printf "%d", $2 / 1024 }' "/proc/$CAST/status"; }

echo "live view soak: shop cast at $RATE calls/s for $MINUTES min, page open at $URL," \
    "$(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
node bench/live-view-page.mjs "$URL" $((MINUTES * 60 + 20)) >"$WORK/page.json" 2>"$WORK/page.err" &
PAGE=$!
echo "| minute | calls | ok | RSS MB |"
echo "|---|---|---|---|"
"$JAVA" -jar "$JAR" load --target "127.0.0.1:$FRONT" --rate "$RATE/s" --duration "${MINUTES}m" --timeout 2s \
    --report-every 30s --json | while read -r line; do
    python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print("| %s | %d | %d | %s |" % (
        "%.1f" % (r["interval"] * 0.5) if "interval" in r else "total", r["calls"], r["ok"], sys.argv[2]))' \
        "$line" "$(rss_mb)"
done
wait "$PAGE" || fail "the page: $(cat "$WORK/page.err")"
echo "page: $(cat "$WORK/page.json")"
