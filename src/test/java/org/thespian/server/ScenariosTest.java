package org.thespian.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.thespian.config.ConfigParser;
import org.thespian.engine.Dice;
import org.thespian.engine.EngineLimits;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;

/**
 * Every scenario in example-configs/scenarios/ loaded and run on a real port, as its header says to run it
 * (with the port it calls itself on swapped for a free one), and showing what the header says to look for.
 */
@Execution(ExecutionMode.CONCURRENT) // each test runs its own server; most of their time is spent waiting
class ScenariosTest {

    private static final Path SCENARIOS = Path.of(System.getProperty("thespian.basedir", ""))
            .toAbsolutePath().resolve("example-configs/scenarios");
    private static final Nothing NOTHING = Nothing.getDefaultInstance();

    private ThespianServer server;
    private ManagedChannel channel;

    @AfterEach
    void stop() throws InterruptedException {
        if (channel != null) {
            channel.shutdownNow();
        }
        if (server != null) {
            server.stop(Duration.ZERO);
        }
    }

    @Test
    void everyScenarioIsRunHere() throws IOException {
        try (Stream<Path> files = Files.list(SCENARIOS)) {
            assertEquals(Set.of("slow-dependency.jsonc", "flaky-payment.jsonc", "retry-storm.jsonc",
                    "saturated-database.jsonc", "memory-leak.jsonc", "outbox-bus-consumer.jsonc"),
                    Set.copyOf(files.map(file -> file.getFileName().toString()).toList()));
        }
    }

    @Test
    void slowDependencyAnswersWithALongTail() throws Exception {
        start("slow-dependency.jsonc", EngineLimits.DEFAULT);
        assertEquals(Map.of(Status.Code.OK, 40), outcomes(40));
    }

    @Test
    void flakyPaymentSurfacesThePaymentsCodeWithTheWholePath() throws Exception {
        start("flaky-payment.jsonc", EngineLimits.DEFAULT);
        Map<Status.Code, Integer> outcomes = outcomes(60);
        assertTrue(outcomes.containsKey(Status.Code.OK) && outcomes.containsKey(Status.Code.UNAVAILABLE), outcomes.toString());
        assertTrue(Set.of(Status.Code.OK, Status.Code.UNAVAILABLE, Status.Code.DEADLINE_EXCEEDED)
                .containsAll(outcomes.keySet()), outcomes.toString());
        String message = firstFailure(Status.Code.UNAVAILABLE);
        assertTrue(message.startsWith("checkout > call payment: peer http://localhost:" + server.port()
                + " (thespian.Thespian/B) answered UNAVAILABLE: payment > charge card: payment provider unavailable"),
                message);
    }

    @Test
    void retryStormIsHeldBackByTimeouts() throws Exception {
        start("retry-storm.jsonc", EngineLimits.DEFAULT);
        long start = System.nanoTime();
        Map<Status.Code, Integer> outcomes = outcomes(20);
        assertTrue(Set.of(Status.Code.OK, Status.Code.UNAVAILABLE, Status.Code.DEADLINE_EXCEEDED)
                .containsAll(outcomes.keySet()), outcomes.toString());
        assertTrue(outcomes.containsKey(Status.Code.OK), outcomes.toString());
        // 20 calls one after another, each at most 3 attempts of 400 ms plus backoff.
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(20 * 13 / 10), "the timeouts did not cut");
    }

    @Test
    void saturatedDatabaseQueuesUpToItsPool() throws Exception {
        start("saturated-database.jsonc", EngineLimits.DEFAULT);
        stub().a(NOTHING); // warm
        long start = System.nanoTime();
        List<CompletableFuture<Status.Code>> calls = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            calls.add(CompletableFuture.supplyAsync(() -> call(stub()::a)));
        }
        for (CompletableFuture<Status.Code> call : calls) {
            assertEquals(Status.Code.OK, call.get(30, TimeUnit.SECONDS));
        }
        // 64 queries of 10 ms, 4 at a time, take at least 16 rounds.
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(160), "the pool let more than 4 run");
    }

    @Test
    void memoryLeakReachesTheCapAndFailsWithResourceExhausted() throws Exception {
        start("memory-leak.jsonc", new EngineLimits(100_000, 10_000, 1, 100L * 1024 * 1024));
        for (int i = 0; i < 20; i++) {
            assertEquals(Status.Code.OK, call(stub()::a), "call " + (i + 1));
        }
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, call(stub()::a));
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, call(stub()::b), "a spike past the cap was allowed");
    }

    @Test
    void outboxBusConsumerAnswersWithoutWaitingForTheConsumer() throws Exception {
        start("outbox-bus-consumer.jsonc", EngineLimits.DEFAULT);
        assertEquals(Map.of(Status.Code.OK, 20), outcomes(20));
    }

    private void start(String scenario, EngineLimits limits) throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        String config = Files.readString(SCENARIOS.resolve(scenario))
                .replace("\"service_port\": 6379", "\"service_port\": " + port);
        server = ThespianServer.start(port, ConfigParser.parse(config), Dice.of(OptionalLong.of(5)),
                InsecureChannelCredentials.create(), Instrumentation.NONE, ServerLimits.defaults().withEngine(limits));
        channel = Grpc.newChannelBuilderForAddress("127.0.0.1", port, InsecureChannelCredentials.create()).build();
    }

    private ThespianGrpc.ThespianBlockingStub stub() {
        return ThespianGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS);
    }

    private Map<Status.Code, Integer> outcomes(int calls) {
        Map<Status.Code, Integer> outcomes = new EnumMap<>(Status.Code.class);
        for (int i = 0; i < calls; i++) {
            outcomes.merge(call(stub()::a), 1, Integer::sum);
        }
        return outcomes;
    }

    private String firstFailure(Status.Code code) {
        for (int i = 0; i < 200; i++) {
            try {
                stub().a(NOTHING);
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() == code) {
                    return e.getStatus().getDescription();
                }
            }
        }
        throw new AssertionError("no " + code + " in 200 calls");
    }

    private static Status.Code call(Function<Nothing, Nothing> method) {
        try {
            method.apply(NOTHING);
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
    }
}
