package org.thespian.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.thespian.cast.Cast;
import org.thespian.cast.CastParser;
import org.thespian.cast.CastServers;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;
import org.thespian.proto.ThespianGrpc.ThespianBlockingStub;
import org.thespian.testsupport.OtlpReceiver;
import org.thespian.testsupport.ReceivedMetric;
import org.thespian.testsupport.ThespianProcess;

/**
 * A cast in this JVM, started as {@code cast FILE} starts it, over real gRPC: its members draw on one memory cap, one
 * fire-and-forget cap and one CPU pool, the process's, not one each.
 */
class CastBudgetTest {

    private static final List<String> MEMBERS = List.of("a", "b", "c", "d");
    private static final String MEMBER_CONFIG = """
            {grpc_method_a: {tracing_name: leak, operations: [
               {Action: {Memory: {tracing_name: leak, megabytes: 8, hold_ms: forever}}}]},
             grpc_method_b: {tracing_name: notify, operations: [
               {Action: {CallService: {service_address: "http://sink", service_port: 6379, grpc_method: A, wait: false}}}]},
             grpc_method_c: {tracing_name: hash, operations: [
               {Action: {Cpu: {tracing_name: hash, duration_ms: 400}}}]}}""";
    private static final String SINK_CONFIG = """
            {grpc_method_a: {tracing_name: consume, operations: [
               {Action: {Sleep: {tracing_name: slowly, duration_ms: 20000}}}]}}""";
    private static final String METRIC_INTERVAL = "otel.metric.export.interval";

    private final List<ManagedChannel> channels = new CopyOnWriteArrayList<>();
    private OtlpReceiver otlp;
    private Serving.Running<CastServers> running;
    private Cast cast;

    @BeforeEach
    void start(@TempDir Path dir) throws Exception {
        StringBuilder file = new StringBuilder("name: budget\nmembers:\n");
        for (String member : MEMBERS) {
            file.append("  - {name: ").append(member).append(", port: ").append(ThespianProcess.freePort())
                    .append(", config: ").append(MEMBER_CONFIG.replace("\n", " ")).append("}\n");
        }
        file.append("  - {name: sink, port: ").append(ThespianProcess.freePort()).append(", config: ")
                .append(SINK_CONFIG.replace("\n", " ")).append("}\n");
        cast = CastParser.parse(Files.writeString(dir.resolve("budget.cast.yaml"), file));
        otlp = OtlpReceiver.start();
        CastRunner.Checked checked = CastRunner.check(cast, Map.of("THESPIAN_MEMORY_CAP_MB", "20",
                "THESPIAN_MAX_BACKGROUND_CALLS", "2", "THESPIAN_CPU_THREADS", "1",
                "OTEL_BACKEND_ADDRESS", otlp.grpcEndpoint(), "THESPIAN_WARMUP", "off"));
        System.setProperty(METRIC_INTERVAL, "300");
        try {
            running = CastRunner.start(checked, false, member -> List.of());
        } finally {
            System.clearProperty(METRIC_INTERVAL);
        }
    }

    @AfterEach
    void stop() throws Exception {
        channels.forEach(ManagedChannel::shutdownNow);
        if (running != null) {
            running.stop(Duration.ZERO, Duration.ofSeconds(1));
        }
        otlp.close();
    }

    @Test
    void theMembersTogetherHoldNoMoreThanTheProcesssMemoryCapAndTheRefusalSaysSo() {
        call("a", LEAK);
        call("b", LEAK);

        for (String member : List.of("c", "d")) {
            StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
                    () -> call(member, LEAK), member + " held memory past the process's cap");
            assertEquals(Status.Code.RESOURCE_EXHAUSTED, refused.getStatus().getCode());
            assertEquals("leak > leak: holding 8 MB more would pass the memory cap: 16 of 20 MB held by this"
                    + " process's 5 members, 0 of them by this one (THESPIAN_MEMORY_CAP_MB)",
                    refused.getStatus().getDescription());
        }
    }

    @Test
    void theMembersTogetherHaveNoMoreFireAndForgetCallsInFlightThanTheProcesssCapAndDropsAreCounted()
            throws Exception {
        for (String member : List.of("a", "b", "c")) {
            call(member, NOTIFY); // each leaves a call to sink in flight for 20 s, or drops it
        }

        List<ReceivedMetric> metrics = otlp.awaitMetrics(all -> ReceivedMetric.latest(all, "c",
                "thespian.background.dropped").isPresent(), Duration.ofSeconds(20));
        ReceivedMetric dropped = ReceivedMetric.latest(metrics, "c", "thespian.background.dropped").orElseThrow();
        assertEquals("SUM", dropped.type());
        assertEquals(1.0, dropped.points().get(0).value(), "the third member's call: " + dropped);
        for (String member : List.of("a", "b")) {
            assertEquals(0.0, ReceivedMetric.latest(metrics, member, "thespian.background.dropped")
                    .map(metric -> metric.points().isEmpty() ? 0.0 : metric.points().get(0).value()).orElse(0.0),
                    member + " dropped nothing");
        }
    }

    /** A burn counts CPU time, so on the one thread the second burn ends a whole burn after the first, however busy. */
    @Test
    void theMembersBurnOnTheProcesssOneCpuPool() throws Exception {
        long started = System.nanoTime();
        CompletableFuture<Void> a = CompletableFuture.runAsync(() -> call("a", BURN));
        CompletableFuture<Void> b = CompletableFuture.runAsync(() -> call("b", BURN));
        CompletableFuture.allOf(a, b).get(60, TimeUnit.SECONDS);

        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertTrue(took.toMillis() >= 800, "two 400 ms burns in two members on THESPIAN_CPU_THREADS=1 took " + took);
    }

    private static final Function<ThespianBlockingStub, ?> LEAK = stub -> stub.a(Nothing.getDefaultInstance());
    private static final Function<ThespianBlockingStub, ?> NOTIFY = stub -> stub.b(Nothing.getDefaultInstance());
    private static final Function<ThespianBlockingStub, ?> BURN = stub -> stub.c(Nothing.getDefaultInstance());

    private void call(String member, Function<ThespianBlockingStub, ?> method) {
        int port = cast.members().stream().filter(m -> m.name().equals(member)).findFirst().orElseThrow().port();
        ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", port,
                InsecureChannelCredentials.create()).build();
        channels.add(channel);
        method.apply(ThespianGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS));
    }
}
