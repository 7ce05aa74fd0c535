package org.thespian.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.thespian.proto.Nothing;
import org.thespian.testsupport.OtlpReceiver;
import org.thespian.testsupport.ReceivedSpan;
import org.thespian.testsupport.SilentServer;
import org.thespian.testsupport.ThespianProcess;

/** The standard OTEL_* variables, the console view, and backends that are down or hang. */
@Execution(ExecutionMode.CONCURRENT) // each test starts processes of its own
class TelemetryConfigurationIT {

    /** The flood and the latency comparison must not overlap: see deadOrHangingBackendsNeverSlowRequests. */
    private static final String FLOOD = "flood";
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final Nothing NOTHING = Nothing.getDefaultInstance();
    private static final String NAP = """
            {"grpc_method_a": {"tracing_name": "nap", "operations": [
               {"Action": {"Sleep": {"tracing_name": "sleep", "duration_ms": 10}}}]}}""";
    /** Nine spans a request: the server's, the function's and seven sleeps'. */
    private static final String SEVEN_NAPS = """
            {"grpc_method_a": {"tracing_name": "naps", "operations": [%s]}}""".formatted(String.join(",",
            Collections.nCopies(7, "{\"Action\": {\"Sleep\": {\"tracing_name\": \"nap\", \"duration_ms\": 1}}}")));

    @Test
    void standardOtelVariablesExportOverHttpProtobuf() throws Exception {
        try (OtlpReceiver otlp = OtlpReceiver.start();
                ThespianProcess thespian = ThespianProcess.start(Map.of(
                        "CONFIG_JSON", NAP,
                        "OTEL_SERVICE_NAME", "from-otel-service-name",
                        "OTEL_EXPORTER_OTLP_ENDPOINT", otlp.httpEndpoint(),
                        "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf",
                        "OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=test"))) {
            thespian.blockingStub().a(NOTHING);
            List<ReceivedSpan> spans = otlp.awaitSpans(received -> received.size() >= 3, WAIT);
            assertTrue(spans.stream().allMatch(span -> span.serviceName().equals("from-otel-service-name")), spans.toString());
            assertEquals("test", spans.get(0).resourceAttributes().get("deployment.environment.name"));
            assertEquals(List.of("nap", "sleep", "thespian.Thespian/A"),
                    spans.stream().map(ReceivedSpan::name).sorted().toList());
        }
    }

    @Test
    void serviceNameWinsOverOtelServiceNameAndStandardVariablesWinOverTheBackendAddress() throws Exception {
        try (OtlpReceiver viaBackendAddress = OtlpReceiver.start();
                OtlpReceiver viaStandard = OtlpReceiver.start();
                ThespianProcess thespian = ThespianProcess.start(Map.of(
                        "CONFIG_JSON", NAP,
                        "SERVICE_NAME", "from-service-name",
                        "OTEL_SERVICE_NAME", "from-otel-service-name",
                        "OTEL_BACKEND_ADDRESS", viaBackendAddress.grpcEndpoint(),
                        "OTEL_EXPORTER_OTLP_ENDPOINT", viaStandard.grpcEndpoint()))) {
            thespian.blockingStub().a(NOTHING);
            List<ReceivedSpan> spans = viaStandard.awaitSpans(received -> received.size() >= 3, WAIT);
            assertTrue(spans.stream().allMatch(span -> span.serviceName().equals("from-service-name")), spans.toString());
            assertTrue(viaBackendAddress.spans().isEmpty(), "spans went to OTEL_BACKEND_ADDRESS too");
        }
    }

    @Test
    void theConsoleViewPrintsEachLocalTraceTree() throws Exception {
        try (ThespianProcess thespian = ThespianProcess.start(Map.of("CONFIG_JSON", """
                {"grpc_method_a": {"tracing_name": "checkout", "operations": [
                   {"ConcurrentActions": [
                      {"Sleep": {"tracing_name": "reserve stock", "duration_ms": 20, "failure_chance": 1}},
                      {"Sleep": {"tracing_name": "render email", "duration_ms": 10}}]}]}}""",
                "THESPIAN_TRACE_CONSOLE", "true"))) {
            try {
                thespian.blockingStub().a(NOTHING);
            } catch (io.grpc.StatusRuntimeException expected) {
                // the failure is what the tree should show
            }
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!thespian.stderr().contains("render email") && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            List<String> tree = Arrays.asList(thespian.stderr().split("\n"));
            String timing = " +[0-9.]+ ms +[0-9.]+ ms  \\|[# ]{24}\\|  ";
            assertTrue(tree.get(0).matches("trace [0-9a-f]{32}  [0-9.]+ ms"), tree.toString());
            assertTrue(tree.get(1).matches(timing + "thespian\\.Thespian/A \\[SERVER] \\(thespian\\)  \\{status 13 INTERNAL}"
                    + "  ERROR: checkout > reserve stock: .*"), tree.toString());
            assertTrue(tree.get(2).matches(timing + "  checkout  ERROR: .*"), tree.toString());
            assertTrue(tree.get(3).matches(timing + "    reserve stock  \\{rolled 0\\.[0-9]{4} < 1\\.0}  ERROR: failed by chance .*"),
                    tree.toString());
            assertTrue(tree.get(4).matches(timing + "    render email"), tree.toString());
        }
    }

    @Test
    void withNothingConfiguredNothingIsExportedAndNothingComplains() {
        try (ThespianProcess thespian = ThespianProcess.start(Map.of("CONFIG_JSON", NAP))) {
            for (int i = 0; i < 20; i++) {
                thespian.blockingStub().a(NOTHING);
            }
            assertEquals("", thespian.stderr());
            assertTrue(thespian.stdout().stream().allMatch(line -> line.startsWith("{")), thespian.stdout().toString());
            assertTrue(thespian.stdout().stream().noneMatch(line -> line.contains("\"trace_id\":\"00000000")),
                    "log lines carry all-zero trace ids: " + thespian.stdout());
        }
    }

    @Test
    @ResourceLock(FLOOD) // a flood beside it starves the three processes unevenly: their medians drifted 20 ms apart
    void deadOrHangingBackendsNeverSlowRequests() throws Exception {
        try (SilentServer hangingOtlp = SilentServer.start();
                SilentServer hangingLoki = SilentServer.start();
                ThespianProcess toNothing = ThespianProcess.launch(Map.of("CONFIG_JSON", NAP));
                ThespianProcess toClosedPorts = ThespianProcess.launch(Map.of("CONFIG_JSON", NAP,
                        "OTEL_BACKEND_ADDRESS", "http://127.0.0.1:" + ThespianProcess.freePort(),
                        "LOKI_ADDRESS", "http://127.0.0.1:" + ThespianProcess.freePort()));
                ThespianProcess toHangingServers = ThespianProcess.launch(hangingBackends(hangingOtlp, hangingLoki, NAP))) {
            for (ThespianProcess thespian : List.of(toNothing, toClosedPorts, toHangingServers)) {
                thespian.awaitServing(); // the three JVMs start side by side
            }
            // Side by side with a thespian that exports nothing, one call to each in turn, so a busy machine (the
            // flood beside this test) slows all three alike.
            List<ThespianProcess> compared = List.of(toNothing, toClosedPorts, toHangingServers);
            compared.forEach(thespian -> thespian.blockingStub().a(NOTHING));
            long[][] millis = new long[compared.size()][45];
            for (int call = 0; call < 45; call++) {
                for (int i = 0; i < compared.size(); i++) {
                    millis[i][call] = callMillis(compared.get(i));
                }
            }
            long usual = median(millis[0]);
            List<String> names = List.of("exporting nothing", "to closed ports", "to hanging servers");
            for (int i = 1; i < compared.size(); i++) {
                long median = median(millis[i]);
                assertTrue(median >= 10 && median < usual + 15, "median of a 10 ms request " + names.get(i) + ": "
                        + median + " ms, against " + usual + " ms " + names.get(0) + "; all calls, in ms: "
                        + Arrays.deepToString(millis));
            }
            for (ThespianProcess thespian : List.of(toClosedPorts, toHangingServers)) {
                // The JVM's own note about JAVA_TOOL_OPTIONS is the only thing allowed there.
                assertEquals("", thespian.stderr().replaceFirst("Picked up JAVA_TOOL_OPTIONS: .*\n?", ""),
                        "library logging must come out as JSON lines on stdout");
            }
            long exportReports = toClosedPorts.stdout().stream()
                    .filter(line -> line.contains("\"message\":\"exporting traces to ")).count();
            assertTrue(exportReports <= 1, "a dead backend is said once a minute: " + toClosedPorts.stdout());
        }
    }

    @Test
    @ResourceLock(FLOOD)
    void hangingBackendsKeepMemoryBoundedThroughAFlood() throws Exception {
        try (SilentServer hangingOtlp = SilentServer.start();
                SilentServer hangingLoki = SilentServer.start();
                ThespianProcess toHangingServers = ThespianProcess.start(
                        hangingBackends(hangingOtlp, hangingLoki, SEVEN_NAPS))) {
            // 10,000 requests make 90,000 spans and 10,000 log lines: far more than 64 MB could hold if the
            // export queues were unbounded, and many times what the queues take (spans, and Loki's 1.25 MB).
            var stub = org.thespian.proto.ThespianGrpc.newFutureStub(toHangingServers.channel());
            List<com.google.common.util.concurrent.ListenableFuture<Nothing>> calls = new java.util.ArrayList<>();
            for (int i = 0; i < 10_000; i++) {
                calls.add(stub.withDeadlineAfter(2, TimeUnit.MINUTES).a(NOTHING));
                if (calls.size() == 250) {
                    for (var call : calls) {
                        call.get();
                    }
                    calls.clear();
                }
            }
            assertTrue(toHangingServers.isAlive());
            toHangingServers.blockingStub().a(NOTHING); // still answering after the flood
            Predicate<List<String>> dropsReported =
                    lines -> lines.stream().anyMatch(line -> line.contains("spans dropped since start"));
            assertTrue(dropsReported.test(toHangingServers.awaitStdout(dropsReported, Duration.ofSeconds(15))),
                    "the flood overflowed the span queue, and the drops are reported");
            assertTrue(residentMegabytes(toHangingServers.pid()) < 400, "resident memory grew past 400 MB");
            assertFalse(toHangingServers.stderr().contains("OutOfMemoryError"), toHangingServers.stderr());
        }
    }

    private static Map<String, String> hangingBackends(SilentServer otlp, SilentServer loki, String config) {
        return Map.of("CONFIG_JSON", config, "OTEL_BACKEND_ADDRESS", otlp.address().toString(),
                "LOKI_ADDRESS", loki.address().toString(), "JAVA_TOOL_OPTIONS", "-Xmx64m");
    }

    private static long median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static long callMillis(ThespianProcess thespian) {
        long start = System.nanoTime();
        thespian.blockingStub().a(NOTHING);
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }

    private static long residentMegabytes(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
            }
        }
        throw new IllegalStateException("no VmRSS for " + pid);
    }
}
