package org.thespian.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;
import org.thespian.testsupport.CountingPeer;
import org.thespian.testsupport.OtlpReceiver;
import org.thespian.testsupport.ReceivedMetric;
import org.thespian.testsupport.ReceivedSpan;
import org.thespian.testsupport.ThespianProcess;

/**
 * THESPIAN_WARMUP, from outside the process: the warm-up happens before the port opens, and none of it is seen in
 * the logs, the exported spans and metrics, the configured peer or the service's seeded dice.
 */
@Execution(ExecutionMode.CONCURRENT) // each test starts processes of its own
class WarmUpIT {

    private static final Duration PATIENCE = Duration.ofSeconds(30);
    private static final int CALLS = 20;
    /** A call of A: the peer's A, then a coin that fails half the time (an ERROR line and a failure count). */
    private static final String CONFIG = """
            {"grpc_method_a": {"tracing_name": "checkout", "operations": [
              {"Action": {"CallService": {"tracing_name": "pay", "service_address": "127.0.0.1",
                                          "service_port": "%d", "grpc_method": "A"}}},
              {"Action": {"Sleep": {"tracing_name": "coin", "duration_ms": 5, "failure_chance": 0.5}}}]}}""";
    private static final Pattern REHEARSED = Pattern.compile("warm-up: (\\d+) calls rehearsed in [0-9.]+ s");

    private final CountingPeer peer;

    WarmUpIT() throws Exception {
        peer = CountingPeer.start();
    }

    @AfterEach
    void stopPeer() {
        peer.close();
    }

    @Test
    void theRehearsalIsNeitherLoggedNorExportedNorCountedNorSentToThePeer() throws Exception {
        try (OtlpReceiver otlp = OtlpReceiver.start();
                ThespianProcess thespian = ThespianProcess.start(env("on", Map.of(
                        "OTEL_BACKEND_ADDRESS", otlp.grpcEndpoint(), "OTEL_METRIC_EXPORT_INTERVAL", "300",
                        "OTEL_BSP_SCHEDULE_DELAY", "100")))) {
            List<String> startup = thespian.awaitStdout(lines -> lines.stream().anyMatch(l -> l.contains("serving")),
                    PATIENCE);
            assertTrue(rehearsedCalls(startup) > 0, "the startup line tells of no rehearsal: " + startup);
            assertEquals(2, startup.size(), "only the usual startup lines: " + startup);
            assertTrue(startup.get(0).contains("config revision 1 from CONFIG_JSON is running"), startup.get(0));
            assertEquals(0, peer.calls(), "calls that reached the configured peer before any request");

            List<String> outcomes = outcomes(thespian);
            long failed = outcomes.stream().filter(outcome -> !outcome.equals("OK")).count();

            assertEquals(CALLS, peer.calls(), "calls that reached the configured peer");
            List<String> requestLines = thespian.awaitStdout(lines -> requestLines(lines) == CALLS, PATIENCE);
            assertEquals(CALLS, requestLines(requestLines), "request lines: " + requestLines);
            assertEquals(failed, requestLines.stream().filter(line -> line.contains("\"level\":\"ERROR\"")).count(),
                    "ERROR lines, one per failed coin");
            List<ReceivedSpan> spans = otlp.awaitSpans(all -> serverSpans(all) >= CALLS, PATIENCE);
            assertEquals(CALLS, serverSpans(spans), "SERVER spans exported");
            // Each call: its SERVER span, the function, the peer call and the coin.
            assertEquals(4 * CALLS, otlp.awaitSpans(all -> all.size() >= 4 * CALLS, PATIENCE).size(), "spans exported");
            List<ReceivedMetric> metrics = otlp.awaitMetrics(all -> durationsCounted(all) >= CALLS, PATIENCE);
            assertEquals(CALLS, durationsCounted(metrics), "calls counted in rpc.server.duration");
            if (failed > 0) {
                assertEquals((double) failed, ReceivedMetric.latest(otlp.awaitMetrics(all -> ReceivedMetric
                        .latest(all, "thespian", "thespian.action.failures").isPresent(), PATIENCE), "thespian",
                        "thespian.action.failures").orElseThrow().points().get(0).value(), "failures counted");
            }
        }
    }

    @Test
    void offStartsWithoutARehearsalAndTheSeededDiceRollTheSameEitherWay() throws Exception {
        Map<String, List<String>> outcomes = new HashMap<>();
        for (String warmUp : List.of("on", "off")) {
            try (ThespianProcess thespian = ThespianProcess.start(env(warmUp, Map.of("THESPIAN_SEED", "7")))) {
                String startup = String.join("\n", thespian.awaitStdout(
                        lines -> lines.stream().anyMatch(l -> l.contains("serving")), PATIENCE));
                assertEquals(warmUp.equals("off"), startup.contains("warm-up off (THESPIAN_WARMUP)"), startup);
                outcomes.put(warmUp, outcomes(thespian));
            }
        }
        assertTrue(outcomes.get("off").contains("OK") && !outcomes.get("off").stream().allMatch("OK"::equals),
                "a coin that never or always fails proves nothing: " + outcomes.get("off"));
        assertEquals(outcomes.get("off"), outcomes.get("on"), "the rehearsal rolled the service's dice");
    }

    @Test
    void aCastRehearsesEveryMemberBeforeServingAndShowsNothingOfIt(@TempDir Path dir) throws Exception {
        int front = ThespianProcess.freePort();
        Path cast = Files.writeString(dir.resolve("pair.cast.yaml"), """
                name: pair
                members:
                  - name: front
                    port: %d
                    config: {grpc_method_a: {tracing_name: page, operations: [
                      {Action: {CallService: {tracing_name: ask, service_address: "http://back", service_port: "6379",
                                              grpc_method: A}}}]}}
                  - name: back
                    port: %d
                    config: {grpc_method_a: {tracing_name: answer, operations: [
                      {Action: {Sleep: {tracing_name: think, duration_ms: 5, failure_chance: 0.5}}}]}}
                """.formatted(front, ThespianProcess.freePort()));
        try (ThespianProcess running = ThespianProcess.launch(Map.of("THESPIAN_WARMUP", "on"), "cast",
                cast.toString())) {
            // The cast's line is logged (in batches) beside the member table, printed at once: either may come first.
            List<String> startup = running.awaitStdout(lines -> lines.contains("Ctrl-C stops them all.")
                    && rehearsedCalls(lines) > 0, PATIENCE);
            assertTrue(rehearsedCalls(startup) > 0, "the cast's line tells of no rehearsal: " + startup);
            assertEquals(0, requestLines(startup), "request lines before any request: " + startup);

            ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", front,
                    InsecureChannelCredentials.create()).build();
            try {
                ThespianGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                        .a(Nothing.getDefaultInstance());
            } catch (StatusRuntimeException coinFailed) {
                // back's coin: one ERROR line more, no call more
            } finally {
                channel.shutdownNow();
            }
            List<String> lines = running.awaitStdout(all -> requestLines(all) == 2, PATIENCE);
            assertEquals(2, requestLines(lines), "one request line for front's call, one for back's: " + lines);
        }
    }

    @Test
    void theDemoCountsOnlyItsOwnRequests() throws Exception {
        try (ThespianProcess demo = ThespianProcess.launch(Map.of("THESPIAN_WARMUP", "on"), "demo")) {
            assertEquals(0, demo.awaitExit(Duration.ofMinutes(2)), demo.stderr());
            String out = String.join("\n", demo.stdout());
            assertEquals(8, Pattern.compile("(?m)^request \\d: ").matcher(out).results().count(), out);
            // The summary's row: frontend answered the demo's 8 requests, and nothing else.
            assertTrue(Pattern.compile("(?m)^frontend +8 ").matcher(out).find(), out);
        }
    }

    private Map<String, String> env(String warmUp, Map<String, String> more) {
        Map<String, String> env = new HashMap<>(more);
        env.put("CONFIG_JSON", CONFIG.formatted(peer.port()));
        env.put("THESPIAN_WARMUP", warmUp);
        return env;
    }

    /** OK, or the code of the failure, for each of {@link #CALLS} calls of A in turn. */
    private static List<String> outcomes(ThespianProcess thespian) {
        List<String> outcomes = new ArrayList<>();
        for (int i = 0; i < CALLS; i++) {
            try {
                thespian.blockingStub().a(Nothing.getDefaultInstance());
                outcomes.add("OK");
            } catch (StatusRuntimeException e) {
                outcomes.add(e.getStatus().getCode().name());
            }
        }
        return outcomes;
    }

    private static int rehearsedCalls(List<String> lines) {
        for (String line : lines) {
            Matcher rehearsed = REHEARSED.matcher(line);
            if (rehearsed.find()) {
                return Integer.parseInt(rehearsed.group(1));
            }
        }
        return 0;
    }

    private static long requestLines(List<String> lines) {
        return lines.stream().filter(line -> line.contains("\"logger\":\"thespian.request\"")).count();
    }

    private static long serverSpans(List<ReceivedSpan> spans) {
        return spans.stream().filter(span -> span.kind().equals("SERVER")).count();
    }

    private static long durationsCounted(List<ReceivedMetric> metrics) {
        return ReceivedMetric.latest(metrics, "thespian", "rpc.server.duration")
                .map(metric -> metric.points().stream().mapToLong(ReceivedMetric.Point::count).sum())
                .orElse(0L);
    }
}
