package org.thespian.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.thespian.config.ConfigException;
import org.thespian.config.ConfigParser;
import org.thespian.engine.Dice;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;
import org.thespian.proto.ThespianGrpc.ThespianBlockingStub;

/**
 * The status rules across hops, on real ports: a peer's chosen code surfaces at the edge with the whole path,
 * a peer's refusal (shed load) with its own code, a timeout_ms ends as DEADLINE_EXCEEDED, an unreachable peer
 * stays INTERNAL naming it and fails at once, however short the caller's deadline.
 */
class StatusRelayTest {

    private static ThespianServer leaf;
    private static ThespianServer busy;
    private static ThespianServer edge;
    private static ThespianServer shedding;
    private static ManagedChannel channel;
    private static int closedPort;

    @BeforeAll
    static void start() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        leaf = server("""
                {"grpc_method_b": {"tracing_name": "pay", "operations": [
                    {"Action": {"Sleep": {"tracing_name": "charge", "duration_ms": 1, "failure_chance": 1,
                        "failure_codes": {"UNAVAILABLE": 1}, "failure_message": "payment down"}}}]},
                 "grpc_method_c": {"tracing_name": "slow", "operations": [
                    {"Action": {"Sleep": {"tracing_name": "crawl", "duration_ms": 3000}}}]}}""");
        // Takes one call at a time: while the test holds it, every other call is shed.
        busy = ThespianServer.start(0, ConfigParser.parse("""
                {"grpc_method_a": {"tracing_name": "hold", "operations": [
                    {"Action": {"Sleep": {"tracing_name": "hold", "duration_ms": 5000}}}]},
                 "grpc_method_b": {"tracing_name": "quick", "operations": [
                    {"Action": {"Sleep": {"tracing_name": "quick", "duration_ms": 1}}}]}}"""),
                Dice.of(OptionalLong.empty()), InsecureChannelCredentials.create(), Instrumentation.NONE,
                ServerLimits.of(1, ServerLimits.DEFAULT_PEER_TIMEOUT));
        edge = server("""
                {"grpc_method_a": {"tracing_name": "checkout", "operations": [
                    {"Action": {"CallService": {"tracing_name": "call pay", "service_address": "127.0.0.1",
                        "service_port": %1$d, "grpc_method": "B"}}}]},
                 "grpc_method_b": {"tracing_name": "browse", "operations": [
                    {"Action": {"CallService": {"tracing_name": "call slow", "service_address": "127.0.0.1",
                        "service_port": %1$d, "grpc_method": "C", "timeout_ms": 100}}}]},
                 "grpc_method_c": {"tracing_name": "orphan", "operations": [
                    {"Action": {"CallService": {"tracing_name": "call nobody", "service_address": "127.0.0.1",
                        "service_port": %2$d, "grpc_method": "A"}}}]}}""".formatted(leaf.port(), closedPort));
        shedding = server("""
                {"grpc_method_a": {"tracing_name": "order", "operations": [
                    {"Action": {"CallService": {"tracing_name": "call busy", "service_address": "127.0.0.1",
                        "service_port": %d, "grpc_method": "B"}}}]}}""".formatted(busy.port()));
        channel = Grpc.newChannelBuilderForAddress("127.0.0.1", edge.port(), InsecureChannelCredentials.create())
                .build();
    }

    @AfterAll
    static void stop() throws InterruptedException {
        channel.shutdownNow();
        edge.stop(Duration.ZERO);
        shedding.stop(Duration.ZERO);
        busy.stop(Duration.ZERO);
        leaf.stop(Duration.ZERO);
    }

    @Test
    void aLeafsChosenCodeSurfacesAtTheEdgeWithTheWholePath() {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> stub().a(Nothing.getDefaultInstance()));
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
        assertEquals("checkout > call pay: peer http://127.0.0.1:" + leaf.port() + " (thespian.Thespian/B) answered"
                + " UNAVAILABLE: pay > charge: payment down", e.getStatus().getDescription());
    }

    @Test
    void anExpiredTimeoutReachesTheClientAsDeadlineExceeded() {
        long start = System.nanoTime();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> stub().b(Nothing.getDefaultInstance()));
        assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());
        assertEquals("browse > call slow: peer http://127.0.0.1:" + leaf.port() + " (thespian.Thespian/C) did not"
                + " answer within timeout_ms 100", e.getStatus().getDescription());
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 2000, "the timeout did not cut the call");
    }

    @Test
    void anUnreachablePeerStaysInternalNamingIt() {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> stub().c(Nothing.getDefaultInstance()));
        assertEquals(Status.Code.INTERNAL, e.getStatus().getCode());
        assertEquals("orphan > call nobody: peer http://127.0.0.1:" + closedPort + " (thespian.Thespian/A) is"
                + " unavailable: connection refused by 127.0.0.1:" + closedPort, e.getStatus().getDescription());
    }

    @Test
    void aRefusingPeerFailsWithinMillisecondsEvenUnderAShortDeadline() {
        for (int i = 0; i < 20; i++) {
            long start = System.nanoTime();
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                    () -> ThespianGrpc.newBlockingStub(channel).withDeadlineAfter(900, TimeUnit.MILLISECONDS)
                            .c(Nothing.getDefaultInstance()));
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals(Status.Code.INTERNAL, e.getStatus().getCode(), "call " + i + ": " + e.getStatus());
            assertTrue(e.getStatus().getDescription().endsWith("connection refused by 127.0.0.1:" + closedPort),
                    e.getStatus().getDescription());
            // Waiting for a reconnect took a second a call, past this deadline (DEADLINE_EXCEEDED, not INTERNAL); a
            // quiet machine answers within milliseconds, and a busy one well within the deadline.
            assertTrue(millis < 900, "call " + i + " took " + millis + " ms");
        }
    }

    @Test
    void aPeersShedLoadReachesTheEdgeAsItsOwnCode() throws Exception {
        ManagedChannel toBusy = Grpc.newChannelBuilderForAddress("127.0.0.1", busy.port(),
                InsecureChannelCredentials.create()).build();
        ManagedChannel toShedding = Grpc.newChannelBuilderForAddress("127.0.0.1", shedding.port(),
                InsecureChannelCredentials.create()).build();
        try {
            ThespianGrpc.newStub(toBusy).withDeadlineAfter(10, TimeUnit.SECONDS).a(Nothing.getDefaultInstance(),
                    new io.grpc.stub.StreamObserver<>() {
                        public void onNext(Nothing value) { }
                        public void onError(Throwable t) { }
                        public void onCompleted() { }
                    });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (busy.inFlight() < 1 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                    () -> ThespianGrpc.newBlockingStub(toShedding).withDeadlineAfter(10, TimeUnit.SECONDS)
                            .a(Nothing.getDefaultInstance()));
            assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode(), e.getStatus().toString());
            assertEquals("order > call busy: peer http://127.0.0.1:" + busy.port() + " (thespian.Thespian/B) refused"
                    + " the call with RESOURCE_EXHAUSTED: 1 calls are in flight, the limit (THESPIAN_MAX_IN_FLIGHT);"
                    + " try again later", e.getStatus().getDescription());
        } finally {
            toBusy.shutdownNow();
            toShedding.shutdownNow();
        }
    }

    private static ThespianBlockingStub stub() {
        return ThespianGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    private static ThespianServer server(String config) throws IOException, ConfigException {
        return ThespianServer.start(0, ConfigParser.parse(config), Dice.of(OptionalLong.empty()),
                InsecureChannelCredentials.create(), Instrumentation.NONE);
    }
}
