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
#   - rapid reset: a connection resetting streams as fast as it can gets GOAWAY (HostileConnectionsTest);
#   - 300 streams that send headers but never their message on one connection (THESPIAN_MAX_IN_FLIGHT=128), and
#     15,000 against the default limit: the connection gets its share, others are served, the held calls are
#     cancelled after 10 s (HeldStreamsHostile);
#   - 1,100 connections that send the preface and SETTINGS, then nothing, against 1,024 descriptors: a new
#     client's health check and call are answered during the hold (ConnectionFloodHostile);
#   - a 1 MB config and 700 GetConfig calls on one connection that never reads: the jar stays up (AdminFloodHostile).
# Prints a Markdown summary on stdout (for docs/benchmarks.md); exits non-zero when a case fails.
# Needs prlimit (util-linux). About 5 minutes on 2 cores: the cases run one after another, in one test JVM.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v prlimit >/dev/null || { echo "hostile.sh: prlimit (util-linux) is needed" >&2; exit 1; }
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT

echo "Thespian hostile suite, $(date -u '+%Y-%m-%d %H:%M UTC')" >&2
status=0
# The *Hostile classes run in the test phase and start target/thespian.jar: build it from this tree first.
# What the cases print goes to surefire's output files (redirectTestOutputToFile); old ones are removed first.
mvn -B -o -q package -DskipTests >"$LOG" 2>&1 || { cat "$LOG" >&2; exit 1; }
rm -rf target/surefire-reports
mvn -B -o verify -Dthespian.test.forks=1 -Dtest='PrefaceFloodHostile,OutOfMemoryHostile,HostileConnectionsTest,HeldStreamsHostile,ConnectionFloodHostile,AdminFloodHostile' \
    -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false >"$LOG" 2>&1 || status=$?

echo "| case | result |"
echo "|---|---|"
grep -h -E '^(1100 preface-only|1100 connections with|300 streams|15,000 streams|700 GetConfig|20,000 concurrent|20 requests of|30 requests of|exited with|still serving)' \
    "$LOG" target/surefire-reports/*-output.txt 2>/dev/null | sed 's/^/| /; s/$/ |/; s/: /| /' || true
grep -E 'Tests run: [0-9]+, Failures: [0-9]+, Errors: [0-9]+, Skipped: [0-9]+, Time elapsed' "$LOG" \
    | sed -E 's/.*Tests run: ([0-9]+), Failures: ([0-9]+), Errors: ([0-9]+).* -- in org\.thespian\.[a-z]+\.(.*)/| \4 | \1 tests, \2 failures, \3 errors |/'
echo
echo "Machine: $(nproc) CPUs, $(java -version 2>&1 | sed -n 1p), load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
if ((status != 0)); then
    echo "hostile.sh: a case failed; the Maven log follows" >&2
    cat "$LOG" >&2
fi
exit $status
