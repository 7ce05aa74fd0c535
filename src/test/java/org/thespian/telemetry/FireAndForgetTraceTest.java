package org.thespian.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.thespian.proto.Nothing;
import org.thespian.testsupport.InProcessThespian;
import org.thespian.testsupport.OtlpReceiver;
import org.thespian.testsupport.ReceivedSpan;

/**
 * {@code "wait": false} end to end, between two instances exporting to a real OTLP receiver: the caller answers
 * without waiting for the callee, and the callee's work is a trace of its own whose SERVER span links back to the
 * caller's CLIENT span, as in an outbox → bus → consumer hop.
 */
class FireAndForgetTraceTest {

    private static final long CONSUMER_SLEEP_MS = 2_500; // far above a fresh in-process caller's first call on a busy machine

    @Test
    void theCallerAnswersAtOnceAndTheCalleesTraceLinksToTheCallersClientSpan() throws Exception {
        try (OtlpReceiver otlp = OtlpReceiver.start();
                InProcessThespian consumer = InProcessThespian.start(Map.of("SERVICE_NAME", "consumer",
                        "OTEL_BACKEND_ADDRESS", otlp.grpcEndpoint(), "CONFIG_JSON", """
                        {"grpc_method_a": {"tracing_name": "consume", "operations": [
                            {"Action": {"Sleep": {"tracing_name": "handle event", "duration_ms": %d}}}]}}"""
                                .formatted(CONSUMER_SLEEP_MS)));
                InProcessThespian producer = InProcessThespian.start(Map.of("SERVICE_NAME", "producer",
                        "OTEL_BACKEND_ADDRESS", otlp.grpcEndpoint(), "CONFIG_JSON", """
                        {"grpc_method_a": {"tracing_name": "produce", "operations": [
                            {"Action": {"CallService": {"tracing_name": "publish", "service_address": "127.0.0.1",
                                "service_port": %d, "grpc_method": "A", "wait": false}}}]}}"""
                                .formatted(consumer.port())))) {
            long started = System.nanoTime();
            producer.blockingStub().a(Nothing.getDefaultInstance());
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            assertTrue(took.toMillis() < CONSUMER_SLEEP_MS - 500, "the caller waited for the callee: " + took);

            // producer: SERVER, produce, publish, publish [CLIENT]; consumer: SERVER, consume, handle event
            List<ReceivedSpan> spans = otlp.awaitSpans(received -> received.size() >= 7, Duration.ofSeconds(20));

            ReceivedSpan client = only(spans, "publish", "CLIENT", "producer");
            assertEquals(1L, client.attributes().get("thespian.attempt"), client.toString());
            ReceivedSpan callerServer = only(spans, "thespian.Thespian/A", "SERVER", "producer");
            assertTrue(callerServer.isRoot(), callerServer.toString());
            assertEquals(callerServer.traceId(), client.traceId());

            ReceivedSpan calleeServer = only(spans, "thespian.Thespian/A", "SERVER", "consumer");
            assertTrue(calleeServer.isRoot(), "the callee's SERVER span has a parent: " + calleeServer);
            assertNotEquals(client.traceId(), calleeServer.traceId(), "the callee joined the caller's trace");
            assertEquals(List.of(new ReceivedSpan.Link(client.traceId(), client.spanId())), calleeServer.links(),
                    calleeServer.toString());

            ReceivedSpan consume = only(spans, "consume", "INTERNAL", "consumer");
            ReceivedSpan handle = only(spans, "handle event", "INTERNAL", "consumer");
            assertEquals(List.of(consume), ReceivedSpan.childrenOf(spans, calleeServer));
            assertEquals(List.of(handle), ReceivedSpan.childrenOf(spans, consume));
            assertTrue(handle.endEpochNanos() - handle.startEpochNanos() >= CONSUMER_SLEEP_MS * 1_000_000,
                    handle.toString());
            assertTrue(ReceivedSpan.inTrace(spans, client.traceId()).stream()
                    .noneMatch(span -> span.serviceName().equals("consumer")), "callee spans in the caller's trace");
        }
    }

    private static ReceivedSpan only(List<ReceivedSpan> spans, String name, String kind, String service) {
        List<ReceivedSpan> matching = ReceivedSpan.byName(spans, name).stream()
                .filter(span -> span.kind().equals(kind) && span.serviceName().equals(service)).toList();
        assertEquals(1, matching.size(), name + " " + kind + " of " + service + " in " + spans);
        return matching.get(0);
    }
}
