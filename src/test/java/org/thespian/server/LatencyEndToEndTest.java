package org.thespian.server;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.time.Duration;
import java.util.Arrays;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.thespian.config.ConfigParser;
import org.thespian.engine.Dice;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;
import org.thespian.testsupport.TimingSensitive;

/** The latency distributions end to end over gRPC: 1,000 calls of a lognormal sleep land its p50 and p99 within 10%. */
@TimingSensitive
class LatencyEndToEndTest {

    @Test
    void aLognormalSleepLandsItsMedianAndP99() throws Exception {
        ThespianServer server = ThespianServer.start(0, ConfigParser.parse("""
                {"grpc_method_a": {"tracing_name": "query", "operations": [
                    {"Action": {"Sleep": {"tracing_name": "long tail",
                        "latency": {"lognormal": {"median_ms": 50, "p99_ms": 400}}}}}]}}"""),
                Dice.of(OptionalLong.of(8)), InsecureChannelCredentials.create(), Instrumentation.NONE);
        ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(),
                InsecureChannelCredentials.create()).build();
        try {
            closedLoop(channel, new double[200]); // warm-up: connection, JIT
            double[] millis = new double[1000];
            closedLoop(channel, millis);
            Arrays.sort(millis);
            double p50 = millis[millis.length / 2];
            double p99 = millis[millis.length * 99 / 100];
            assertTrue(Math.abs(p50 - 50) <= 5, "p50 " + p50 + " ms, configured 50");
            assertTrue(Math.abs(p99 - 400) <= 40, "p99 " + p99 + " ms, configured 400");
        } finally {
            channel.shutdownNow();
            server.stop(Duration.ZERO);
        }
    }

    /** Makes {@code millis.length} calls, 64 in flight, and records how long each took. */
    private static void closedLoop(ManagedChannel channel, double[] millis) throws Exception {
        AtomicInteger next = new AtomicInteger();
        CompletableFuture<Void> done = new CompletableFuture<>();
        AtomicInteger finished = new AtomicInteger();
        Runnable[] caller = new Runnable[1];
        caller[0] = () -> {
            int index = next.getAndIncrement();
            if (index >= millis.length) {
                return;
            }
            long start = System.nanoTime();
            ThespianGrpc.newFutureStub(channel).a(Nothing.getDefaultInstance()).addListener(() -> {
                millis[index] = (System.nanoTime() - start) / 1e6;
                if (finished.incrementAndGet() == millis.length) {
                    done.complete(null);
                }
                caller[0].run();
            }, Runnable::run);
        };
        for (int i = 0; i < 64; i++) {
            caller[0].run();
        }
        done.get(60, TimeUnit.SECONDS);
    }
}
