package org.thespian.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.thespian.config.ConfigParser;
import org.thespian.config.ConfigSource.LoadedConfig;
import org.thespian.engine.ActionListener;
import org.thespian.engine.Dice;
import org.thespian.testsupport.CountingPeer;

class RehearsalTest {

    private final CountingPeer peer;

    RehearsalTest() throws Exception {
        peer = CountingPeer.start();
    }

    @AfterEach
    void stopPeer() {
        peer.close();
    }

    /**
     * Two servers, as a cast's members: a minute of sleep and of CPU behind a call to a real peer, and a method
     * that answers at once. Both answer calls, none reaches the peer, and the rehearsal keeps to its budget.
     */
    @Test
    void everyPartAnswersCallsWithItsWaitsCutShortAndItsPeersStoodInWithinTheBudget() throws Exception {
        String slow = """
                {"grpc_method_a": {"tracing_name": "slow", "operations": [
                   {"Action": {"CallService": {"tracing_name": "peer", "service_address": "127.0.0.1",
                                               "service_port": "%d", "grpc_method": "B"}}},
                   {"Action": {"Sleep": {"tracing_name": "nap", "duration_ms": 60000}}},
                   {"Action": {"Cpu": {"tracing_name": "burn", "duration_ms": 60000}}}]}}"""
                .formatted(peer.port());
        String quick = """
                {"grpc_method_c": {"tracing_name": "quick", "operations": []}}""";
        AtomicInteger slowCalls = new AtomicInteger();
        AtomicInteger quickCalls = new AtomicInteger();

        // The first part's instrumentation is the stand-in peer's too, which takes B: only A counts as slow.
        Rehearsal.Summary summary = Rehearsal.run(List.of(part(slow, "A", slowCalls), part(quick, "C", quickCalls)),
                ServerLimits.defaults());

        // Uncut, no slow call could answer before the rehearsal's end: each of its loops would have made one call.
        assertTrue(slowCalls.get() > Rehearsal.IN_FLIGHT, "slow calls rehearsed: " + slowCalls);
        assertTrue(quickCalls.get() > 0, "the second part rehearsed nothing");
        assertEquals(0, peer.calls(), "calls that reached the configured peer");
        // Generous, for a busy machine: the budget is 2 s, and without a bound the sleeps alone would last a minute.
        assertTrue(summary.took().compareTo(Rehearsal.BUDGET.plusSeconds(2)) < 0, "the rehearsal took " + summary.took());
        assertTrue(summary.describe().matches("warm-up: \\d+ calls rehearsed in \\d+\\.\\d s, after \\d+\\.\\d s building"),
                summary.describe());
    }

    private static Rehearsal.Part part(String config, String method, AtomicInteger calls) throws Exception {
        Instrumentation counting = new Instrumentation(List.of(counter(method, calls)), List.of(), ActionListener.NONE,
                RuntimeEvents.NONE);
        return new Rehearsal.Part(new LoadedConfig(ConfigParser.parse(config), "test", config),
                Dice.of(OptionalLong.empty()), counting, ServerLimits.defaults(), RuntimeOptions.defaults("rehearsed"));
    }

    /** Counts the calls of thespian.Thespian's {@code method}. */
    private static ServerInterceptor counter(String method, AtomicInteger calls) {
        return new ServerInterceptor() {
            @Override
            public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
                    ServerCallHandler<Q, A> next) {
                if (call.getMethodDescriptor().getFullMethodName().equals("thespian.Thespian/" + method)) {
                    calls.incrementAndGet();
                }
                return next.startCall(call, headers);
            }
        };
    }
}
