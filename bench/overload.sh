#!/usr/bin/env bash
# Overload: the three-member chain bench/overload.cast.yaml in one JVM, driven past its capacity. Not in CI; the
# latest result is in docs/benchmarks.md ("Overload").
#
#  1. Capacity: a fresh cast, warmed by a closed loop at 64 in flight for WARMUP_S (20), then CAPACITY_S (10)
#     measured: C, its OK calls a second (a call the cast refuses is not capacity).
#  2. Overload: an open loop at OVERLOAD (2) x C for 15 s, 1 s timeouts, a report each second. Goal: OK calls
#     over the 15 s at least 80% of C.
#  3. Recovery: at once, an open loop at RECOVERY_SHARE (0.5) x C for 5 s, a report each second. Goal: every
#     call OK from the second second on (served 100% again within 1 s).
#  4. Cold: a fresh cast driven at COLD_SHARE (0.8) x C from its first second for COLD_S (30) s, a report each
#     second. Goal: OK calls never below 50% of the calls due in any second.
#  5. Floor: a fresh load tool at OVERLOAD x C for 15 s, as in 2, against a Thespian with nothing configured (it
#     answers at once and never sheds), warmed like the cast: what the tool itself, on these cores, can show as OK.
#
# THESPIAN_OVERLOAD_LAG_MS is passed on to the cast (0 turns the adaptive limit off, to compare); JAR picks the build.
# PIN=1 gives the cast and the load tool a CPU each (taskset: the cast CPU 1, the tool CPU 0, every phase, C
# included), so that at 2 x C the tool's extra work does not come out of the cast's CPU: the ratio then measures
# Thespian, not the tool's competition. The cast's JVM then sees one CPU (its GC and thread counts follow).
# To compare two builds, run the script for each in turn with the same CAPACITY (calls/s): the rates then derive
# from it rather than from each run's own measurement (which is still made and printed, as the warm-up). The load tool shares the machine's cores with the cast: each
# phase prints the cores the cast, the tool and everything else used, so that what the tool took at 2 x C is seen.
# Every process is started here on a free port and stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
LAG=${THESPIAN_OVERLOAD_LAG_MS:-}
source bench/common.sh

JAR=${JAR:-target/thespian.jar}
JAVA=${JAVA:-java}
WARMUP_S=${WARMUP_S:-20}
CAPACITY_S=${CAPACITY_S:-10}
OVERLOAD=${OVERLOAD:-2}
RECOVERY_SHARE=${RECOVERY_SHARE:-0.5}
COLD_SHARE=${COLD_SHARE:-0.8}
COLD_S=${COLD_S:-30}
MEMBERS=(front middle back)
CAST_ON=() TOOL_ON=()
if [[ ${PIN:-0} == 1 ]]; then
    command -v taskset >/dev/null || fail "PIN=1 needs taskset (Debian package util-linux)"
    (($(nproc) >= 2)) || fail "PIN=1 needs two CPUs, this machine has $(nproc)"
    CAST_ON=(taskset -c 1) TOOL_ON=(taskset -c 0)
fi
[[ -f $JAR ]] || fail "build the jar first: mvn -B -q package -DskipTests"
command -v python3 >/dev/null || fail "python3 is needed for free ports and the reports"
[[ -x /usr/bin/time ]] || fail "/usr/bin/time is needed for the load tool's CPU (Debian package time)"

start_cast() {
    rm -rf "$WORK/overload"
    cp -r bench/overload "$WORK/overload"
    cp bench/overload.cast.yaml "$WORK/overload.cast.yaml"
    local member port
    for member in "${MEMBERS[@]}"; do
        port=$(free_port)
        sed -i "/- name: $member\$/{n;s/port: [0-9]*/port: $port/}" "$WORK/overload.cast.yaml"
        [[ $member == front ]] && TARGET=127.0.0.1:$port
    done
    # The log level is the process's, not a member's: WARN keeps the request lines of the OK calls out of the way.
    env ${LAG:+THESPIAN_OVERLOAD_LAG_MS=$LAG} THESPIAN_LOG_LEVEL=WARN "${CAST_ON[@]}" "$JAVA" -jar "$JAR" cast \
        "$WORK/overload.cast.yaml" \
        >"$WORK/cast.stdout" 2>"$WORK/cast.stderr" &
    CAST=$!
    await_cast
}

# A Thespian with nothing configured, which answers every call at once and never sheds: the floor.
start_bare() {
    TARGET=127.0.0.1:$(free_port)
    env PORT="${TARGET#*:}" THESPIAN_OVERLOAD_LAG_MS=0 THESPIAN_LOG_LEVEL=WARN "${CAST_ON[@]}" "$JAVA" -jar "$JAR" \
        >"$WORK/cast.stdout" 2>"$WORK/cast.stderr" &
    CAST=$!
    await_cast
}

await_cast() {
    for _ in $(seq 150); do
        kill -0 "$CAST" 2>/dev/null || fail "the cast exited: $(cat "$WORK/cast.stderr")"
        PORT=${TARGET#*:} "$JAVA" -jar "$JAR" healthcheck >/dev/null 2>&1 && return
        sleep 0.2
    done
    fail "the cast never became healthy"
}

# The CPU ticks (user and system) process $1 has used, and those of every core of the machine.
process_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
machine_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8}' /proc/stat; }

# Runs the load tool against the cast with the flags given, its JSON report into $WORK/$1.json, and prints the
# cores the cast, the tool (start-up included) and everything else used meanwhile.
drive() {
    local name=$1 start cast0 machine0 elapsed cast1 machine1
    shift
    start=$(date +%s%N) cast0=$(process_ticks "$CAST") machine0=$(machine_ticks)
    /usr/bin/time -f '%U %S' -o "$WORK/$name.time" "${TOOL_ON[@]}" "$JAVA" -jar "$JAR" load --target "$TARGET" "$@" --json \
        >"$WORK/$name.json"
    elapsed=$(($(date +%s%N) - start)) cast1=$(process_ticks "$CAST") machine1=$(machine_ticks)
    read -r user system <"$WORK/$name.time"
    python3 -c "
hz, s = $(getconf CLK_TCK), $elapsed / 1e9
cast, tool, machine = ($cast1 - $cast0) / hz / s, ($user + $system) / s, ($machine1 - $machine0) / hz / s
print(f'  cores used: cast {cast:.2f}, load tool {tool:.2f}, everything else {max(0, machine - cast - tool):.2f}')"
}

stop_cast() {
    kill "$CAST" 2>/dev/null || true
    wait "$CAST" 2>/dev/null || true
}

# Each second's report of a run, as "second ok due codes" lines, then "total ok calls elapsed_s".
seconds() {
    python3 -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    codes = ",".join(f"{k}={v}" for k, v in sorted(r["status_codes"].items())) or "-"
    due = r["calls"] + r.get("not_sent", 0)
    if "interval" in r:
        print(r["interval"], r["ok"], due, codes)
    else:
        print("total", r["ok"], due, r["elapsed_s"], codes)
'
}

echo "overload: bench/overload.cast.yaml in one JVM, THESPIAN_OVERLOAD_LAG_MS=${LAG:-default}, PIN=${PIN:-0}," \
    "$(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
start_cast
drive capacity --concurrency 64 --warmup "${WARMUP_S}s" --duration "${CAPACITY_S}s" >"$WORK/capacity.cpu"
read -r capacity codes < <(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print(round(r["ok"] / r["elapsed_s"]), ",".join(f"{k}={v}" for k, v in sorted(r["status_codes"].items())))
' "$WORK/capacity.json")
echo "capacity (closed loop, 64 in flight): $capacity OK calls/s ($codes)"
cat "$WORK/capacity.cpu"
if [[ -n ${CAPACITY:-} ]]; then
    capacity=$CAPACITY
    echo "capacity: $capacity calls/s as given (CAPACITY)"
fi

rate=$(python3 -c "print(round($OVERLOAD * $capacity))")
echo "overload: $rate calls/s for 15 s, 1 s timeouts; per second: ok of due (status codes)"
drive overload --rate "$rate/s" --duration 15s --timeout 1s --report-every 1s >"$WORK/overload.cpu"
seconds <"$WORK/overload.json" >"$WORK/overload.txt"
awk '$1 != "total" { printf "  %2s: %6d of %6d  %s\n", $1, $2, $3, $4 }' "$WORK/overload.txt"
cat "$WORK/overload.cpu"
read -r _ ok _ elapsed _ < <(grep '^total' "$WORK/overload.txt")
echo "overload goodput: $(python3 -c "print(f'{$ok / 15 / $capacity:.2f}')") of capacity ($ok OK in 15 s; goal >= 0.80)"

recovery=$(python3 -c "print(round($RECOVERY_SHARE * $capacity))")
echo "recovery: $recovery calls/s for 5 s right after; per second: ok of due"
drive recovery --rate "$recovery/s" --duration 5s --timeout 1s --report-every 1s >"$WORK/recovery.cpu"
seconds <"$WORK/recovery.json" >"$WORK/recovery.txt"
awk '$1 != "total" { printf "  %2s: %6d of %6d  %s\n", $1, $2, $3, $4 }' "$WORK/recovery.txt"
cat "$WORK/recovery.cpu"
stop_cast

cold=$(python3 -c "print(round($COLD_SHARE * $capacity))")
echo "cold: a fresh cast at $cold calls/s from its first second for ${COLD_S} s; per second: ok of due"
start_cast
drive cold --rate "$cold/s" --duration "${COLD_S}s" --timeout 1s --report-every 1s >"$WORK/cold.cpu"
seconds <"$WORK/cold.json" >"$WORK/cold.txt"
awk '$1 != "total" { printf "  %2s: %6d of %6d  %s\n", $1, $2, $3, $4 }' "$WORK/cold.txt"
cat "$WORK/cold.cpu"
echo "cold: the worst second $(awk '$1 != "total" && $3 > 0 { s = $2 / $3; if (min == "" || s < min) min = s }
    END { printf "%.2f", min }' "$WORK/cold.txt") of its calls OK (goal >= 0.50)"
stop_cast

echo "floor: the load tool at $rate calls/s for 15 s against a warmed Thespian with nothing configured; per second:" \
    "ok of due"
start_bare
"${TOOL_ON[@]}" "$JAVA" -jar "$JAR" load --target "$TARGET" --concurrency 64 --duration "${WARMUP_S}s" >/dev/null
drive floor --rate "$rate/s" --duration 15s --timeout 1s --report-every 1s >"$WORK/floor.cpu"
seconds <"$WORK/floor.json" >"$WORK/floor.txt"
awk '$1 != "total" { printf "  %2s: %6d of %6d  %s\n", $1, $2, $3, $4 }' "$WORK/floor.txt"
cat "$WORK/floor.cpu"
read -r _ ok _ < <(grep '^total' "$WORK/floor.txt")
echo "floor: $(python3 -c "print(f'{$ok / 15 / $capacity:.2f}')") of capacity OK ($ok in 15 s)"
stop_cast
