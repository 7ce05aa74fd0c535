package org.thespian.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.thespian.proto.Nothing;
import org.thespian.testsupport.InProcessThespian;
import org.thespian.testsupport.ThespianProcess;

/**
 * Three Thespians with different configs, client → middle → leaf, talking real gRPC on their own ports (in this
 * JVM: {@code TracesAcrossInstancesIT} runs a chain of jar processes).
 */
class ChainTest {

    private static final Nothing NOTHING = Nothing.getDefaultInstance();

    private static InProcessThespian leaf;
    private static InProcessThespian middle;
    private static InProcessThespian client;
    private static int deadPort;

    @BeforeAll
    static void startChain() {
        deadPort = ThespianProcess.freePort();
        leaf = InProcessThespian.start(Map.of("SERVICE_NAME", "database", "CONFIG_JSON", """
                {"grpc_method_a": {"tracing_name": "query", "operations": [
                    {"Action": {"Sleep": {"tracing_name": "read rows", "duration_ms": 50}}}]},
                 "grpc_method_b": {"tracing_name": "write", "operations": [
                    {"Action": {"Sleep": {"tracing_name": "disk full", "duration_ms": 5, "failure_chance": 1.0}}}]},
                 "grpc_method_c": null}"""));
        middle = InProcessThespian.start(Map.of("SERVICE_NAME", "backend", "CONFIG_JSON", """
                {"grpc_method_a": {"tracing_name": "handle", "operations": [
                    {"Action": {"Sleep": {"tracing_name": "parse", "duration_ms": 30}}},
                    {"Action": {"CallService": {"tracing_name": "query db", "service_address": "http://127.0.0.1",
                        "service_port": "%d", "grpc_method": "A"}}}]},
                 "grpc_method_b": {"tracing_name": "save", "operations": [
                    {"Action": {"CallService": {"tracing_name": "write db", "service_address": "127.0.0.1",
                        "service_port": %d, "grpc_method": "B"}}}]},
                 "grpc_method_c": {"tracing_name": "orphan", "operations": [
                    {"Action": {"CallService": {"tracing_name": "call nobody", "service_address": "127.0.0.1",
                        "service_port": "%d", "grpc_method": "A"}}}]}}"""
                .formatted(leaf.port(), leaf.port(), deadPort)));
        client = InProcessThespian.start(Map.of("SERVICE_NAME", "frontend", "CONFIG_JSON", """
                {"grpc_method_a": {"tracing_name": "page", "operations": [
                    {"Action": {"CallService": {"tracing_name": "call backend", "service_address": "http://127.0.0.1",
                        "service_port": "%1$d", "grpc_method": "A"}}},
                    {"Action": {"Sleep": {"tracing_name": "render", "duration_ms": 20}}}]},
                 "grpc_method_b": {"tracing_name": "submit", "operations": [
                    {"Action": {"CallService": {"tracing_name": "save order", "service_address": "http://127.0.0.1",
                        "service_port": "%1$d", "grpc_method": "B"}}}]},
                 "grpc_method_c": {"tracing_name": "lost", "operations": [
                    {"Action": {"CallService": {"tracing_name": "call orphan", "service_address": "http://127.0.0.1",
                        "service_port": "%1$d", "grpc_method": "C"}}}]}}""".formatted(middle.port())));
    }

    @AfterAll
    static void stopChain() {
        for (InProcessThespian thespian : new InProcessThespian[] {client, middle, leaf}) {
            if (thespian != null) {
                thespian.close();
            }
        }
    }

    @Test
    void aCallThroughTheChainSucceedsAndTakesTheConfiguredTime() {
        client.blockingStub().a(NOTHING); // warm-up: connections between the instances
        long[] millis = new long[5];
        for (int i = 0; i < millis.length; i++) {
            long start = System.nanoTime();
            client.blockingStub().a(NOTHING);
            millis[i] = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        }
        Arrays.sort(millis);
        long median = millis[millis.length / 2];
        // 30 ms (middle) + 50 ms (leaf) + 20 ms (client) = 100 ms, plus three hops on loopback.
        assertTrue(median >= 100 && median < 300, "median through the chain: " + median + " ms");
    }

    @Test
    void aFailureInTheLeafSurfacesAtTheClientWithItsPath() {
        StatusRuntimeException error = assertThrows(StatusRuntimeException.class, () -> client.blockingStub().b(NOTHING));
        assertEquals(Status.Code.INTERNAL, error.getStatus().getCode());
        String message = error.getStatus().getDescription();
        assertTrue(message.startsWith("submit > save order: peer http://127.0.0.1:" + middle.port()
                + " (thespian.Thespian/B) answered INTERNAL: save > write db: peer http://127.0.0.1:" + leaf.port()
                + " (thespian.Thespian/B) answered INTERNAL: write > disk full: failed by chance"
                + " (failure_chance 1.0, rolled 0."), message);
    }

    @Test
    void aPeerThatStartsLateIsCalledAsSoonAsItIsUp() throws Exception {
        int latePort = ThespianProcess.freePort();
        try (InProcessThespian caller = InProcessThespian.start("""
                {"grpc_method_a": {"tracing_name": "early", "operations": [
                    {"Action": {"CallService": {"service_address": "127.0.0.1", "service_port": %d, "grpc_method": "A"}}}]}}"""
                .formatted(latePort))) {
            assertThrows(StatusRuntimeException.class, () -> caller.blockingStub().a(NOTHING));
            Thread.sleep(1500); // past gRPC's first reconnect backoff (1 s): the caller's attempts back off meanwhile
            try (InProcessThespian late = InProcessThespian.start(Map.of("PORT", Integer.toString(latePort)))) {
                // Calls fail at once on the stale news until the channel's next attempt, which a call sets off at
                // most once a second: the peer is reached within about a second of coming up, never by waiting.
                long upAt = System.nanoTime();
                List<Long> failedAfterMs = new ArrayList<>();
                while (true) {
                    long start = System.nanoTime();
                    try {
                        caller.blockingStub().withDeadlineAfter(5, TimeUnit.SECONDS).a(NOTHING);
                        break;
                    } catch (StatusRuntimeException stale) {
                        failedAfterMs.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
                        assertTrue(System.nanoTime() - upAt < TimeUnit.SECONDS.toNanos(3),
                                "not reached within 3 s of coming up; failures took " + failedAfterMs + " ms");
                        Thread.sleep(20);
                    }
                }
                // Waiting for the peer would take the 5 s deadline; failing at once takes milliseconds.
                assertTrue(failedAfterMs.stream().allMatch(ms -> ms < 1000), "a call waited: " + failedAfterMs + " ms");
            }
        }
    }

    @Test
    void aDeadPeerIsAClearFailureAndTheServersKeepServing() {
        StatusRuntimeException error = assertThrows(StatusRuntimeException.class, () -> client.blockingStub().c(NOTHING));
        assertEquals(Status.Code.INTERNAL, error.getStatus().getCode());
        String message = error.getStatus().getDescription();
        assertTrue(message.contains("orphan > call nobody: peer http://127.0.0.1:" + deadPort
                + " (thespian.Thespian/A) is unavailable"), message);
        client.blockingStub().a(NOTHING);
        middle.blockingStub().a(NOTHING);
    }
}
