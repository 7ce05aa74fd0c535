# Thespian: from clone to a trace in Grafana. `just` alone lists these recipes.
# Needs: JDK 17 + Maven (build, local processes), Docker with Compose v2 (stack, images),
# grpcurl or buf (ping, load). Install both from npm if your system has neither: `npm i -g rust-just @bufbuild/buf`.

set shell := ["bash", "-euo", "pipefail", "-c"]

jar := "target/thespian.jar"
image := "thespian:local"
stack := "instrumentation/docker-compose.yaml"
demo := "instrumentation/demo-compose.yaml"
network := "thespian"

# Where plain processes send telemetry: the stack's published ports. Nothing needs to listen there.
otel_backend := env_var_or_default("OTEL_BACKEND_ADDRESS", "http://localhost:4317")
loki := env_var_or_default("LOKI_ADDRESS", "http://localhost:3100")

# List the recipes.
default:
    @{{quote(just_executable())}} --justfile {{quote(justfile())}} --list --unsorted

# Build the shaded jar target/thespian.jar (no tests).
build:
    mvn -B -q package -DskipTests

# Build the jar and run every test.
test:
    mvn -B verify

# Build the container image thespian:local from the Dockerfile.
image:
    docker build -t {{image}} .

# Start Grafana (http://localhost:3000), Tempo, Loki, Prometheus and the OpenTelemetry Collector.
instrumentation-up:
    docker compose -f {{stack}} up -d

# Stop the stack; its data stays in Docker volumes (add `-v` by hand to drop them).
instrumentation-down:
    docker compose -f {{stack}} down

alias up := instrumentation-up
alias down := instrumentation-down

# Run a server thespian as a plain process on PORT (run `just build` first).
server port="6380" name="thespian-server":
    PORT={{port}} SERVICE_NAME={{name}} CONFIG_FILE=instrumentation/local/server.json \
      OTEL_BACKEND_ADDRESS={{otel_backend}} LOKI_ADDRESS={{loki}} \
      exec java -jar {{jar}}

# Run a client thespian as a plain process on PORT; its method A calls method B on localhost:SERVER_PORT.
client port="6379" server_port="6380" name="thespian-client":
    PORT={{port}} SERVICE_NAME={{name}} CONFIG_JSON="$({{quote(just_executable())}} -f {{quote(justfile())}} _client-config http://localhost {{server_port}})" \
      OTEL_BACKEND_ADDRESS={{otel_backend}} LOKI_ADDRESS={{loki}} \
      exec java -jar {{jar}}

# Run the server thespian as a container on the stack's network, published on PORT (needs `just image`).
server-container port="6380" name="thespian-server":
    docker run -d --rm --name {{name}} --network {{network}} -p {{port}}:6379 \
      -e SERVICE_NAME={{name}} -e CONFIG_FILE=/etc/thespian/config.json \
      -e OTEL_BACKEND_ADDRESS=http://otel-collector:4317 -e LOKI_ADDRESS=http://loki:3100 \
      -v "$PWD/instrumentation/local/server.json:/etc/thespian/config.json:ro" \
      {{image}}

# Run the client thespian as a container, published on PORT; method A calls the container SERVER.
client-container port="6379" server="thespian-server" name="thespian-client":
    docker run -d --rm --name {{name}} --network {{network}} -p {{port}}:6379 \
      -e SERVICE_NAME={{name}} -e CONFIG_JSON="$({{quote(just_executable())}} -f {{quote(justfile())}} _client-config http://{{server}} 6379)" \
      -e OTEL_BACKEND_ADDRESS=http://otel-collector:4317 -e LOKI_ADDRESS=http://loki:3100 \
      {{image}}

# Stop the containers started by server-container and client-container.
containers-down server="thespian-server" client="thespian-client":
    docker rm -f {{client}} {{server}}

# Start the stack plus the shop cast (instrumentation/demo-compose.yaml, from example-configs/shop.cast.yaml); frontend on :6379.
demo-up:
    docker compose -f {{demo}} up -d --build

# Stop the demo cast and the stack it includes.
demo-down:
    docker compose -f {{demo}} down

# Call a method on a thespian, discovering it through server reflection (grpcurl, or `buf curl` without it).
ping port="6379" method="A": (_call port method "" "1")

# Call a method on a thespian without reflection, from proto/thespian.proto.
ping-proto port="6379" method="A": (_call port method "proto/thespian.proto" "1")

# Call a method COUNT times to give the dashboards some traffic; fails when no call succeeds.
load count="200" port="6379" method="A": (_call port method "proto/thespian.proto" count)

# Send one log record over OTLP/HTTP to the collector, which passes it on to Loki (the second log path).
otlp-log message="hello from OTLP" service="otlp-demo":
    curl -sS --fail-with-body http://localhost:4318/v1/logs -H 'Content-Type: application/json' -d '{"resourceLogs": [{ \
      "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "{{service}}"}}]}, \
      "scopeLogs": [{"logRecords": [{"timeUnixNano": "'"$(date +%s)"'000000000", "severityText": "ERROR", \
        "body": {"stringValue": "{{message}}"}}]}]}]}'

# Remove build output.
clean:
    mvn -B -q clean

# Call thespian.Thespian/METHOD on localhost:PORT COUNT times, with grpcurl or else `buf curl`; SCHEMA is a
# proto file, or "" to use server reflection. One call shows the answer and exits as the client did; more
# calls print a tally and fail only when none succeeded (failures by chance are part of the traffic).
[private]
_call port method schema count:
    #!/usr/bin/env bash
    set -uo pipefail
    schema={{quote(schema)}}
    count={{quote(count)}}
    if ! [[ $count =~ ^[1-9][0-9]*$ ]]; then
      echo "COUNT must be a whole number of at least 1, got \"$count\"" >&2
      exit 2
    fi
    if command -v grpcurl >/dev/null 2>&1; then
      call=(grpcurl -plaintext)
      [[ -z $schema ]] || call+=(-proto "$schema")
      call+=(localhost:{{port}} thespian.Thespian/{{method}})
    elif command -v buf >/dev/null 2>&1; then
      call=(buf curl --protocol grpc --http2-prior-knowledge)
      [[ -z $schema ]] || call+=(--schema "$schema")
      call+=(http://localhost:{{port}}/thespian.Thespian/{{method}})
    else
      echo "calling a thespian needs grpcurl or buf on the PATH: npm i -g @bufbuild/buf" >&2
      exit 127
    fi
    if (( count == 1 )); then
      exec "${call[@]}"
    fi
    ok=0
    for _ in $(seq "$count"); do
      if "${call[@]}" >/dev/null 2>&1; then ok=$((ok + 1)); fi
    done
    echo "$count calls of thespian.Thespian/{{method}} on localhost:{{port}}: $ok OK, $((count - ok)) failed"
    if (( ok == 0 )); then
      echo "no call succeeded: is a thespian listening on localhost:{{port}}? (\`just ping {{port}} {{method}}\` shows why)" >&2
      exit 1
    fi

# The client's CONFIG_JSON: instrumentation/local/client.json aimed at ADDRESS:PORT.
[private]
_client-config address port:
    @sed -e 's|@SERVER_ADDRESS@|{{address}}|' -e 's|@SERVER_PORT@|{{port}}|' instrumentation/local/client.json
