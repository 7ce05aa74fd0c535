#!/usr/bin/env bash
# What a command costs a fresh JVM, before and after a change: each command line runs ROUNDS times (default 10)
# with the two jars alternating, and the medians of wall time and of CPU time (user + sys, from /usr/bin/time) are
# printed per jar. CPU time is the steadier figure on a busy machine. healthcheck asks 127.0.0.1:$PORT.
#
#   bash bench/cli-startup.sh BEFORE_JAR AFTER_JAR '--help' '--version' 'healthcheck'
#
# JAVA_OPTS adds JVM flags to every run (e.g. the Dockerfile's healthcheck flags).
set -euo pipefail
BEFORE=${1:?before jar}
AFTER=${2:?after jar}
shift 2
ROUNDS=${ROUNDS:-10}
read -r -a OPTS <<< "${JAVA_OPTS:-}"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for args in "$@"; do
  read -r -a ARGS <<< "$args"
  : > "$TMP/before"; : > "$TMP/after"
  for _ in $(seq "$ROUNDS"); do
    for which in before after; do
      jar=$BEFORE; [[ $which == after ]] && jar=$AFTER
      /usr/bin/time -f "%e %U %S" -o "$TMP/one" java "${OPTS[@]}" -jar "$jar" "${ARGS[@]}" >/dev/null 2>&1 || true
      tail -1 "$TMP/one" | awk '{printf "%d %d\n", $1 * 1000, ($2 + $3) * 1000}' >> "$TMP/$which"
    done
  done
  for which in before after; do
    echo "[$args] $which: wall $(cut -d' ' -f1 "$TMP/$which" | median) ms," \
      "cpu $(cut -d' ' -f2 "$TMP/$which" | median) ms (medians of $ROUNDS)"
  done
done
