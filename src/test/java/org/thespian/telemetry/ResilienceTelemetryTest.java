package org.thespian.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.URI;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.thespian.config.ConfigParser;
import org.thespian.engine.Dice;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;
import org.thespian.server.Instrumentation;
import org.thespian.server.ThespianServer;
import org.thespian.testsupport.OtlpReceiver;
import org.thespian.testsupport.ReceivedMetric;
import org.thespian.testsupport.ReceivedSpan;

/**
 * What a breaker, a hedge and a rate limit look like from outside, through a real OTLP receiver: span attributes
 * ({@code thespian.circuit.state}, {@code thespian.hedge}, {@code thespian.rate_limit}), the gauge
 * {@code thespian.circuit.state} per peer, and one log line per change of a breaker's state, in the call's trace.
 */
class ResilienceTelemetryTest {

    private static final String PEER = """
            {"grpc_method_b": {"tracing_name": "down", "operations": [
               {"Action": {"Sleep": {"tracing_name": "fail", "duration_ms": 0, "failure_chance": 1,
                   "failure_codes": {"UNAVAILABLE": 1}}}}]},
             "grpc_method_c": {"tracing_name": "slow", "operations": [
               {"Action": {"Sleep": {"tracing_name": "crawl", "duration_ms": 300}}}]}}""";
    private static final String CALLER = """
            {"grpc_method_a": {"tracing_name": "guarded", "operations": [
               {"Action": {"CallService": {"tracing_name": "call down", "service_address": "127.0.0.1",
                   "service_port": %1$d, "grpc_method": "B",
                   "circuit_breaker": {"min_calls": 2, "open_ms": 60000}}}}]},
             "grpc_method_b": {"tracing_name": "hedged", "operations": [
               {"Action": {"CallService": {"tracing_name": "call slow", "service_address": "127.0.0.1",
                   "service_port": %1$d, "grpc_method": "C", "hedge": {"delay_ms": 50}}}}]},
             "grpc_method_c": {"tracing_name": "limited", "rate_limit": {"per_second": 0.01, "burst": 1},
               "operations": []}}""";

    @AfterEach
    void clearProperties() {
        System.clearProperty("otel.metric.export.interval");
    }

    @Test
    void breakersHedgesAndRateLimitsShowInSpansMetricsAndLogs() throws Exception {
        List<ILoggingEvent> lines = new CopyOnWriteArrayList<>();
        ListAppender<ILoggingEvent> appender = new ListAppender<>() {
            @Override
            protected void append(ILoggingEvent event) {
                lines.add(event);
            }
        };
        appender.start();
        Logger circuits = (Logger) LoggerFactory.getLogger("thespian.circuit");
        circuits.addAppender(appender);
        System.setProperty("otel.metric.export.interval", "300");
        try (OtlpReceiver otlp = OtlpReceiver.start()) {
            Telemetry telemetry = Telemetry.start("svc", Optional.of(URI.create(otlp.grpcEndpoint())), false, Map.of());
            ThespianServer peer = ThespianServer.start(0, ConfigParser.parse(PEER), Dice.of(OptionalLong.empty()),
                    InsecureChannelCredentials.create(), Instrumentation.NONE);
            ThespianServer server = ThespianServer.start(0, ConfigParser.parse(CALLER.formatted(peer.port())),
                    Dice.of(OptionalLong.empty()), InsecureChannelCredentials.create(), telemetry.instrumentation());
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
            try {
                var stub = ThespianGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS);
                for (int i = 0; i < 3; i++) {
                    assertThrows(StatusRuntimeException.class, () -> stub.a(Nothing.getDefaultInstance()));
                }
                stub.b(Nothing.getDefaultInstance());
                stub.c(Nothing.getDefaultInstance());
                StatusRuntimeException limited = assertThrows(StatusRuntimeException.class,
                        () -> stub.c(Nothing.getDefaultInstance()));
                assertEquals(Status.Code.RESOURCE_EXHAUSTED, limited.getStatus().getCode());

                List<ReceivedSpan> spans = otlp.awaitSpans(all -> ReceivedSpan.byName(all, "call down").size() == 3
                        && ReceivedSpan.byName(all, "call slow").size() == 3
                        && ReceivedSpan.byName(all, "limited").size() == 2, Duration.ofSeconds(20));
                List<ReceivedSpan> guarded = ReceivedSpan.byName(spans, "call down").stream()
                        .sorted(Comparator.comparingLong(ReceivedSpan::startEpochNanos)).toList();
                assertEquals(List.of("closed", "closed", "open"), guarded.stream()
                        .map(span -> span.attributes().get("thespian.circuit.state")).toList());
                assertTrue(guarded.get(2).statusMessage().startsWith("circuit open for peer http://127.0.0.1:"
                        + peer.port() + " (thespian.Thespian/B)"), guarded.get(2).toString());

                List<ReceivedSpan> attempts = ReceivedSpan.byName(spans, "call slow").stream()
                        .filter(span -> span.kind().equals("CLIENT")).toList();
                assertEquals(Set.of(1L, 2L), attempts.stream().map(span -> span.attributes().get("thespian.attempt"))
                        .collect(Collectors.toSet()));
                attempts.forEach(span -> assertEquals(true, span.attributes().get("thespian.hedge"), span.toString()));
                assertEquals(1, attempts.stream().filter(span -> "cancelled: another attempt answered first"
                        .equals(span.attributes().get("thespian.cancelled"))).count(), attempts.toString());

                ReceivedSpan refused = ReceivedSpan.byName(spans, "limited").stream()
                        .filter(span -> span.statusCode().equals("ERROR")).findFirst().orElseThrow();
                assertEquals("0.01 calls a second, burst 1", refused.attributes().get("thespian.rate_limit"));
                assertEquals("rate limited: over the limit of 0.01 calls a second, burst 1 (grpc_method_c.rate_limit)",
                        refused.statusMessage());

                Map<String, Object> downPeer = Map.of("thespian.peer", "http://127.0.0.1:" + peer.port(), "rpc.method", "B");
                List<ReceivedMetric> metrics = otlp.awaitMetrics(all -> ReceivedMetric.latest(all, "svc",
                        "thespian.circuit.state").flatMap(m -> m.pointWith(downPeer)).isPresent(), Duration.ofSeconds(20));
                assertEquals(1.0, ReceivedMetric.latest(metrics, "svc", "thespian.circuit.state").orElseThrow()
                        .pointWith(downPeer).orElseThrow().value(), "1 is open");

                assertEquals(1, lines.size(), lines.toString());
                ILoggingEvent line = lines.get(0);
                assertEquals(Level.WARN, line.getLevel());
                assertEquals("circuit breaker for peer http://127.0.0.1:" + peer.port() + " (thespian.Thespian/B) is open"
                        + " (was closed): 2 of 2 calls failed in the last 10000 ms (failure_rate 0.5, min_calls 2)",
                        line.getFormattedMessage());
                assertEquals(guarded.get(1).traceId(), line.getMDCPropertyMap().get("trace_id"),
                        "the line is not in the trace of the call that opened the breaker");
            } finally {
                channel.shutdownNow();
                server.stop(Duration.ZERO);
                peer.stop(Duration.ZERO);
                telemetry.close();
            }
        } finally {
            circuits.detachAppender(appender);
        }
    }
}
