package org.thespian.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.thespian.config.ConfigParser;
import org.thespian.engine.Dice;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;
import org.thespian.server.ServerLimits;
import org.thespian.server.ThespianServer;
import org.thespian.testsupport.OtlpReceiver;
import org.thespian.testsupport.ReceivedMetric;
import org.thespian.testsupport.ReceivedSpan;

/**
 * Endings that are not this service's failures. A caller that gives up: its request's spans say who ended it,
 * nothing is logged as an error, the failure count stays still and the cancellation count moves. A peer that sheds
 * load: its code and words reach the client at once, and the edge records no failure of its own. Real gRPC calls,
 * a real OTLP receiver. A call this service sheds itself costs a status and a count.
 */
class CancellationTelemetryTest {

    private static final int CALLS = 5;
    /** A: a long sleep. B: a call to a failing peer, retried after a ten-minute back-off. */
    private static final String CONFIG = """
            {"grpc_method_a": {"tracing_name": "slow order", "operations": [
               {"Action": {"Sleep": {"tracing_name": "slow work", "duration_ms": 2000}}}]},
             "grpc_method_b": {"tracing_name": "retrying order", "operations": [
               {"Action": {"CallService": {"tracing_name": "call failing", "service_address": "127.0.0.1",
                   "service_port": %d, "grpc_method": "C",
                   "retries": {"max_attempts": 3, "backoff_ms": 600000, "retry_on": ["UNAVAILABLE"]}}}}]}}""";
    private static final String FAILING = """
            {"grpc_method_c": {"tracing_name": "failing", "operations": [
               {"Action": {"Sleep": {"tracing_name": "down", "duration_ms": 0, "failure_chance": 1,
                   "failure_codes": {"UNAVAILABLE": 1}}}}]}}""";

    private static final Metadata.Key<String> FAILURE =
            Metadata.Key.of("thespian-failure", Metadata.ASCII_STRING_MARSHALLER);
    private static final String SLOW = """
            {"grpc_method_a": {"tracing_name": "slow", "operations": [
              {"Action": {"Sleep": {"tracing_name": "work", "duration_ms": 300}}}]}}""";

    private static void awaitReady(ManagedChannel channel) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (channel.getState(true) != io.grpc.ConnectivityState.READY && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }

    private final List<ILoggingEvent> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>() {
        @Override
        protected void append(ILoggingEvent event) {
            lines.add(event);
        }
    };
    private final List<Logger> loggers = List.of((Logger) LoggerFactory.getLogger("thespian.action"),
            (Logger) LoggerFactory.getLogger("thespian.request"), (Logger) LoggerFactory.getLogger("thespian.overload"));

    @BeforeEach
    void captureLogs() {
        appender.start();
        loggers.forEach(logger -> logger.addAppender(appender));
        System.setProperty("otel.metric.export.interval", "300");
    }

    @AfterEach
    void release() {
        loggers.forEach(logger -> logger.detachAppender(appender));
        System.clearProperty("otel.metric.export.interval");
    }

    private void assertNoErrorLines() {
        for (ILoggingEvent line : lines) {
            assertFalse(line.getLevel().isGreaterOrEqual(Level.ERROR),
                    line.getLoggerName() + " " + line.getLevel() + " " + line.getFormattedMessage());
        }
    }

    @Test
    void aCallerGivingUpEndsSpansAsCancelledWithoutErrorsOrFailureCounts() throws Exception {
        try (OtlpReceiver otlp = OtlpReceiver.start()) {
            Telemetry telemetry = Telemetry.start("svc", Optional.of(URI.create(otlp.grpcEndpoint())), false, Map.of());
            ThespianServer failing = ThespianServer.start(0, ConfigParser.parse(FAILING), Dice.of(OptionalLong.empty()),
                    InsecureChannelCredentials.create(), org.thespian.server.Instrumentation.NONE);
            ThespianServer server = ThespianServer.start(0, ConfigParser.parse(CONFIG.formatted(failing.port())),
                    Dice.of(OptionalLong.empty()), InsecureChannelCredentials.create(), telemetry.instrumentation());
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
            try {
                awaitReady(channel); // a call's 150 ms must not include the connection's setup
                for (int i = 0; i < CALLS; i++) {
                    StatusRuntimeException a = assertThrows(StatusRuntimeException.class, () -> ThespianGrpc
                            .newBlockingStub(channel).withDeadlineAfter(150, TimeUnit.MILLISECONDS)
                            .a(Nothing.getDefaultInstance()));
                    assertEquals(Status.Code.DEADLINE_EXCEEDED, a.getStatus().getCode());
                    StatusRuntimeException b = assertThrows(StatusRuntimeException.class, () -> ThespianGrpc
                            .newBlockingStub(channel).withDeadlineAfter(300, TimeUnit.MILLISECONDS)
                            .b(Nothing.getDefaultInstance()));
                    assertEquals(Status.Code.DEADLINE_EXCEEDED, b.getStatus().getCode());
                }
                List<ReceivedSpan> spans = otlp.awaitSpans(all -> ReceivedSpan.byName(all, "slow work").size() >= CALLS
                        && ReceivedSpan.byName(all, "call failing").size() >= CALLS, Duration.ofSeconds(20));
                for (String name : List.of("slow work", "slow order", "call failing", "retrying order")) {
                    for (ReceivedSpan span : ReceivedSpan.byName(spans, name)) {
                        if ("call failing".equals(name) && !span.attributes().containsKey("thespian.cancelled")) {
                            continue; // the first attempt: the peer's failure, relayed (ERROR, not counted here)
                        }
                        assertEquals("UNSET", span.statusCode(), span.toString());
                        assertEquals("cancelled: the caller's deadline passed", span.attributes().get("thespian.cancelled"),
                                span.toString());
                        assertTrue(span.events().isEmpty(), span.toString());
                    }
                }
                List<ReceivedSpan> servers = spans.stream()
                        .filter(s -> s.name().equals("thespian.Thespian/A") && s.kind().equals("SERVER")).toList();
                assertEquals(CALLS, servers.size());
                servers.forEach(span -> {
                    assertEquals("UNSET", span.statusCode(), span.toString());
                    assertEquals("the caller's deadline passed", span.attributes().get("thespian.cancelled"));
                });
                List<ReceivedMetric> metrics = otlp.awaitMetrics(all -> ReceivedMetric.latest(all, "svc",
                        "thespian.requests.cancelled").filter(m -> m.points().stream()
                                .mapToDouble(ReceivedMetric.Point::value).sum() >= 2 * CALLS).isPresent(),
                        Duration.ofSeconds(20));
                assertTrue(ReceivedMetric.latest(metrics, "svc", "thespian.action.failures").isEmpty(),
                        "a peer's answer and a caller giving up are no failure of this service's: " + metrics);
                assertNoErrorLines();
                assertTrue(lines.stream().anyMatch(line -> line.getLevel() == Level.INFO && line.getFormattedMessage()
                        .matches("thespian.Thespian/A answered CANCELLED in .* ms: the caller's deadline passed")),
                        lines.toString());
            } finally {
                channel.shutdownNow();
                server.stop(Duration.ZERO);
                failing.stop(Duration.ZERO);
                telemetry.close();
            }
        }
    }

    @Test
    void aPeerSheddingLoadIsRelayedAtOnceAndIsNoFailureOfTheEdge() throws Exception {
        try (OtlpReceiver otlp = OtlpReceiver.start()) {
            Telemetry telemetry = Telemetry.start("edge", Optional.of(URI.create(otlp.grpcEndpoint())), false, Map.of());
            // One call at a time: while the test holds it, every other call is shed.
            ThespianServer busy = ThespianServer.start(0, ConfigParser.parse("""
                    {"grpc_method_a": {"tracing_name": "hold", "operations": [
                       {"Action": {"Sleep": {"tracing_name": "hold", "duration_ms": 5000}}}]},
                     "grpc_method_b": {"tracing_name": "quick", "operations": [
                       {"Action": {"Sleep": {"tracing_name": "quick", "duration_ms": 1}}}]}}"""),
                    Dice.of(OptionalLong.empty()), InsecureChannelCredentials.create(),
                    org.thespian.server.Instrumentation.NONE, ServerLimits.of(1, ServerLimits.DEFAULT_PEER_TIMEOUT));
            ThespianServer edge = ThespianServer.start(0, ConfigParser.parse("""
                    {"grpc_method_a": {"tracing_name": "order", "operations": [
                       {"Action": {"CallService": {"tracing_name": "call busy", "service_address": "127.0.0.1",
                           "service_port": %d, "grpc_method": "B"}}}]}}""".formatted(busy.port())),
                    Dice.of(OptionalLong.empty()), InsecureChannelCredentials.create(), telemetry.instrumentation());
            ManagedChannel toBusy = NettyChannelBuilder.forAddress("127.0.0.1", busy.port()).usePlaintext().build();
            ManagedChannel toEdge = NettyChannelBuilder.forAddress("127.0.0.1", edge.port()).usePlaintext().build();
            try {
                var held = ThespianGrpc.newFutureStub(toBusy).a(Nothing.getDefaultInstance());
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (busy.inFlight() < 1 && System.nanoTime() < until) {
                    Thread.sleep(5);
                }
                awaitReady(toEdge);
                long start = System.nanoTime();
                StatusRuntimeException shed = assertThrows(StatusRuntimeException.class, () -> ThespianGrpc
                        .newBlockingStub(toEdge).withDeadlineAfter(10, TimeUnit.SECONDS).a(Nothing.getDefaultInstance()));
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertEquals(Status.Code.RESOURCE_EXHAUSTED, shed.getStatus().getCode());
                assertTrue(shed.getStatus().getDescription().startsWith("order > call busy: peer http://127.0.0.1:"
                        + busy.port() + " (thespian.Thespian/B) refused the call with RESOURCE_EXHAUSTED: 1 calls are"
                        + " in flight"), shed.getStatus().getDescription());
                assertTrue(millis < 1000, "the refusal took " + millis + " ms"); // nothing waits: a few ms
                held.cancel(true);

                List<ReceivedSpan> spans = otlp.awaitSpans(all -> !ReceivedSpan.byName(all, "call busy").isEmpty()
                        && !ReceivedSpan.byName(all, "thespian.Thespian/A").isEmpty(), Duration.ofSeconds(20));
                ReceivedSpan call = ReceivedSpan.byName(spans, "call busy").get(0);
                assertEquals("ERROR", call.statusCode(), call.toString());
                assertEquals("RESOURCE_EXHAUSTED", call.attributes().get("thespian.failure_code"));
                assertTrue(call.events().isEmpty(), "the peer's refusal is not an exception of the edge: " + call);
                ReceivedSpan server = ReceivedSpan.byName(spans, "thespian.Thespian/A").get(0);
                assertEquals(8L, server.attributes().get("rpc.grpc.status_code"));
                assertEquals("UNSET", server.statusCode(), "RESOURCE_EXHAUSTED is no server error: " + server);
                assertNoErrorLines();
            } finally {
                toBusy.shutdownNow();
                toEdge.shutdownNow();
                edge.stop(Duration.ZERO);
                busy.stop(Duration.ZERO);
                telemetry.close();
            }
        }
    }

    /**
     * A call shed while the process runs behind costs as little as it can: no span and no request log line, but the
     * metric {@code thespian.requests.shed} and one summary line; the caller still sees RESOURCE_EXHAUSTED, why, and
     * the trailer that tells a calling Thespian the call was refused.
     */
    @Test
    void aShedCallMakesNoSpanAndNoRequestLineButIsCountedAndSaysWhy() throws Exception {
        try (OtlpReceiver otlp = OtlpReceiver.start()) {
            Telemetry telemetry = Telemetry.start("shedder", Optional.of(URI.create(otlp.grpcEndpoint())), false,
                    Map.of());
            // Any lateness at all counts as behind: the limit settles at its floor within a few windows.
            ThespianServer server = ThespianServer.start(0, ConfigParser.parse(SLOW), Dice.of(OptionalLong.empty()),
                    InsecureChannelCredentials.create(), telemetry.instrumentation(),
                    ServerLimits.of(1_000, ServerLimits.DEFAULT_PEER_TIMEOUT).withOverloadLag(Duration.ofNanos(1)));
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
            try {
                var stub = ThespianGrpc.newFutureStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
                int served = 0;
                int shed = 0;
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (shed == 0 && System.nanoTime() < until) {
                    List<ListenableFuture<Nothing>> calls = new ArrayList<>();
                    for (int i = 0; i < 24; i++) {
                        calls.add(stub.a(Nothing.getDefaultInstance()));
                    }
                    for (ListenableFuture<Nothing> call : calls) {
                        try {
                            call.get(30, TimeUnit.SECONDS);
                            served++;
                        } catch (ExecutionException e) {
                            Status status = Status.fromThrowable(e.getCause());
                            assertEquals(Status.Code.RESOURCE_EXHAUSTED, status.getCode(), status.toString());
                            assertTrue(status.getDescription().startsWith("overloaded: this process runs "),
                                    status.getDescription());
                            assertEquals("refused", Status.trailersFromThrowable(e.getCause()).get(FAILURE));
                            shed++;
                        }
                    }
                }
                assertTrue(shed > 0, "nothing shed in 20 s");

                long shedCalls = shed;
                List<ReceivedMetric> metrics = otlp.awaitMetrics(all -> ReceivedMetric.latest(all, "shedder",
                        "thespian.requests.shed").filter(m -> m.points().stream()
                                .mapToDouble(ReceivedMetric.Point::value).sum() == shedCalls).isPresent(),
                        Duration.ofSeconds(20));
                assertTrue(ReceivedMetric.latest(metrics, "shedder", "thespian.requests.shed").isPresent(),
                        "thespian.requests.shed never counted " + shed + ": " + metrics);
                int servedCalls = served;
                List<ReceivedSpan> spans = otlp.awaitSpans(all -> ReceivedSpan.byName(all, "thespian.Thespian/A")
                        .size() >= servedCalls, Duration.ofSeconds(20));
                // A shed call's span would have ended before the last served one's, and been shipped with it.
                List<ReceivedSpan> servers = ReceivedSpan.byName(spans, "thespian.Thespian/A");
                assertEquals(served, servers.size(), "one span per served call, none for the " + shed + " shed");
                servers.forEach(span -> assertEquals(0L, span.attributes().get("rpc.grpc.status_code")));

                List<String> requestLines = lines.stream().filter(line -> line.getLoggerName().equals("thespian.request"))
                        .map(ILoggingEvent::getFormattedMessage).toList();
                assertEquals(served, requestLines.size(), requestLines.toString());
                requestLines.forEach(line -> assertTrue(line.contains(" answered OK in "), line));
                List<String> summaries = lines.stream().filter(line -> line.getLoggerName().equals("thespian.overload"))
                        .map(ILoggingEvent::getFormattedMessage).toList();
                assertEquals(1, summaries.size(), "at most one summary a minute: " + summaries);
                assertTrue(summaries.get(0).startsWith("Shed 1 calls from outside since start: the process ran behind"
                        + " (THESPIAN_OVERLOAD_LAG_MS)"), summaries.get(0));
            } finally {
                channel.shutdownNow();
                server.stop(Duration.ZERO);
                telemetry.close();
            }
        }
    }
}
