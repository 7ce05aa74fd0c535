package org.thespian.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.thespian.config.ConfigParser;
import org.thespian.engine.Dice;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;
import org.thespian.server.ThespianServer;
import org.thespian.testsupport.InProcessThespian;
import org.thespian.testsupport.Loopback;
import org.thespian.testsupport.OtlpReceiver;
import org.thespian.testsupport.ReceivedMetric;
import org.thespian.testsupport.ReceivedSpan;
import org.thespian.testsupport.SilentServer;

/** The SDK as Thespian sets it up, in-process, against real OTLP receivers and hung or closed ports. */
class TelemetryTest {

    private static final String NAP = """
            {"grpc_method_a": {"tracing_name": "nap", "operations": [
               {"Action": {"Sleep": {"tracing_name": "sleep", "duration_ms": 0}}}]}}""";
    // System properties are the SDK's other source of OTEL_* settings; the environment cannot be set in-process.
    private static final List<String> PROPERTIES = List.of("otel.bsp.max.queue.size", "otel.exporter.otlp.traces.endpoint",
            "otel.exporter.otlp.traces.timeout", "otel.metric.export.interval", "otel.traces.exporter",
            "otel.java.exporter.otlp.retry.disabled");

    @AfterEach
    void clearProperties() {
        PROPERTIES.forEach(System::clearProperty);
    }

    @Test
    void theDefaultSpanQueueTakesAnEighthOfTheHeapAtMost() {
        assertEquals(8_192, ExportPlan.defaultQueueSpans(64L << 20));
        assertEquals(2_048, ExportPlan.defaultQueueSpans(8L << 20));
        assertEquals(32_768, ExportPlan.defaultQueueSpans(4L << 30));
    }

    /**
     * Its budget is 900 ms (Telemetry.CLOSE_BUDGET); a busy machine takes a little longer, while without it a hung
     * backend would hold close() for the exporters' own timeouts (10 s), so the bound is generous.
     */
    @Test
    void closeTakesAtMostASecondWhateverTheBackendDoes() throws Exception {
        try (SilentServer hung = SilentServer.start()) {
            for (URI backend : List.of(hung.address(), Loopback.closedPort())) {
                Telemetry telemetry = Telemetry.start("svc", Optional.of(backend), false, Map.of());
                callA(telemetry, 200);
                if (backend.equals(hung.address())) {
                    hung.awaitConnection(Duration.ofSeconds(10));
                }
                long started = System.nanoTime();
                telemetry.close();
                Duration took = Duration.ofNanos(System.nanoTime() - started);
                assertTrue(took.compareTo(Duration.ofSeconds(3)) <= 0, "close() with " + backend + " took " + took);
            }
        }
    }

    @Test
    void aProcesssSpansCarryItsInstanceIdBesideItsServiceName() throws Exception {
        try (OtlpReceiver otlp = OtlpReceiver.start()) {
            for (Map.Entry<Map<String, String>, String> run : Map.of(
                    Map.of("THESPIAN_INSTANCE_ID", "payment-7d4b9-x2k"), "payment-7d4b9-x2k",
                    Map.of("HOSTNAME", "payment-5f6c7-q9z"), "payment-5f6c7-q9z").entrySet()) {
                Map<String, String> env = new HashMap<>(run.getKey());
                env.putAll(Map.of("SERVICE_NAME", "payment", "CONFIG_JSON", NAP,
                        "OTEL_BACKEND_ADDRESS", otlp.grpcEndpoint()));
                try (InProcessThespian thespian = InProcessThespian.start(env)) {
                    thespian.blockingStub().a(Nothing.getDefaultInstance());
                }
                List<ReceivedSpan> spans = otlp.awaitSpans(received -> received.stream().anyMatch(span ->
                        run.getValue().equals(span.resourceAttributes().get("service.instance.id"))),
                        Duration.ofSeconds(20));
                assertTrue(spans.stream().filter(span -> run.getValue().equals(span.resourceAttributes()
                        .get("service.instance.id"))).allMatch(span -> span.serviceName().equals("payment")),
                        spans.toString());
            }
        }
    }

    @Test
    void everySpanArrivesWhenTheBackendKeepsUp() throws Exception {
        try (OtlpReceiver otlp = OtlpReceiver.start()) {
            Telemetry telemetry = Telemetry.start("svc", Optional.of(URI.create(otlp.grpcEndpoint())), false, Map.of());
            try {
                callA(telemetry, 1_000);
                otlp.awaitSpans(spans -> spans.size() >= 3_000, Duration.ofSeconds(30));
            } finally {
                telemetry.close();
            }
            assertEquals(3_000, otlp.spans().size());
        }
    }

    @Test
    void dropsBeyondCapacityAreCountedInAMetricAndLoggedWithTheCount() throws Exception {
        try (SilentServer hung = SilentServer.start()) {
            System.setProperty("otel.exporter.otlp.traces.endpoint", hung.address().toString());
            System.setProperty("otel.bsp.max.queue.size", "100");
            // The drops are reported when an export slot frees up: give up on the hung backend after 1 s, not 10 s.
            System.setProperty("otel.exporter.otlp.traces.timeout", "1000");
            // 3,000 spans; the queue holds 100 and two batches of 100 hang in export
            Drops drops = drops(1_000, 1_000);
            assertTrue(drops.counted() <= 3_000, drops.toString());
            assertTrue(drops.report().matches("[0-9]+ spans dropped since start: [0-9]+ more than could be shipped to "
                    + java.util.regex.Pattern.quote(hung.address().toString()) + " \\(queue of 100 spans.*"),
                    drops.report());
        }
    }

    @Test
    void spansOfFailedExportsAreCountedInTheMetricAndTheReport() throws Exception {
        URI closed = Loopback.closedPort();
        System.setProperty("otel.exporter.otlp.traces.endpoint", closed.toString());
        // Each failed export is final at once, rather than after the exporter's own retries (seconds).
        System.setProperty("otel.java.exporter.otlp.retry.disabled", "true");
        Drops drops = drops(10, 30); // 30 spans, far fewer than the queue holds: every loss is a failed export
        assertEquals(30, drops.counted());
        assertEquals("30 spans dropped since start: 0 more than could be shipped to " + closed + " (queue of "
                + ExportPlan.defaultQueueSpans(Runtime.getRuntime().maxMemory()) + " spans, batches of 2048, 2 exports"
                + " at a time), 30 in exports that failed; see docs/telemetry.md", drops.report());
    }

    /** What thespian.telemetry.spans.dropped said, and the first drop report. */
    private record Drops(double counted, String report) {
    }

    /** Makes {@code calls} calls, then waits for the drop metric to reach {@code atLeast} and for the drop report. */
    private static Drops drops(int calls, int atLeast) throws Exception {
        Logger spansLogger = (Logger) LoggerFactory.getLogger("thespian.telemetry.spans");
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        spansLogger.addAppender(lines);
        System.setProperty("otel.metric.export.interval", "500");
        try (OtlpReceiver metrics = OtlpReceiver.start()) {
            Telemetry telemetry = Telemetry.start("svc", Optional.of(URI.create(metrics.grpcEndpoint())), false, Map.of());
            try {
                callA(telemetry, calls);
                List<ReceivedMetric> received = metrics.awaitMetrics(all -> ReceivedMetric.latest(all, "svc",
                        "thespian.telemetry.spans.dropped").filter(m -> m.points().get(0).value() >= atLeast)
                        .isPresent(), Duration.ofSeconds(20));
                double counted = ReceivedMetric.latest(received, "svc", "thespian.telemetry.spans.dropped")
                        .orElseThrow().points().get(0).value();
                long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (lines.list.isEmpty() && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                return new Drops(counted, lines.list.get(0).getFormattedMessage());
            } finally {
                telemetry.close();
            }
        } finally {
            spansLogger.detachAppender(lines);
        }
    }

    @Test
    void describeSaysWhereTracesMetricsAndLogsGo() throws Exception {
        Telemetry nowhere = Telemetry.start("svc", Optional.empty(), false, Map.of());
        nowhere.close();
        assertEquals("telemetry: traces to nowhere (set OTEL_BACKEND_ADDRESS or OTEL_EXPORTER_OTLP_ENDPOINT);"
                + " metrics to nowhere (set OTEL_BACKEND_ADDRESS or OTEL_EXPORTER_OTLP_ENDPOINT); logs to stdout",
                nowhere.describe());

        Telemetry otlp = Telemetry.start("svc", Optional.of(URI.create("http://collector:4317")), true, Map.of());
        otlp.close();
        assertEquals("telemetry: traces to OTLP/grpc http://collector:4317 and the console trace view on stderr;"
                + " metrics to OTLP/grpc http://collector:4317 every 10 s; logs to stdout", otlp.describe());

        System.setProperty("otel.traces.exporter", "console");
        Telemetry console = Telemetry.start("svc", Optional.empty(), false, Map.of());
        console.close();
        assertTrue(console.describe().startsWith("telemetry: traces to the console exporter (JSON log lines on stdout);"),
                console.describe());

        System.setProperty("otel.traces.exporter", "console,otlp");
        Telemetry both = Telemetry.start("svc", Optional.of(URI.create("http://collector:4317")), false, Map.of());
        both.close();
        assertTrue(both.describe().startsWith("telemetry: traces to the console exporter (JSON log lines on stdout)"
                + " and OTLP/grpc http://collector:4317;"), both.describe());
    }

    @Test
    void theConsoleExporterWritesEachSpanAsALogLine() throws Exception {
        List<String> spans = consoleSpanLines("console", Optional.empty());
        assertEquals(3, spans.size(), spans.toString());
        assertTrue(spans.stream().anyMatch(line -> line.startsWith("'nap' : ")), spans.toString());
        assertTrue(spans.stream().anyMatch(line -> line.startsWith("'thespian.Thespian/A' : ")), spans.toString());
    }

    @Test
    void otlpAndConsoleSpanExportersWorkSideBySide() throws Exception {
        try (OtlpReceiver otlp = OtlpReceiver.start()) {
            List<String> spans = consoleSpanLines("console,otlp", Optional.of(URI.create(otlp.grpcEndpoint())));
            assertEquals(3, spans.size(), spans.toString());
            assertEquals(3, otlp.awaitSpans(received -> received.size() >= 3, Duration.ofSeconds(20)).size());
        }
    }

    /** What the SDK's console exporter logs for one call, with {@code otel.traces.exporter} set to {@code exporters}. */
    private static List<String> consoleSpanLines(String exporters, Optional<URI> backend) throws Exception {
        Logger exporterLogger = (Logger) LoggerFactory.getLogger("io.opentelemetry.exporter.logging.LoggingSpanExporter");
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        exporterLogger.addAppender(lines);
        System.setProperty("otel.traces.exporter", exporters);
        Telemetry telemetry = Telemetry.start("svc", backend, false, Map.of());
        try {
            callA(telemetry, 1);
        } finally {
            telemetry.close();
            exporterLogger.detachAppender(lines);
        }
        // The SDK's console exporter logs through java.util.logging, which comes out of logback like any other line.
        return lines.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    @Test
    void theOtlpSpanExporterStillReportsItsOwnMetrics() throws Exception {
        System.setProperty("otel.metric.export.interval", "500");
        try (OtlpReceiver otlp = OtlpReceiver.start()) {
            Telemetry telemetry = Telemetry.start("svc", Optional.of(URI.create(otlp.grpcEndpoint())), false, Map.of());
            try {
                callA(telemetry, 10);
                otlp.awaitMetrics(all -> ReceivedMetric.latest(all, "svc", "otlp.exporter.exported")
                        .flatMap(metric -> metric.pointWith(Map.of("type", "span")))
                        .filter(point -> point.value() >= 30).isPresent(), Duration.ofSeconds(20));
            } finally {
                telemetry.close();
            }
        }
    }

    @Test
    void tracesExporterListsTheSdkRefusesAreRefusedInItsWords() {
        for (Map.Entry<String, String> refused : Map.of(
                "otlp,otlp", "otel.traces.exporter contains duplicates: [otlp]",
                "none,otlp", "otel.traces.exporter contains none along with other exporters",
                "otlp,bogus", "Unrecognized value for otel.traces.exporter: bogus").entrySet()) {
            System.setProperty("otel.traces.exporter", refused.getKey());
            var error = org.junit.jupiter.api.Assertions.assertThrows(Telemetry.InvalidTelemetrySetting.class,
                    () -> Telemetry.start("svc", Optional.empty(), false, Map.of()));
            assertEquals("OpenTelemetry setting refused: " + refused.getValue(), error.getMessage());
        }
    }

    @Test
    void anEmptySpanQueueIsRefusedNamingTheSetting() {
        System.setProperty("otel.bsp.max.queue.size", "0");
        var error = org.junit.jupiter.api.Assertions.assertThrows(Telemetry.InvalidTelemetrySetting.class,
                () -> Telemetry.start("svc", Optional.of(URI.create("http://collector:4317")), false, Map.of()));
        assertEquals("OpenTelemetry setting refused: otel.bsp.max.queue.size must be a positive whole number, got 0",
                error.getMessage());
    }

    @Test
    void loggingOtlpIsRefusedInOneLine() {
        var refused = org.junit.jupiter.api.Assertions.assertThrows(Telemetry.InvalidTelemetrySetting.class,
                () -> Telemetry.start("svc", Optional.empty(), false, Map.of("OTEL_TRACES_EXPORTER", "logging-otlp")));
        assertEquals("OTEL_TRACES_EXPORTER=logging-otlp is not available in this build; use otlp, console or none",
                refused.getMessage());
    }

    private static void callA(Telemetry telemetry, int calls) throws Exception {
        ThespianServer server = ThespianServer.start(0, ConfigParser.parse(NAP), Dice.of(OptionalLong.empty()),
                TlsChannelCredentials.create(), telemetry.instrumentation());
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
        try {
            var stub = ThespianGrpc.newFutureStub(channel);
            List<com.google.common.util.concurrent.ListenableFuture<Nothing>> pending = new java.util.ArrayList<>();
            for (int i = 0; i < calls; i++) {
                pending.add(stub.a(Nothing.getDefaultInstance()));
                if (pending.size() == 200 || i == calls - 1) {
                    for (var call : pending) {
                        call.get();
                    }
                    pending.clear();
                }
            }
        } finally {
            channel.shutdownNow();
            server.stop(Duration.ZERO);
        }
    }
}
