package org.thespian.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
import org.thespian.testsupport.Loopback;
import org.thespian.testsupport.OtlpReceiver;
import org.thespian.testsupport.ReceivedMetric;
import org.thespian.testsupport.ReceivedSpan;
import org.thespian.testsupport.ThespianProcess;

/**
 * THESPIAN_WARMUP, from outside the process: the warm-up happens while the process listens on loopback ports of its
 * own and its real ports are closed, and none of it is seen in the logs, the exported spans and metrics, the live
 * view, the configured peer or the service's seeded dice. Each warm-up costs a test about 2 s of both cores, so the
 * tests check all they can on few processes. That the demo counts only its own requests is CastIT's demo test, which
 * runs it with the warm-up on.
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
    private static final Pattern VIEW = Pattern.compile("live view: (http://127\\.0\\.0\\.1:[0-9]+/\\S*)");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String REQUEST_LOGGER = "\"logger\":\"thespian.request\"";

    private final CountingPeer peer;

    WarmUpIT() throws Exception {
        peer = CountingPeer.start();
    }

    @AfterEach
    void stopPeer() {
        peer.close();
    }

    @Test
    void theRehearsalComesBeforeThePortOpensAndIsNeitherLoggedNorExportedNorCountedNorSentToThePeer()
            throws Exception {
        List<String> warmedOutcomes;
        try (OtlpReceiver otlp = OtlpReceiver.start();
                ThespianProcess thespian = ThespianProcess.launch(env("on", Map.of(
                        "OTEL_BACKEND_ADDRESS", otlp.grpcEndpoint(), "OTEL_METRIC_EXPORT_INTERVAL", "300",
                        "OTEL_BSP_SCHEDULE_DELAY", "100")))) {
            assertTrue(listenedElsewhereBeforeItsPorts(thespian, Set.of(thespian.port())),
                    "no rehearsal seen before the port opened");
            thespian.awaitServing();
            List<String> startup = thespian.awaitStdout(lines -> lines.stream().anyMatch(l -> l.contains("serving")),
                    PATIENCE);
            assertTrue(rehearsedCalls(startup) > 0, "the startup line tells of no rehearsal: " + startup);
            assertEquals(2, startup.size(), "only the usual startup lines: " + startup);
            assertTrue(startup.get(0).contains("config revision 1 from CONFIG_JSON is running"), startup.get(0));
            assertEquals(0, peer.calls(), "calls that reached the configured peer before any request");

            warmedOutcomes = outcomes(thespian);
            long failed = warmedOutcomes.stream().filter(outcome -> !outcome.equals("OK")).count();

            assertEquals(CALLS, peer.calls(), "calls that reached the configured peer");
            List<String> lines = thespian.awaitStdout(all -> requestLines(all) == CALLS, PATIENCE);
            assertEquals(CALLS, requestLines(lines), "request lines: " + lines);
            assertEquals(failed, lines.stream().filter(line -> line.contains("\"level\":\"ERROR\"")).count(),
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
            // The rehearsal's servers stop in the background: nothing of theirs comes later either.
            List<String> others = thespian.stdout().stream()
                    .filter(line -> !line.contains(REQUEST_LOGGER) && !line.contains("\"logger\":\"thespian.action\""))
                    .toList();
            assertEquals(startup, others, "lines besides the startup lines, the requests' and the coins'");
        }
        try (ThespianProcess thespian = ThespianProcess.launch(env("off", Map.of()))) {
            assertFalse(listenedElsewhereBeforeItsPorts(thespian, Set.of(thespian.port())),
                    "something listened before the port opened, with the warm-up off");
            thespian.awaitServing();
            String startup = String.join("\n", thespian.awaitStdout(
                    lines -> lines.stream().anyMatch(l -> l.contains("serving")), PATIENCE));
            assertTrue(startup.contains("warm-up off (THESPIAN_WARMUP)"), startup);
            List<String> outcomes = outcomes(thespian);
            assertTrue(outcomes.contains("OK") && !outcomes.stream().allMatch("OK"::equals),
                    "a coin that never or always fails proves nothing: " + outcomes);
            assertEquals(outcomes, warmedOutcomes, "the rehearsal rolled the service's seeded dice");
        }
    }

    @Test
    void aBadValueStopsTheStartWithOneLineAndExitCode2() throws Exception {
        try (ThespianProcess thespian = ThespianProcess.launch(Map.of("THESPIAN_WARMUP", "later"))) {
            assertEquals(2, thespian.awaitExit(PATIENCE));
            assertEquals("thespian: THESPIAN_WARMUP must be true or false, got \"later\"", thespian.stderr());
            assertEquals(List.of(), thespian.stdout());
        }
    }

    @Test
    void aCastRehearsesEveryMemberBeforeItsPortsOpenAndTheLiveViewShowsNothingOfIt(@TempDir Path dir)
            throws Exception {
        int front = ThespianProcess.freePort();
        int back = ThespianProcess.freePort();
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
                """.formatted(front, back));
        try (ThespianProcess running = ThespianProcess.launch(Map.of("THESPIAN_WARMUP", "on"), "cast",
                cast.toString(), "--ui", "127.0.0.1:0")) {
            assertTrue(listenedElsewhereBeforeItsPorts(running, Set.of(front, back)),
                    "no rehearsal seen before the members' ports opened");
            // The cast's line is logged (in batches) beside the member table, printed at once: either may come first.
            List<String> startup = running.awaitStdout(lines -> lines.contains("Ctrl-C stops them all.")
                    && rehearsedCalls(lines) > 0, PATIENCE);
            assertTrue(rehearsedCalls(startup) > 0, "the cast's line tells of no rehearsal: " + startup);
            assertEquals(0, requestLines(startup), "request lines before any request: " + startup);
            Matcher view = VIEW.matcher(String.join("\n", startup));
            assertTrue(view.find(), "no live view: " + startup);
            URI traces = URI.create(view.group(1)).resolve("/api/traces");
            assertEquals(0, get(traces).path("traces").size(), "traces in the live view before any request");

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
            JsonNode shown = awaitTraces(traces);
            assertEquals(1, shown.size(), "traces in the live view after one request: " + shown);
            assertEquals("front", shown.get(0).path("root_service").asText(), shown.toString());
        }
    }

    /**
     * Watches the TCP ports {@code process} listens on until one of {@code ports} is among them, and says whether it
     * listened on others first (the rehearsal's servers, on loopback) while {@code ports} refused connections.
     */
    private static boolean listenedElsewhereBeforeItsPorts(ThespianProcess process, Set<Integer> ports)
            throws Exception {
        boolean elsewhere = false;
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (System.nanoTime() < deadline) {
            // First whether a port takes connections, then what listens: a port that refused was closed before.
            boolean refused = ports.stream().noneMatch(Loopback::listening);
            Set<Integer> listening = listeningPorts(process.pid());
            if (listening.stream().anyMatch(ports::contains)) {
                return elsewhere;
            }
            if (!listening.isEmpty()) {
                assertTrue(refused, "a port took a connection while /proc showed only " + listening + " listening");
                elsewhere = true;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("none of " + ports + " listened within " + PATIENCE + "; stderr: "
                + process.stderr());
    }

    /** From /proc: the TCP ports in LISTEN state whose sockets {@code pid} holds. */
    private static Set<Integer> listeningPorts(long pid) throws IOException {
        Path proc = Path.of("/proc", Long.toString(pid));
        Set<String> sockets = new HashSet<>();
        try (DirectoryStream<Path> descriptors = Files.newDirectoryStream(proc.resolve("fd"))) {
            for (Path descriptor : descriptors) {
                try {
                    String target = Files.readSymbolicLink(descriptor).toString();
                    if (target.startsWith("socket:[")) {
                        sockets.add(target.substring("socket:[".length(), target.length() - 1));
                    }
                } catch (NoSuchFileException closedMeanwhile) {
                    // a descriptor closed between the listing and the read
                }
            }
        }
        Set<Integer> ports = new HashSet<>();
        for (String table : List.of("tcp", "tcp6")) {
            Path file = proc.resolve("net").resolve(table);
            if (!Files.exists(file)) {
                continue;
            }
            List<String> rows = Files.readAllLines(file);
            for (String row : rows.subList(1, rows.size())) {
                String[] columns = row.trim().split("\\s+");
                boolean listens = columns[3].equals("0A");
                if (listens && sockets.contains(columns[9])) {
                    String local = columns[1];
                    ports.add(Integer.parseInt(local.substring(local.indexOf(':') + 1), 16));
                }
            }
        }
        return ports;
    }

    private static JsonNode get(URI uri) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        return JSON.readTree(response.body());
    }

    /** The live view's traces once it shows one: its spans reach it through a queue of their own. */
    private static JsonNode awaitTraces(URI traces) throws Exception {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        JsonNode shown = get(traces).path("traces");
        while (shown.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(100);
            shown = get(traces).path("traces");
        }
        return shown;
    }

    private Map<String, String> env(String warmUp, Map<String, String> more) {
        Map<String, String> env = new HashMap<>(more);
        env.put("CONFIG_JSON", CONFIG.formatted(peer.port()));
        env.put("THESPIAN_WARMUP", warmUp);
        env.put("THESPIAN_SEED", "7");
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
        return lines.stream().filter(line -> line.contains(REQUEST_LOGGER)).count();
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
