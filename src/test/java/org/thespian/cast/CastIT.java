package org.thespian.cast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.thespian.admin.proto.AdminGrpc;
import org.thespian.admin.proto.GetStatsRequest;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;
import org.thespian.testsupport.ThespianProcess;

/** {@code cast FILE} and {@code demo} as a user runs them: the jar as a process, its output and its exit code. */
@Execution(ExecutionMode.CONCURRENT) // each test starts processes of its own
class CastIT {

    private static final Duration EXIT = Duration.ofSeconds(60);
    /** The live view on a port of its own: 8080 is for the docs' casts, which DocCommandsIT runs as written. */
    private static final String ANY_VIEW_PORT = "127.0.0.1:0";

    @TempDir
    Path dir;

    @Test
    void castRunsEveryMemberInOneProcessPrintsTheTableAndStopsOnSigterm() throws Exception {
        int front = ThespianProcess.freePort();
        int back = ThespianProcess.freePort();
        Files.writeString(dir.resolve("back.json"), """
                {"grpc_method_b": {"tracing_name": "store", "operations": [
                   {"Action": {"Sleep": {"tracing_name": "write", "duration_ms": 10}}}]}}""");
        Path cast = dir.resolve("pair.cast.yaml");
        Files.writeString(cast, """
                name: pair
                members:
                  - name: front
                    port: %d
                    config: {grpc_method_a: {tracing_name: serve, operations: [
                      {Action: {CallService: {service_address: "http://back", service_port: 6379, grpc_method: B}}}]}}
                  - name: back
                    port: %d
                    config: back.json
                """.formatted(front, back));
        try (ThespianProcess process = ThespianProcess.start(Map.of("PORT", String.valueOf(front)), "cast",
                cast.toString(), "--ui", ANY_VIEW_PORT)) {
            process.blockingStub().a(Nothing.getDefaultInstance());
            process.signal("TERM"); // with kill(1): Process.destroy() would close the pipes, and lose the last lines
            assertEquals(0, process.awaitExit(EXIT), process.stderr());
            String stdout = String.join("\n", process.stdout());
            assertTrue(stdout.contains("cast pair: 2 members in one JVM"), stdout);
            assertTrue(stdout.matches("(?s).*\\n  front +127\\.0\\.0\\.1:" + front + " +back\\n.*"), stdout);
            assertTrue(stdout.matches("(?s).*\\n  back +127\\.0\\.0\\.1:" + back + " +-\\n.*"), stdout);
            // The stop of a single instance: the drain said, then the last line.
            assertTrue(stdout.contains("SIGTERM: stopping: refusing new calls, letting 0 calls in flight finish"
                    + " within 10 s"), stdout);
            assertTrue(process.stdout().get(process.stdout().size() - 1).contains("\"message\":\"Stopped\""),
                    stdout);
        }
    }

    /**
     * The hedged-replicas scenario of example-configs/, on free ports, as its comment says to run it: with stock-2
     * slow, the unhedged method meets it one call in three, the hedged one hides it.
     */
    @Test
    void hedgingHidesTheSlowReplicaThatTheUnhedgedMethodMeets() throws Exception {
        int front = ThespianProcess.freePort();
        Path cast = dir.resolve("hedged-replicas.cast.yaml");
        Files.writeString(cast, Files.readString(CastParserTest.SHOP.resolveSibling("hedged-replicas.cast.yaml"))
                .replace("    port: 6379\n", "    port: " + front + "\n")
                .replace("    port: 6380\n", "    port: " + ThespianProcess.freePort() + "\n"));
        try (ThespianProcess process = ThespianProcess.start(Map.of("PORT", String.valueOf(front)), "cast",
                cast.toString(), "--ui", "off")) {
            process.awaitStdout(lines -> lines.contains("Ctrl-C stops them all."), EXIT);
            Metadata slowStock2 = new Metadata();
            slowStock2.put(Metadata.Key.of("thespian-fault", Metadata.ASCII_STRING_MARSHALLER), "stock-2:delay=300ms");
            var stub = ThespianGrpc.newBlockingStub(process.channel())
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(slowStock2));
            // Until every replica has been reached once, the round robin may skip one (its first connect attempt
            // came before it listened): warm up until a call of B meets stock-2.
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (millis(() -> stub.withDeadlineAfter(5, TimeUnit.SECONDS).b(Nothing.getDefaultInstance())) < 300
                    && System.nanoTime() < until) {
                Thread.sleep(10);
            }
            List<Long> unhedged = new ArrayList<>();
            List<Long> hedged = new ArrayList<>();
            // One method after the other: interleaved, a hedge's extra pick would steer the other method's calls
            // around stock-2 in the round robin.
            for (int i = 0; i < 30; i++) {
                unhedged.add(millis(() -> stub.withDeadlineAfter(5, TimeUnit.SECONDS).b(Nothing.getDefaultInstance())));
            }
            for (int i = 0; i < 30; i++) {
                hedged.add(millis(() -> stub.withDeadlineAfter(5, TimeUnit.SECONDS).a(Nothing.getDefaultInstance())));
            }
            Collections.sort(unhedged);
            Collections.sort(hedged);
            assertTrue(unhedged.get(unhedged.size() - 5) >= 300, "a third of B's calls meet stock-2: " + unhedged);
            // A slow attempt is hedged after 30 ms: the worst calls take about 40 ms on a quiet machine, and stay
            // below the 300 ms that stock-2 holds a call on a busy one.
            assertTrue(hedged.get(hedged.size() - 5) < 300, "A's tail with hedging: " + hedged);
        }
    }

    private static long millis(Runnable call) {
        long start = System.nanoTime();
        call.run();
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }

    /** The bad-replica scenario of example-configs/, on free ports, as its comment says to run it. */
    @Test
    void aMemberWithReplicasRunsEachOnAPortOfItsOwnAndCallsToItTakeTurnsAtThem() throws Exception {
        int front = ThespianProcess.freePort();
        int payment = ThespianProcess.freePort();
        Path cast = dir.resolve("bad-replica.cast.yaml");
        Files.writeString(cast, Files.readString(CastParserTest.SHOP.resolveSibling("bad-replica.cast.yaml"))
                .replace("    port: 6379\n", "    port: " + front + "\n")
                .replace("    port: 6380\n", "    port: " + payment + "\n"));
        try (ThespianProcess process = ThespianProcess.start(Map.of("PORT", String.valueOf(front)), "cast",
                cast.toString(), "--ui", ANY_VIEW_PORT)) {
            String table = String.join("\n", process.awaitStdout(
                    lines -> lines.contains("Ctrl-C stops them all."), EXIT));
            assertTrue(table.contains("cast bad-replica: 2 members, 4 instances in one JVM"), table);
            List<Integer> replicas = new ArrayList<>();
            for (int i = 1; i <= 3; i++) {
                Matcher row = Pattern.compile("\\n  payment-" + i + " +127\\.0\\.0\\.1:(\\d+) +-\\n").matcher(table);
                assertTrue(row.find(), table);
                replicas.add(Integer.parseInt(row.group(1)));
            }
            assertEquals(payment, replicas.get(0), "the first replica keeps the member's port");
            assertEquals(3, Set.copyOf(replicas).size(), table);

            List<ListenableFuture<Nothing>> calls = new ArrayList<>();
            for (int i = 0; i < 300; i++) { // 8 at a time: each call takes about 25 ms
                calls.add(ThespianGrpc.newFutureStub(process.channel()).withDeadlineAfter(30, TimeUnit.SECONDS)
                        .a(Nothing.getDefaultInstance()));
                if (calls.size() >= 8) {
                    calls.remove(0).get();
                }
            }
            for (ListenableFuture<Nothing> call : calls) {
                call.get();
            }
            List<Long> spread = new ArrayList<>();
            for (int port : replicas) {
                try (Replica replica = new Replica(port)) {
                    spread.add(replica.callsOfB());
                    Status.Code injected = replica.outcomeOfB("payment-2:abort=UNAVAILABLE");
                    assertEquals(port == replicas.get(1) ? Status.Code.UNAVAILABLE : Status.Code.OK, injected,
                            "only payment-2 is named by the plan");
                }
            }
            assertEquals(300, spread.stream().mapToLong(Long::longValue).sum(), spread.toString());
            assertTrue(spread.stream().allMatch(count -> count >= 60 && count <= 141),
                    "each replica gets about a third: " + spread);

            process.terminate();
            assertEquals(0, process.awaitExit(EXIT), process.stderr());
            assertTrue(process.stdout().stream().noneMatch(line -> line.contains("\"level\":\"WARN\"")
                    && line.contains("opentelemetry")), "the SDK's own instance id is not replaced with a warning");
            for (int i = 1; i <= 3; i++) {
                String instance = "\"service_instance_id\":\"payment-" + i + "\"";
                assertTrue(process.stdout().stream().anyMatch(line -> line.contains("\"service_name\":\"payment\"")
                        && line.contains(instance)), "payment-" + i + "'s request lines name it");
            }
        }
    }

    /** A channel to one replica, for its admin service's stats and a call with a fault plan. */
    private static final class Replica implements AutoCloseable {
        private final ManagedChannel channel;

        Replica(int port) {
            channel = Grpc.newChannelBuilderForAddress("127.0.0.1", port, InsecureChannelCredentials.create()).build();
        }

        long callsOfB() {
            return AdminGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .getStats(GetStatsRequest.getDefaultInstance()).getMethodsList().stream()
                    .filter(method -> method.getMethod().equals("thespian.Thespian/B"))
                    .mapToLong(method -> method.getCalls()).sum();
        }

        Status.Code outcomeOfB(String faultPlan) {
            Metadata headers = new Metadata();
            headers.put(Metadata.Key.of("thespian-fault", Metadata.ASCII_STRING_MARSHALLER), faultPlan);
            try {
                ThespianGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                        .b(Nothing.getDefaultInstance());
                return Status.Code.OK;
            } catch (StatusRuntimeException e) {
                return e.getStatus().getCode();
            }
        }

        @Override
        public void close() {
            channel.shutdownNow();
        }
    }

    @Test
    void aCastLogsWhereTelemetryGoesAndWarnsOfAdminServicesWithoutAToken() throws Exception {
        int open = ThespianProcess.freePort();
        int guarded = ThespianProcess.freePort();
        Path cast = dir.resolve("admins.cast.yaml");
        Files.writeString(cast, """
                name: admins
                members:
                  - {name: open, port: %d, config: {}, env: {THESPIAN_ADMIN: true}}
                  - {name: guarded, port: %d, config: {}, env: {THESPIAN_ADMIN: true, THESPIAN_ADMIN_TOKEN: s3cret-s3cret-s3cret}}
                  - {name: plain, port: %d, config: {}}
                """.formatted(open, guarded, ThespianProcess.freePort()));
        try (ThespianProcess process = ThespianProcess.start(Map.of("PORT", String.valueOf(open)), "cast",
                cast.toString(), "--ui", ANY_VIEW_PORT)) {
            List<String> lines = process.awaitStdout(all -> all.stream().anyMatch(line -> line.contains("WITHOUT")),
                    EXIT);
            String stdout = String.join("\n", lines);
            assertTrue(stdout.contains("serving 3 members in one JVM; telemetry: traces to nowhere"), stdout);
            assertTrue(lines.stream().anyMatch(line -> line.contains("\"level\":\"WARN\"") && line.contains(
                    "Admin service thespian.admin.v1.Admin is on WITHOUT a token in open (port " + open + "): anyone")),
                    stdout);
            assertTrue(stdout.contains("Admin service thespian.admin.v1.Admin is on in guarded (port " + guarded
                    + "); calls need authorization"), stdout);
            assertTrue(lines.stream().noneMatch(line -> line.contains("plain (port")), stdout);
        }
    }

    @Test
    void aBadCastExitsTwoWithOneLineNamingTheFileTheMemberAndThePath() throws Exception {
        Path cast = dir.resolve("bad.cast.yaml");
        Files.writeString(cast, "name: bad\nmembers:\n  - {name: api, port: 0, config: {}}\n");
        try (ThespianProcess process = ThespianProcess.launch(Map.of(), "cast", cast.toString())) {
            assertEquals(2, process.awaitExit(EXIT));
            assertEquals("thespian: " + cast + ": member \"api\": members[0].port: expected a whole number from 1 to"
                    + " 65535, got 0", process.stderr());
        }
        Path typo = dir.resolve("typo.cast.yaml");
        Files.writeString(typo, """
                name: typo
                members:
                  - {name: front, port: 7000, config: {grpc_method_a: {tracing_name: t, operations: [
                      {Action: {CallService: {service_address: "http://bak", service_port: 6379, grpc_method: B}}}]}}}
                  - {name: back, port: 7001, config: {}}
                """);
        try (ThespianProcess process = ThespianProcess.launch(Map.of(), "cast", typo.toString())) {
            assertEquals(2, process.awaitExit(EXIT));
            assertEquals("thespian: " + typo + ": member \"front\": members[0].config.grpc_method_a.operations[0].Action"
                    + ".CallService.service_address: http://bak:6379 names no member of the cast (did you mean"
                    + " \"back\"?); a host outside the cast needs a dot, an IP address, localhost or a service_port"
                    + " other than 6379", process.stderr());
        }
        try (ThespianProcess process = ThespianProcess.launch(Map.of("THESPIAN_SEED", "x"), "cast",
                CastParserTest.SHOP.toString())) {
            assertEquals(2, process.awaitExit(EXIT));
            assertEquals("thespian: THESPIAN_SEED must be a whole number, got \"x\"", process.stderr());
        }
    }

    @Test
    void aMemberNamedLikeAStackServiceIsRefusedForComposeWithExitTwoAndAHint() throws Exception {
        Path cast = dir.resolve("logs.cast.yaml");
        Files.writeString(cast, "name: logs\nmembers:\n  - {name: loki, port: 7100, config: {}}\n");
        Path out = dir.resolve("compose.yaml");
        // From the checkout, as --emit compose needs: the stack's names are read from its Compose file.
        try (ThespianProcess process = ThespianProcess.launch(Map.of(), "cast", cast.toString(), "--emit", "compose",
                "--out", out.toString())) {
            assertEquals(2, process.awaitExit(EXIT));
            assertEquals("thespian: " + cast + ": member \"loki\": members[0].name: the observability stack"
                    + " (instrumentation/docker-compose.yaml) has a service named \"loki\"; rename the member, e.g."
                    + " \"logs-loki\"", process.stderr());
        }
        assertFalse(Files.exists(out), "nothing is written");
    }

    @Test
    void demoRunsTheShopSendsRequestsPrintsTracesAndASummaryAndExitsZero() throws Exception {
        // With the warm-up on, as a user runs it: its rehearsal calls must show in none of the counts and trees below
        // (one demo checks both: each warm-up costs about 2 s of both cores).
        try (ThespianProcess process = ThespianProcess.launch(Map.of("THESPIAN_WARMUP", "on"), "demo")) {
            assertEquals(0, process.awaitExit(EXIT), process.stderr());
            List<String> stdout = process.stdout();
            assertEquals(8, stdout.stream().filter(line -> line.matches("request \\d: (OK|[A-Z_]+: .*) in [\\d.]+ ms"))
                    .count(), String.join("\n", stdout));
            int header = stdout.indexOf(stdout.stream().filter(line -> line.startsWith("service ")).findFirst()
                    .orElseThrow(() -> new AssertionError("no summary: " + stdout)));
            List<String> rows = stdout.subList(header + 1, header + 6);
            assertEquals(List.of("frontend", "catalog", "checkout", "payment", "inventory"),
                    rows.stream().map(row -> row.split("\\s+")[0]).toList());
            assertTrue(rows.get(0).matches("frontend +8 .*"), rows.get(0));
            for (String service : List.of("frontend", "catalog", "checkout", "payment")) {
                assertEquals(8, process.stderr().lines()
                        .filter(line -> line.contains("thespian.Thespian/")
                                && line.matches(".*\\[SERVER] \\(" + service + "(-\\d+)?\\).*")) // or its replica
                        .count(), () -> "each trace shows " + service + ": " + process.stderr());
            }
            assertEquals(8, process.stderr().lines().filter(line -> line.contains("|  ") && line.endsWith("validate cart"))
                    .count(), "checkout's own spans are in each tree: " + process.stderr());
        }
    }
}
