#!/usr/bin/env bash
# The slow part of Thespian's red-team suite: what a hostile or careless client does to a running
# jar, each case against a fresh process on a free port. The fast cases run in `mvn verify`
# (HostileConnectionsTest, AdmissionTest, ShutdownIT, StartupContractIT, SettingsTest); these take minutes:
#   - 1,100 preface-only connections against a 1,024-descriptor limit (prlimit): all closed by the server,
#     which then serves again (PrefaceFloodHostile);
#   - -Xmx64m with 20,000 concurrent 1 s sleeps, and 20 requests of a 100 x 1,000 fan-out: afterwards the
#     jar serves, or it has exited non-zero with one line; never alive and deaf (OutOfMemoryHostile);
#   - -Xmx256m with 30 requests of a 10,000-wide concurrent repeat toward a 3 s peer: the caller refuses what is
#     past THESPIAN_MAX_ACTIONS_IN_FLIGHT and keeps serving (OutOfMemoryHostile);
#   - rapid reset: a connection resetting streams as fast as it can gets GOAWAY (HostileConnectionsTest).
# Prints a Markdown summary on stdout (for docs/benchmarks.md); exits non-zero when a case fails.
# Needs prlimit (util-linux). About 4 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v prlimit >/dev/null || { echo "hostile.sh: prlimit (util-linux) is needed" >&2; exit 1; }
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT

echo "Thespian hostile suite, $(date -u '+%Y-%m-%d %H:%M UTC')" >&2
status=0
mvn -B -o verify -Dtest='PrefaceFloodHostile,OutOfMemoryHostile,HostileConnectionsTest' \
    -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false >"$LOG" 2>&1 || status=$?

echo "| case | result |"
echo "|---|---|"
grep -E '^(1100 preface-only|20,000 concurrent|20 requests of|30 requests of|exited with|still serving)' "$LOG" | sed 's/^/| /; s/$/ |/; s/: /| /' || true
grep -E 'Tests run: [0-9]+, Failures: [0-9]+, Errors: [0-9]+, Skipped: [0-9]+, Time elapsed' "$LOG" \
    | sed -E 's/.*Tests run: ([0-9]+), Failures: ([0-9]+), Errors: ([0-9]+).* -- in org\.thespian\.[a-z]+\.(.*)/| \4 | \1 tests, \2 failures, \3 errors |/'
echo
echo "Machine: $(nproc) CPUs, $(java -version 2>&1 | sed -n 1p), load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
if ((status != 0)); then
    echo "hostile.sh: a case failed; the Maven log follows" >&2
    cat "$LOG" >&2
fi
exit $status
