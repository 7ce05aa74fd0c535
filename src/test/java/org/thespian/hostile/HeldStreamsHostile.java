package org.thespian.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;
import org.thespian.testsupport.RawHttp2;
import org.thespian.testsupport.ThespianProcess;

/**
 * Streams that send their headers and never their message, on one connection: the server gives that connection
 * only its share of the calls, keeps answering everyone else meanwhile, and cancels the held calls after its
 * request arrival bound (10 s). Half a minute each, so {@code bench/hostile.sh} runs it, not {@code mvn verify}.
 */
class HeldStreamsHostile {

    private static final Duration BOUND = Duration.ofSeconds(60);

    @Test
    void threeHundredStreamsOnOneConnectionPastItsStreamLimit() throws Exception {
        try (ThespianProcess thespian = ThespianProcess.start(List.of(), Map.of("THESPIAN_MAX_IN_FLIGHT", "128",
                "THESPIAN_LOG_LEVEL", "WARN"))) {
            hold(thespian, 300, "300 streams without their message on one connection (THESPIAN_MAX_IN_FLIGHT=128,"
                    + " so 256 streams per connection)");
        }
    }

    @Test
    void fifteenThousandStreamsAgainstTheDefaultLimit() throws Exception {
        try (ThespianProcess thespian = ThespianProcess.start(List.of("-Xmx256m"), Map.of("THESPIAN_LOG_LEVEL", "WARN"))) {
            hold(thespian, 15_000, "15,000 streams without their message on one connection (-Xmx256m, where"
                    + " THESPIAN_MAX_IN_FLIGHT is about 14,000 by default)");
        }
    }

    /** Opens {@code streams} streams to A that never send their message, calls from elsewhere, and counts the ends. */
    private static void hold(ThespianProcess thespian, int streams, String what) throws Exception {
        try (RawHttp2 holder = RawHttp2.connect(thespian.port()).handshake(BOUND)) {
            long start = System.nanoTime();
            for (int i = 0; i < streams; i++) {
                holder.headers(2 * i + 1, "/thespian.Thespian/A", false);
            }
            holder.flush();
            long callStart = System.nanoTime();
            ServingStatus health = HealthGrpc.newBlockingStub(thespian.channel()).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.getDefaultInstance()).getStatus();
            ThespianGrpc.newBlockingStub(thespian.channel()).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .a(Nothing.getDefaultInstance());
            long callMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - callStart);

            Map<String, Integer> ends = new TreeMap<>();
            long lastCancelNanos = start;
            long deadline = System.nanoTime() + BOUND.toNanos();
            while (ends.values().stream().mapToInt(Integer::intValue).sum() < streams && System.nanoTime() < deadline) {
                RawHttp2.Frame frame = holder.read(BOUND);
                if (frame.type() == RawHttp2.RST_STREAM) {
                    ends.merge("refused by HTTP/2 (RST_STREAM)", 1, Integer::sum);
                } else if (frame.type() == RawHttp2.HEADERS) {
                    String status = holder.headersOf(frame).get("grpc-status");
                    if ("1".equals(status)) {
                        lastCancelNanos = System.nanoTime();
                    }
                    ends.merge("1".equals(status) ? "held then CANCELLED" : "8".equals(status)
                            ? "RESOURCE_EXHAUSTED at once" : "grpc-status " + status, 1, Integer::sum);
                }
            }
            System.out.println(what + ": " + ends + "; meanwhile a call on another connection OK in " + callMillis
                    + " ms and health " + health + "; the held ones cancelled by "
                    + TimeUnit.NANOSECONDS.toMillis(lastCancelNanos - start) / 1000.0 + " s");
            assertEquals(ServingStatus.SERVING, health);
            assertEquals(streams, ends.values().stream().mapToInt(Integer::intValue).sum(), "streams ended: " + ends);
        }
        ThespianGrpc.newBlockingStub(thespian.channel()).withDeadlineAfter(10, TimeUnit.SECONDS)
                .a(Nothing.getDefaultInstance());
    }
}
