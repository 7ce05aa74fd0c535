package org.thespian.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.MetadataUtils;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.thespian.config.ConfigParser;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;

/** The limit on new work while the process runs behind: its arithmetic, and what callers see over real gRPC. */
class AdaptiveLimitTest {

    private static final long MS = 1_000_000;

    @Test
    void lagBeyondTheTargetCutsToFourFifthsOfWhatRanAndKeepingUpDoublesItBack() {
        AdaptiveLimit limit = new AdaptiveLimit(1_000, Duration.ofMillis(50));
        assertEquals(1_000, limit.limit(), "no limit until the process falls behind");
        limit.onWindow(120 * MS, 300);
        assertEquals(1_000, limit.limit(), "one late window is a pause, not overload");
        limit.onWindow(120 * MS, 300);
        assertEquals(240, limit.limit());
        assertTrue(limit.admits(239));
        assertFalse(limit.admits(240));
        assertEquals("overloaded: this process runs 120 ms behind (more than 50 ms, THESPIAN_OVERLOAD_LAG_MS), so new"
                + " calls are limited to 240 in flight and 240 are; try again later", limit.describe(240));
        limit.onWindow(120 * MS, 2);
        assertEquals(AdaptiveLimit.MIN_LIMIT, limit.limit(), "some new work always goes on");
        limit.onWindow(10 * MS, 1);
        assertEquals(AdaptiveLimit.MIN_LIMIT, limit.limit(), "kept up, but the limit was not near: no need to grow");
        for (int window = 0; window < 7; window++) {
            limit.onWindow(10 * MS, limit.limit());
        }
        assertEquals(1_000, limit.limit(), "doubling while used, up to THESPIAN_MAX_IN_FLIGHT");
    }

    @Test
    void whileBehindCallsFromOutsideAreShedAndHopsOfAdmittedRequestsGoOn() throws Exception {
        // Any lateness at all counts as behind here: the limit settles at its floor within a few windows.
        ServerLimits limits = ServerLimits.of(1_000, ServerLimits.DEFAULT_PEER_TIMEOUT)
                .withOverloadLag(Duration.ofNanos(1));
        try (RunningThespian thespian = RunningThespian.start(ConfigParser.parse("""
                {"grpc_method_a": {"tracing_name": "slow", "operations": [
                  {"Action": {"Sleep": {"tracing_name": "work", "duration_ms": 300}}}]}}"""), limits)) {
            var fromOutside = ThespianGrpc.newFutureStub(thespian.channel()).withDeadlineAfter(10, TimeUnit.SECONDS);
            // The limit follows the probe's windows: on a busy machine they take longer than their 100 ms.
            int refused = 0;
            int sent = 0;
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (refused == 0 && System.nanoTime() < until) {
                List<ListenableFuture<Nothing>> calls = new ArrayList<>();
                for (int i = 0; i < 3 * AdaptiveLimit.MIN_LIMIT; i++) {
                    calls.add(fromOutside.a(Nothing.getDefaultInstance()));
                }
                sent += calls.size();
                for (ListenableFuture<Nothing> call : calls) {
                    try {
                        call.get(10, TimeUnit.SECONDS);
                    } catch (ExecutionException e) {
                        Status status = Status.fromThrowable(e.getCause());
                        assertEquals(Status.Code.RESOURCE_EXHAUSTED, status.getCode(), status.toString());
                        assertTrue(status.getDescription().startsWith("overloaded: this process runs "),
                                status.getDescription());
                        refused++;
                    }
                }
            }
            assertTrue(refused > 0, "none of " + sent + " calls refused in 20 s");

            Metadata hop = new Metadata();
            hop.put(RequestMetadata.HOPS_HEADER, "1");
            var fromAPeer = fromOutside.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(hop));
            List<ListenableFuture<Nothing>> hops = new ArrayList<>();
            for (int i = 0; i < 3 * AdaptiveLimit.MIN_LIMIT; i++) {
                hops.add(fromAPeer.a(Nothing.getDefaultInstance()));
            }
            for (ListenableFuture<Nothing> call : hops) {
                call.get(10, TimeUnit.SECONDS); // all admitted: none is refused
            }
        }
    }
}
