package org.thespian.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.thespian.proto.Nothing;
import org.thespian.testsupport.LokiReceiver;
import org.thespian.testsupport.OtlpReceiver;
import org.thespian.testsupport.ReceivedLogLine;
import org.thespian.testsupport.ReceivedMetric;
import org.thespian.testsupport.ReceivedSpan;
import org.thespian.testsupport.ThespianProcess;

/**
 * Three jar processes (frontend → checkout → inventory) export to a real OTLP receiver and a real Loki push
 * endpoint; one request must come out as one trace whose tree is exactly what the configs say.
 */
class TracesAcrossInstancesIT {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final Nothing NOTHING = Nothing.getDefaultInstance();

    private static OtlpReceiver otlp;
    private static LokiReceiver loki;
    private static ThespianProcess inventory;
    private static ThespianProcess checkout;
    private static ThespianProcess frontend;

    @BeforeAll
    static void startCast() throws Exception {
        otlp = OtlpReceiver.start();
        loki = LokiReceiver.start();
        // Each after the one it calls serves: a Thespian connects to its peers as it starts, and a channel that found
        // its peer not listening yet answers calls at once with that error until its next try, a second or more later.
        inventory = ThespianProcess.start(env("inventory", """
                {"grpc_method_a": {"tracing_name": "lookup", "operations": [
                   {"Action": {"Sleep": {"tracing_name": "read stock", "duration_ms": 20}}}]},
                 "grpc_method_b": {"tracing_name": "reserve", "operations": [
                   {"Action": {"Sleep": {"tracing_name": "lock row", "duration_ms": 5, "failure_chance": 1.0}}}]}}"""));
        checkout = ThespianProcess.start(env("checkout", """
                {"grpc_method_a": {"tracing_name": "checkout", "operations": [
                   {"ConcurrentActions": [
                     {"Sleep": {"tracing_name": "validate", "duration_ms": 150}},
                     {"CallService": {"tracing_name": "ask inventory", "service_address": "http://127.0.0.1",
                                      "service_port": "%1$d", "grpc_method": "A"}},
                     {"Function": {"tracing_name": "pricing", "operations": [
                        {"Action": {"Sleep": {"tracing_name": "compute", "duration_ms": 120}}}]}}]}]},
                 "grpc_method_b": {"tracing_name": "place order", "operations": [
                   {"Action": {"CallService": {"tracing_name": "reserve stock", "service_address": "127.0.0.1",
                                               "service_port": "%1$d", "grpc_method": "B"}}}]}}"""
                .formatted(inventory.port())));
        frontend = ThespianProcess.start(env("frontend", """
                {"grpc_method_a": {"tracing_name": "page", "operations": [
                   {"Action": {"CallService": {"tracing_name": "call checkout", "service_address": "127.0.0.1",
                                               "service_port": "%1$d", "grpc_method": "A"}}}]},
                 "grpc_method_b": {"tracing_name": "buy", "operations": [
                   {"Action": {"CallService": {"tracing_name": "call checkout", "service_address": "127.0.0.1",
                                               "service_port": "%1$d", "grpc_method": "B"}}}]}}"""
                .formatted(checkout.port())));
    }

    private static Map<String, String> env(String serviceName, String config) {
        return Map.of("SERVICE_NAME", serviceName, "CONFIG_JSON", config,
                "OTEL_BACKEND_ADDRESS", otlp.grpcEndpoint(),
                "OTEL_METRIC_EXPORT_INTERVAL", "500",
                "LOKI_ADDRESS", loki.address().toString());
    }

    @AfterAll
    static void stopCast() throws Exception {
        for (ThespianProcess process : new ThespianProcess[] {frontend, checkout, inventory}) {
            if (process != null) {
                process.close();
            }
        }
        if (otlp != null) {
            otlp.close();
        }
        if (loki != null) {
            loki.close();
        }
    }

    @Test
    void oneRequestIsOneTraceShapedLikeTheConfigs() {
        frontend.blockingStub().a(NOTHING);
        List<ReceivedSpan> trace = awaitTrace("thespian.Thespian/A", 12);

        ReceivedSpan frontendServer = only(trace, "frontend", "thespian.Thespian/A");
        assertEquals("", frontendServer.parentSpanId(), "a call without context starts a new trace");
        assertEquals("SERVER", frontendServer.kind());
        assertEquals(Map.of("rpc.system", "grpc", "rpc.service", "thespian.Thespian", "rpc.method", "A",
                "rpc.grpc.status_code", 0L), subset(frontendServer.attributes(),
                "rpc.system", "rpc.service", "rpc.method", "rpc.grpc.status_code"));
        ReceivedSpan page = childOf(trace, frontendServer, "page", "INTERNAL");
        ReceivedSpan callCheckout = childOf(trace, page, "call checkout", "CLIENT");

        ReceivedSpan checkoutServer = childOf(trace, callCheckout, "thespian.Thespian/A", "SERVER");
        assertEquals("checkout", checkoutServer.serviceName());
        ReceivedSpan checkoutFunction = childOf(trace, checkoutServer, "checkout", "INTERNAL");
        ReceivedSpan validate = childOf(trace, checkoutFunction, "validate", "INTERNAL");
        ReceivedSpan askInventory = childOf(trace, checkoutFunction, "ask inventory", "CLIENT");
        ReceivedSpan pricing = childOf(trace, checkoutFunction, "pricing", "INTERNAL");
        childOf(trace, pricing, "compute", "INTERNAL");
        assertEquals("Sleep", validate.attributes().get("thespian.action"));
        assertEquals(150L, validate.attributes().get("thespian.duration_ms"));

        ReceivedSpan inventoryServer = childOf(trace, askInventory, "thespian.Thespian/A", "SERVER");
        assertEquals("inventory", inventoryServer.serviceName());
        ReceivedSpan lookup = childOf(trace, inventoryServer, "lookup", "INTERNAL");
        childOf(trace, lookup, "read stock", "INTERNAL");

        // Concurrent actions are siblings that overlap in time (sleeps long enough that a loaded machine
        // starting the peer call late still overlaps them).
        long latestStart = Math.max(validate.startEpochNanos(), Math.max(askInventory.startEpochNanos(), pricing.startEpochNanos()));
        long earliestEnd = Math.min(validate.endEpochNanos(), Math.min(askInventory.endEpochNanos(), pricing.endEpochNanos()));
        assertTrue(latestStart < earliestEnd, "the concurrent group's spans do not overlap");
        assertTrue(trace.stream().allMatch(span -> span.statusCode().equals("UNSET")), "no span should be an error");
    }

    @Test
    void aFailureIsRecordedWhereItHappensAndMarksEveryParent() {
        assertThrows(StatusRuntimeException.class, () -> frontend.blockingStub().b(NOTHING));
        List<ReceivedSpan> trace = awaitTrace("thespian.Thespian/B", 9);

        List<ReceivedSpan> withException = trace.stream()
                .filter(span -> span.events().stream().anyMatch(event -> event.name().equals("exception")))
                .toList();
        assertEquals(1, withException.size(), "exception events: " + withException);
        ReceivedSpan origin = withException.get(0);
        assertEquals("lock row", origin.name());
        assertEquals("inventory", origin.serviceName());
        assertEquals("ERROR", origin.statusCode());
        assertEquals(1.0, origin.attributes().get("thespian.failure_chance"));
        assertTrue(origin.attributes().get("thespian.roll") instanceof Double, origin.toString());
        String message = (String) origin.events().get(0).attributes().get("exception.message");
        assertTrue(message.startsWith("failed by chance (failure_chance 1.0, rolled 0."), message);

        for (ReceivedSpan span : ancestors(trace, origin)) {
            assertEquals("ERROR", span.statusCode(), "parent span " + span.name() + " of " + span.serviceName());
        }
        assertEquals(9, ancestors(trace, origin).size() + 1, "the failure should mark all 9 spans of the trace");

        // One ERROR log line for the whole trace, from where the failure happened, carrying the trace id.
        String traceId = origin.traceId();
        List<ReceivedLogLine> lines = loki.awaitLines(received -> linesOf(received, traceId, "WARN").size() >= 3, WAIT);
        List<ReceivedLogLine> errors = linesOf(lines, traceId, "ERROR");
        assertEquals(1, errors.size(), "error lines: " + errors);
        assertEquals("inventory", errors.get(0).streamLabels().get("service_name"));
        assertTrue(errors.get(0).line().contains("\"trace_id\":\"" + traceId + "\""), errors.get(0).line());

        // The failure's path is written once, on the request line of the instance the client called: it alone
        // knows the whole path, and the instances below it answer only with the code.
        List<ReceivedLogLine> withPath = lines.stream()
                .filter(line -> traceId.equals(line.structuredMetadata().get("trace_id")))
                .filter(line -> line.line().contains("reserve > lock row"))
                .toList();
        assertEquals(1, withPath.size(), "lines with the failure's path: " + withPath);
        assertEquals("frontend", withPath.get(0).streamLabels().get("service_name"));
        assertTrue(withPath.get(0).line().contains("buy > call checkout: "), withPath.get(0).line());
    }

    @Test
    void lokiReceivesTheRequestLogLinesOfEveryInstanceWithTheTraceId() {
        frontend.blockingStub().a(NOTHING);
        String traceId = awaitTrace("thespian.Thespian/A", 12).get(0).traceId();
        List<ReceivedLogLine> lines = loki.awaitLines(received -> linesOf(received, traceId, "INFO").size() >= 3, WAIT);
        List<String> services = linesOf(lines, traceId, "INFO").stream()
                .map(line -> line.streamLabels().get("service_name")).distinct().sorted().toList();
        assertEquals(List.of("checkout", "frontend", "inventory"), services);
    }

    @Test
    void metricsReportRequestDurationsAndFailuresByAction() {
        frontend.blockingStub().a(NOTHING);
        assertThrows(StatusRuntimeException.class, () -> frontend.blockingStub().b(NOTHING));
        List<ReceivedMetric> metrics = otlp.awaitMetrics(received ->
                ReceivedMetric.latest(received, "frontend", "rpc.server.duration")
                        .flatMap(metric -> metric.pointWith(Map.of("rpc.method", "B", "rpc.grpc.status_code", 13L)))
                        .isPresent()
                && ReceivedMetric.latest(received, "inventory", "thespian.action.failures")
                        .flatMap(metric -> metric.pointWith(Map.of("thespian.action.name", "lock row")))
                        .isPresent(), WAIT);
        Optional<ReceivedMetric.Point> okCalls = ReceivedMetric.latest(metrics, "frontend", "rpc.server.duration")
                .flatMap(metric -> metric.pointWith(Map.of("rpc.method", "A", "rpc.grpc.status_code", 0L)));
        assertTrue(okCalls.isPresent() && okCalls.get().count() >= 1, "no duration recorded for A: " + metrics);
    }

    private static List<ReceivedLogLine> linesOf(List<ReceivedLogLine> lines, String traceId, String level) {
        return lines.stream()
                .filter(line -> traceId.equals(line.structuredMetadata().get("trace_id")))
                .filter(line -> level.equals(line.streamLabels().get("level")))
                .toList();
    }

    /** The newest trace whose frontend SERVER span is {@code method}, once it has all its spans. */
    private static List<ReceivedSpan> awaitTrace(String method, int spanCount) {
        Predicate<ReceivedSpan> root = span -> span.serviceName().equals("frontend") && span.name().equals(method)
                && span.parentSpanId().isEmpty();
        List<ReceivedSpan> spans = otlp.awaitSpans(received -> received.stream().filter(root)
                .anyMatch(r -> ReceivedSpan.inTrace(received, r.traceId()).size() >= spanCount), WAIT);
        String traceId = spans.stream().filter(root)
                .filter(r -> ReceivedSpan.inTrace(spans, r.traceId()).size() >= spanCount)
                .reduce((first, second) -> second).orElseThrow().traceId();
        List<ReceivedSpan> trace = ReceivedSpan.inTrace(spans, traceId);
        assertEquals(spanCount, trace.size(), "spans of trace " + traceId + ": " + trace);
        return trace;
    }

    private static ReceivedSpan only(List<ReceivedSpan> trace, String service, String name) {
        List<ReceivedSpan> matches = trace.stream()
                .filter(span -> span.serviceName().equals(service) && span.name().equals(name)).toList();
        assertEquals(1, matches.size(), service + "/" + name + " in " + trace);
        return matches.get(0);
    }

    private static ReceivedSpan childOf(List<ReceivedSpan> trace, ReceivedSpan parent, String name, String kind) {
        List<ReceivedSpan> matches = ReceivedSpan.childrenOf(trace, parent).stream()
                .filter(span -> span.name().equals(name)).toList();
        assertEquals(1, matches.size(), "children named " + name + " of " + parent.name() + ": " + matches);
        assertEquals(kind, matches.get(0).kind(), name);
        return matches.get(0);
    }

    private static List<ReceivedSpan> ancestors(List<ReceivedSpan> trace, ReceivedSpan span) {
        return trace.stream().filter(candidate -> candidate.spanId().equals(span.parentSpanId())).findFirst()
                .map(parent -> {
                    List<ReceivedSpan> above = new java.util.ArrayList<>(List.of(parent));
                    above.addAll(ancestors(trace, parent));
                    return above;
                }).orElse(List.of());
    }

    private static Map<String, Object> subset(Map<String, Object> attributes, String... keys) {
        Map<String, Object> subset = new java.util.HashMap<>();
        for (String key : keys) {
            subset.put(key, attributes.get(key));
        }
        return subset;
    }
}
