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
 * a timeout_ms ends as DEADLINE_EXCEEDED, an unreachable peer stays INTERNAL naming it.
 */
class StatusRelayTest {

    private static ThespianServer leaf;
    private static ThespianServer edge;
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
        channel = Grpc.newChannelBuilderForAddress("127.0.0.1", edge.port(), InsecureChannelCredentials.create())
                .build();
    }

    @AfterAll
    static void stop() throws InterruptedException {
        channel.shutdownNow();
        edge.stop(Duration.ZERO);
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

    private static ThespianBlockingStub stub() {
        return ThespianGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    private static ThespianServer server(String config) throws IOException, ConfigException {
        return ThespianServer.start(0, ConfigParser.parse(config), Dice.of(OptionalLong.empty()),
                InsecureChannelCredentials.create(), Instrumentation.NONE);
    }
}
