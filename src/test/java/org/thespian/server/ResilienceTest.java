package org.thespian.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.thespian.admin.proto.AdminGrpc;
import org.thespian.admin.proto.GetConfigRequest;
import org.thespian.admin.proto.SetConfigRequest;
import org.thespian.config.ConfigParser;
import org.thespian.config.ConfigSource.LoadedConfig;
import org.thespian.engine.ActionListener;
import org.thespian.engine.Dice;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;

/**
 * Circuit breakers, hedged calls and rate limits between Thespians on real ports: the peer counts the calls
 * that reach it (and those cancelled there), and changes its behaviour through the admin service.
 */
class ResilienceTest {

    private static final Nothing NOTHING = Nothing.getDefaultInstance();
    private static final String FAILING_B = """
            {"grpc_method_b": {"tracing_name": "inventory", "operations": [
                {"Action": {"Sleep": {"tracing_name": "query", "duration_ms": 1, "failure_chance": 1,
                    "failure_codes": {"UNAVAILABLE": 1}, "failure_message": "database down"}}}]}}""";
    private static final String HEALTHY_B = """
            {"grpc_method_b": {"tracing_name": "inventory", "operations": [
                {"Action": {"Sleep": {"tracing_name": "query", "duration_ms": 1}}}]}}""";
    private static final String SLOW_B = """
            {"grpc_method_b": {"tracing_name": "inventory", "operations": [
                {"Action": {"Sleep": {"tracing_name": "query", "duration_ms": 20000}}}]}}""";

    private final List<AutoCloseable> running = new ArrayList<>();
    private final PeerCalls peerCalls = new PeerCalls();

    @AfterEach
    void stop() throws Exception {
        Collections.reverse(running);
        for (AutoCloseable closeable : running) {
            closeable.close();
        }
    }

    @Test
    void aFailingPeerOpensTheBreakerAndLaterCallsFailAtOnceWithoutReachingIt() throws Exception {
        ThespianServer peer = peer(FAILING_B);
        ManagedChannel caller = caller("""
                "circuit_breaker": {"failure_rate": 0.5, "min_calls": 4, "window_ms": 10000, "open_ms": 60000,
                    "half_open_calls": 1}""", peer.port());
        for (int i = 0; i < 4; i++) {
            assertEquals(Status.Code.UNAVAILABLE, failure(caller).getStatus().getCode());
        }
        assertEquals(4, peerCalls.started.get());

        List<Long> millis = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            long start = System.nanoTime();
            StatusRuntimeException refused = failure(caller);
            millis.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            assertEquals(Status.Code.UNAVAILABLE, refused.getStatus().getCode());
            assertTrue(refused.getStatus().getDescription().startsWith("checkout > call inventory: circuit open for peer"
                    + " http://127.0.0.1:" + peer.port() + " (thespian.Thespian/B): 4 of 4 calls failed in the last"
                    + " 10000 ms"), refused.getStatus().getDescription());
        }
        assertEquals(4, peerCalls.started.get(), "a call reached the peer while the breaker was open");
        Collections.sort(millis);
        // At once on a quiet machine (a few ms); bounded generously, as the peer count above is the proof.
        assertTrue(millis.get(millis.size() / 2) < 250, "refusals took " + millis + " ms");
        assertTrue(millis.get(millis.size() - 1) < 2000, "refusals took " + millis + " ms");
    }

    @Test
    void missedTimeoutsOpenTheBreakerToo() throws Exception {
        ThespianServer peer = peer(SLOW_B);
        ManagedChannel caller = caller("""
                "timeout_ms": 50, "circuit_breaker": {"min_calls": 3}""", peer.port());
        for (int i = 0; i < 3; i++) {
            assertEquals(Status.Code.DEADLINE_EXCEEDED, failure(caller).getStatus().getCode());
        }
        StatusRuntimeException refused = failure(caller);
        assertEquals(Status.Code.UNAVAILABLE, refused.getStatus().getCode());
        assertTrue(refused.getStatus().getDescription().contains("circuit open for peer"),
                refused.getStatus().getDescription());
        assertEquals(3, peerCalls.started.get());
    }

    @Test
    void aProbeClosesTheBreakerOnceThePeerRecovers() throws Exception {
        ThespianServer peer = peer(FAILING_B);
        ManagedChannel caller = caller("""
                "circuit_breaker": {"min_calls": 2, "open_ms": 500}""", peer.port());
        failure(caller);
        failure(caller);
        assertTrue(failure(caller).getStatus().getDescription().contains("circuit open"), "the breaker did not open");
        assertEquals(2, peerCalls.started.get());

        setConfig(peer, HEALTHY_B);
        Thread.sleep(600); // open_ms passes
        stub(caller).a(NOTHING); // the probe
        assertEquals(3, peerCalls.started.get());
        for (int i = 0; i < 5; i++) {
            stub(caller).a(NOTHING);
        }
        assertEquals(8, peerCalls.started.get(), "calls after the probe did not all reach the peer");
    }

    @Test
    void aProbeThatFailsOpensTheBreakerAgain() throws Exception {
        ThespianServer peer = peer(FAILING_B);
        ManagedChannel caller = caller("""
                "circuit_breaker": {"min_calls": 2, "open_ms": 300}""", peer.port());
        failure(caller);
        failure(caller);
        Thread.sleep(400);
        assertTrue(failure(caller).getStatus().getDescription().contains("database down"), "no probe was let through");
        assertTrue(failure(caller).getStatus().getDescription().contains("circuit open for peer"));
        assertEquals(3, peerCalls.started.get());
    }

    @Test
    void theHedgedAttemptWinsAndTheSlowOneIsCancelled() throws Exception {
        ThespianServer peer = peer(SLOW_B);
        ManagedChannel caller = caller("""
                "hedge": {"delay_ms": 1500, "max_attempts": 2}""", peer.port());
        AdminGrpc.AdminBlockingStub admin = admin(peer);
        admin.getConfig(GetConfigRequest.getDefaultInstance()); // connected before the race with the hedge
        long start = System.nanoTime();
        CompletableFuture<Nothing> answer = CompletableFuture.supplyAsync(() -> stub(caller).a(NOTHING));
        // Its headers alone are not enough: a unary method reads the config once its request has arrived.
        while (peerCalls.running.get() == 0) {
            Thread.sleep(5);
        }
        admin.setConfig(SetConfigRequest.newBuilder().setConfigJson(HEALTHY_B).build()); // before the hedge is sent

        answer.get(15, TimeUnit.SECONDS);
        assertTrue(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start) < 10, "the slow attempt answered");
        assertEquals(2, peerCalls.started.get());
        for (int i = 0; i < 200 && peerCalls.cancelled.get() == 0; i++) {
            Thread.sleep(10);
        }
        assertEquals(1, peerCalls.cancelled.get(), "the slow attempt was not cancelled at the peer");
    }

    @Test
    void callsOverTheBurstAreRefusedWithResourceExhausted() throws Exception {
        ThespianServer api = peer("""
                {"grpc_method_b": {"tracing_name": "api", "rate_limit": {"per_second": 0.1, "burst": 5},
                    "operations": []}}""");
        ManagedChannel caller = caller("", api.port());
        int ok = 0;
        List<String> refusals = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            try {
                stub(caller).a(NOTHING);
                ok++;
            } catch (StatusRuntimeException e) {
                assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
                refusals.add(e.getStatus().getDescription());
            }
        }
        assertEquals(5, ok);
        assertEquals(3, refusals.size());
        assertEquals("checkout > call inventory: peer http://127.0.0.1:" + api.port() + " (thespian.Thespian/B)"
                + " answered RESOURCE_EXHAUSTED: api: rate limited: over the limit of 0.1 calls a second, burst 5"
                + " (grpc_method_b.rate_limit)", refusals.get(0));
    }

    /** A Thespian with the admin service whose calls to B are counted. */
    private ThespianServer peer(String config) throws Exception {
        Instrumentation counting = new Instrumentation(List.of(peerCalls), List.of(), ActionListener.NONE,
                RuntimeEvents.NONE);
        ThespianServer server = ThespianServer.start(0, new LoadedConfig(ConfigParser.parse(config), "test", config),
                Dice.of(OptionalLong.empty()), InsecureChannelCredentials.create(), counting, ServerLimits.defaults(),
                new RuntimeOptions("inventory", true, RuntimeOptions.DEFAULT_MAX_HOPS, true, Optional.empty(),
                        Optional.empty()));
        running.add(() -> server.stop(Duration.ZERO));
        return server;
    }

    /** A Thespian whose A calls B on {@code peerPort} with {@code policy} (more keys of the CallService). */
    private ManagedChannel caller(String policy, int peerPort) throws Exception {
        String config = """
                {"grpc_method_a": {"tracing_name": "checkout", "operations": [
                    {"Action": {"CallService": {"tracing_name": "call inventory", "service_address": "127.0.0.1",
                        "service_port": %d, "grpc_method": "B"%s}}}]}}""".formatted(peerPort,
                policy.isEmpty() ? "" : ", " + policy);
        ThespianServer server = ThespianServer.start(0, ConfigParser.parse(config), Dice.of(OptionalLong.empty()),
                InsecureChannelCredentials.create(), Instrumentation.NONE);
        running.add(() -> server.stop(Duration.ZERO));
        return channelTo(server);
    }

    private ManagedChannel channelTo(ThespianServer server) {
        ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(),
                InsecureChannelCredentials.create()).build();
        running.add(channel::shutdownNow);
        return channel;
    }

    private void setConfig(ThespianServer peer, String config) {
        admin(peer).setConfig(SetConfigRequest.newBuilder().setConfigJson(config).build());
    }

    private AdminGrpc.AdminBlockingStub admin(ThespianServer peer) {
        return AdminGrpc.newBlockingStub(channelTo(peer)).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    private static ThespianGrpc.ThespianBlockingStub stub(ManagedChannel channel) {
        return ThespianGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    private static StatusRuntimeException failure(ManagedChannel channel) {
        return assertThrows(StatusRuntimeException.class, () -> stub(channel).a(NOTHING));
    }

    /** Counts the calls of thespian.Thespian/B that reach a server, and those cancelled by their caller there. */
    private static final class PeerCalls implements ServerInterceptor {
        final AtomicInteger started = new AtomicInteger();
        /** Calls whose request arrived, so that their method has read the config it runs. */
        final AtomicInteger running = new AtomicInteger();
        final AtomicInteger cancelled = new AtomicInteger();

        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                ServerCallHandler<Q, R> next) {
            if (!call.getMethodDescriptor().getFullMethodName().equals("thespian.Thespian/B")) {
                return next.startCall(call, headers);
            }
            started.incrementAndGet();
            return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
                @Override
                public void onHalfClose() {
                    super.onHalfClose();
                    running.incrementAndGet();
                }

                @Override
                public void onCancel() {
                    cancelled.incrementAndGet();
                    super.onCancel();
                }
            };
        }
    }
}
