package org.thespian.server;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.thespian.config.ConfigParser;
import org.thespian.engine.Dice;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;
import org.thespian.testsupport.TimingSensitive;

/**
 * The latency distributions end to end over gRPC: 1,000 calls of a lognormal sleep land near its p50 and within 10%
 * of its p99, after what the machine adds to any sleep, measured on a fixed sleep of the median called in turn.
 */
@TimingSensitive // other tests' load stretches the varied sleeps more than the fixed one
class LatencyEndToEndTest {

    @Test
    void aLognormalSleepLandsItsMedianAndP99() throws Exception {
        ThespianServer server = ThespianServer.start(0, ConfigParser.parse("""
                {"grpc_method_a": {"tracing_name": "query", "operations": [
                    {"Action": {"Sleep": {"tracing_name": "long tail",
                        "latency": {"lognormal": {"median_ms": 50, "p99_ms": 400}}}}}]},
                 "grpc_method_b": {"tracing_name": "fixed", "operations": [
                    {"Action": {"Sleep": {"tracing_name": "median", "duration_ms": 50}}}]}}"""),
                Dice.of(OptionalLong.of(8)), InsecureChannelCredentials.create(), Instrumentation.NONE);
        ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(),
                InsecureChannelCredentials.create()).build();
        try {
            closedLoop(channel, new double[200]); // warm-up: connection, JIT
            double[] millis = new double[2000];
            closedLoop(channel, millis);
            double[] lognormal = IntStream.range(0, millis.length).filter(i -> i % 2 == 0).mapToDouble(i -> millis[i])
                    .sorted().toArray();
            double[] fixed = IntStream.range(0, millis.length).filter(i -> i % 2 == 1).mapToDouble(i -> millis[i])
                    .sorted().toArray();
            double p50 = percentile(lognormal, 50);
            double p99 = percentile(lognormal, 99);
            String seen = "lognormal p50 " + p50 + " ms and p99 " + p99 + " ms (configured 50 and 400); a fixed 50 ms"
                    + " sleep beside it: p50 " + percentile(fixed, 50) + " ms, p99 " + percentile(fixed, 99) + " ms";
            // Within a quarter of the median of the fixed sleep's (a busy machine stretches the varied sleeps a few ms
            // more than the fixed one), and a little more where it stretches every sleep; a draw of the wrong
            // parameter would land near the lognormal's mean, 75 ms, or its p99.
            double overshoot = Math.max(0, percentile(fixed, 50) - 50);
            assertTrue(Math.abs(p50 - percentile(fixed, 50)) <= 12.5 + 0.15 * overshoot, seen);
            assertTrue(p99 >= 360 && p99 <= 440 + percentile(fixed, 99) - 50, seen);
        } finally {
            channel.shutdownNow();
            server.stop(Duration.ZERO);
        }
    }

    private static double percentile(double[] sorted, int percent) {
        return sorted[sorted.length * percent / 100];
    }

    /** Makes {@code millis.length} calls, 64 in flight, A and B in turn, and records how long each took. */
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
            ThespianGrpc.ThespianFutureStub stub = ThespianGrpc.newFutureStub(channel);
            ListenableFuture<Nothing> call = index % 2 == 0 ? stub.a(Nothing.getDefaultInstance())
                    : stub.b(Nothing.getDefaultInstance());
            call.addListener(() -> {
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
