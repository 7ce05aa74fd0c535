# Shared by bench/run.sh and bench/soak.sh (sourced): a scratch directory in $WORK removed on exit, every
# background job of the sourcing shell (the processes it started) stopped on exit, failure or Ctrl-C, no
# inherited settings that would change what is measured, and small helpers.

WORK=$(mktemp -d)

# Every background job of this shell is a process started here.
cleanup() {
    local deadline=$((SECONDS + 5)) # to exit cleanly, then KILL
    kill $(jobs -pr) 2>/dev/null || true
    while [[ -n $(jobs -pr) ]] && ((SECONDS < deadline)); do
        sleep 0.1
    done
    kill -9 $(jobs -pr) 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Inherited telemetry settings would change what is measured.
for name in $(compgen -e | grep -E '^(OTEL_|THESPIAN_|LOKI_ADDRESS$|CONFIG_|PORT$|SERVICE_NAME$)' || true); do
    unset "$name"
done

fail() {
    echo "$(basename "$0"): $*" >&2
    exit 1
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
