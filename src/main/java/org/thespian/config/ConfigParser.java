package org.thespian.config;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;

/**
 * Parses CONFIG_JSON (see docs/config.md) into a {@link Config}, checking everything up front so that a mistake is
 * reported once at start-up, with its JSON path, rather than when a request reaches it.
 */
public final class ConfigParser {

    private static final List<String> TOP_LEVEL_KEYS = Stream.concat(
            Stream.of("$schema", "service_name", "resources"), Arrays.stream(Method.values()).map(Method::configKey))
            .toList();
    private static final List<String> FUNCTION_KEYS =
            List.of("tracing_name", "operations", "resource", "attributes", "rate_limit");
    private static final List<String> FUNCTION_REQUIRED = List.of("tracing_name", "operations");
    private static final List<String> SLEEP_KEYS = List.of("tracing_name", "duration_ms", "latency", "failure_chance",
            "failure_codes", "failure_message", "fail_at", "attributes");
    private static final List<String> CPU_KEYS = List.of("tracing_name", "duration_ms", "latency", "attributes");
    private static final List<String> MEMORY_KEYS = List.of("tracing_name", "megabytes", "hold_ms", "attributes");
    private static final List<String> MEMORY_REQUIRED = List.of("tracing_name", "megabytes", "hold_ms");
    private static final List<String> CALL_KEYS = List.of("service_address", "service_port", "grpc_method",
            "tracing_name", "timeout_ms", "retries", "probability", "repeat", "wait", "attributes", "circuit_breaker",
            "hedge");
    private static final List<String> CALL_REQUIRED = List.of("service_address", "service_port", "grpc_method");
    private static final List<String> RESOURCE_KEYS = List.of("max_concurrent", "queue");
    private static final List<String> RATE_LIMIT_KEYS = List.of("per_second", "burst");
    private static final List<String> METHOD_NAMES = Arrays.stream(Method.values()).map(Method::name).toList();

    /** The kinds of operation, named as the config writes them. */
    private enum OperationKind { Action, ConcurrentActions }

    /** The kinds of action, named as the config writes them, in the order messages list them. */
    private enum ActionKind { Sleep, CallService, Function, Cpu, Memory }

    private final Map<String, Resource> resources;
    /** The first circuit breaker given for each peer and method, and where: an instance has one for each. */
    private final Map<List<Object>, Map.Entry<CallPolicy.CircuitBreaker, String>> breakers = new HashMap<>();

    private ConfigParser(Map<String, Resource> resources) {
        this.resources = resources;
    }

    /** Parses a whole document; {@code //} comment lines are allowed, as in the original's .jsonc files. */
    public static Config parse(String json) throws ConfigException {
        return config(JsonDocument.read(json));
    }

    private static Config config(JsonValue root) throws ConfigException {
        if (!root.node().isObject()) {
            throw root.expected("a JSON object at the top level");
        }
        root.checkObject(TOP_LEVEL_KEYS, List.of());
        root.get("$schema").optionalNonBlankString();
        Optional<String> serviceName = root.get("service_name").optionalNonBlankString();
        JsonValue resourcesValue = root.get("resources");
        Map<String, Resource> resources = resourcesValue.isAbsent() ? Map.of() : resources(resourcesValue);
        ConfigParser parser = new ConfigParser(resources);
        Map<Method, Function> methods = new EnumMap<>(Method.class);
        for (Method method : Method.values()) {
            JsonValue function = root.get(method.configKey());
            if (!function.isAbsent()) {
                methods.put(method, parser.function(function));
            }
        }
        return new Config(serviceName, methods, resources);
    }

    private static Map<String, Resource> resources(JsonValue value) throws ConfigException {
        Map<String, Resource> resources = new LinkedHashMap<>();
        for (Map.Entry<String, JsonValue> entry : value.entries(resource -> resource).entrySet()) {
            JsonValue resource = entry.getValue();
            resource.checkObject(RESOURCE_KEYS, List.of("max_concurrent"));
            JsonValue queue = resource.get("queue");
            resources.put(entry.getKey(), new Resource(entry.getKey(),
                    resource.get("max_concurrent").wholeNumber(1, Integer.MAX_VALUE),
                    queue.isAbsent() ? 0 : queue.wholeNumber(0, Integer.MAX_VALUE)));
        }
        return resources;
    }

    private Function function(JsonValue value) throws ConfigException {
        value.checkObject(FUNCTION_KEYS, FUNCTION_REQUIRED);
        return new Function(
                value.get("tracing_name").nonBlankString(),
                value.get("operations").elements(this::operation),
                resource(value.get("resource")),
                attributes(value),
                rateLimit(value.get("rate_limit")));
    }

    /** A bucket of {@code burst} calls (default: one second's worth) refilled at {@code per_second}. */
    private static Optional<RateLimit> rateLimit(JsonValue limit) throws ConfigException {
        if (limit.isAbsent()) {
            return Optional.empty();
        }
        limit.checkObject(RATE_LIMIT_KEYS, List.of("per_second"));
        double perSecond = limit.get("per_second").positiveNumber();
        JsonValue burst = limit.get("burst");
        return Optional.of(new RateLimit(perSecond, burst.isAbsent()
                ? (int) Math.min(Integer.MAX_VALUE, Math.ceil(perSecond)) : burst.wholeNumber(1, Integer.MAX_VALUE),
                limit.path()));
    }

    private Optional<Resource> resource(JsonValue name) throws ConfigException {
        if (name.isAbsent()) {
            return Optional.empty();
        }
        String resource = name.nonBlankString();
        if (!resources.containsKey(resource)) {
            throw name.error("unknown resource " + JsonValue.quote(resource) + " (the top-level \"resources\" "
                    + (resources.isEmpty() ? "define none)" : "define " + String.join(", ", resources.keySet()) + ")"));
        }
        return Optional.of(resources.get(resource));
    }

    private Operation operation(JsonValue value) throws ConfigException {
        Map.Entry<OperationKind, JsonValue> operation = value.variant("operation", OperationKind.class);
        JsonValue body = operation.getValue();
        return switch (operation.getKey()) {
            case Action -> new Operation.Single(action(body));
            case ConcurrentActions -> new Operation.Concurrent(body.elements(this::action));
        };
    }

    private Action action(JsonValue value) throws ConfigException {
        Map.Entry<ActionKind, JsonValue> action = value.variant("action", ActionKind.class);
        JsonValue body = action.getValue();
        return switch (action.getKey()) {
            case Sleep -> sleep(body);
            case CallService -> callService(body);
            case Function -> function(body);
            case Cpu -> cpu(body);
            case Memory -> memory(body);
        };
    }

    private static Action.Sleep sleep(JsonValue value) throws ConfigException {
        value.checkObject(SLEEP_KEYS, List.of("tracing_name"));
        return new Action.Sleep(
                value.get("tracing_name").nonBlankString(),
                latency(value),
                FailureParser.failure(value),
                attributes(value));
    }

    private static Action.Cpu cpu(JsonValue value) throws ConfigException {
        value.checkObject(CPU_KEYS, List.of("tracing_name"));
        return new Action.Cpu(value.get("tracing_name").nonBlankString(), latency(value), attributes(value));
    }

    private static Action.Memory memory(JsonValue value) throws ConfigException {
        value.checkObject(MEMORY_KEYS, MEMORY_REQUIRED);
        JsonValue hold = value.get("hold_ms");
        boolean forever = hold.node().isTextual() && hold.node().asText().equals("forever");
        if (!forever && !hold.node().isIntegralNumber()) {
            throw hold.expected("a whole number of milliseconds or \"forever\"");
        }
        return new Action.Memory(
                value.get("tracing_name").nonBlankString(),
                value.get("megabytes").wholeNumber(1, Integer.MAX_VALUE),
                forever ? OptionalLong.empty() : OptionalLong.of(hold.nonNegativeLong()),
                attributes(value));
    }

    /** {@code duration_ms} (a fixed time) or {@code latency} (a distribution): exactly one of the two. */
    private static Latency latency(JsonValue action) throws ConfigException {
        JsonValue duration = action.get("duration_ms");
        JsonValue latency = action.get("latency");
        boolean hasDuration = action.node().has("duration_ms");
        if (hasDuration && !latency.isAbsent()) {
            throw action.error("expected either \"duration_ms\" or \"latency\", not both");
        }
        if (!hasDuration && latency.isAbsent()) {
            throw action.error("missing required key \"duration_ms\" (or \"latency\")");
        }
        return hasDuration ? new Latency.Fixed(duration.nonNegativeLong()) : LatencyParser.parse(latency);
    }

    private Action.CallService callService(JsonValue value) throws ConfigException {
        value.checkObject(CALL_KEYS, CALL_REQUIRED);
        Peer peer = PeerAddress.peer(value.get("service_address"), value.get("service_port"));
        Method method = Method.valueOf(value.get("grpc_method").oneOf(METHOD_NAMES));
        String tracingName = value.get("tracing_name").optionalNonBlankString()
                .orElse("call " + method.name() + " on " + peer.host() + ":" + peer.port());
        CallPolicy policy = CallPolicyParser.policy(value);
        if (policy.circuitBreaker().isPresent()) {
            checkOneBreaker(peer, method, policy.circuitBreaker().get(), value.get("circuit_breaker"));
        }
        return new Action.CallService(tracingName, peer, method, policy, attributes(value));
    }

    /** Calls to one peer's method share one breaker, so every call that gives one must give the same. */
    private void checkOneBreaker(Peer peer, Method method, CallPolicy.CircuitBreaker breaker, JsonValue where)
            throws ConfigException {
        Map.Entry<CallPolicy.CircuitBreaker, String> first =
                breakers.putIfAbsent(List.of(peer, method), Map.entry(breaker, where.path()));
        if (first != null && !first.getKey().equals(breaker)) {
            throw where.error("differs from " + first.getValue() + ", a breaker of the same peer and method ("
                    + peer.display() + " " + method.name() + "): an instance keeps one breaker per peer and method,"
                    + " so give them the same settings");
        }
    }

    /** {@code "attributes": {"db.system": "postgresql"}}: strings, numbers or booleans, kept as written. */
    private static Map<String, String> attributes(JsonValue action) throws ConfigException {
        JsonValue attributes = action.get("attributes");
        return attributes.isAbsent() ? Map.of() : attributes.entries(JsonValue::scalarText);
    }
}
