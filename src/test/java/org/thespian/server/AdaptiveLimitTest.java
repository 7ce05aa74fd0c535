package org.thespian.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.netty.util.concurrent.EventExecutor;
import io.grpc.stub.MetadataUtils;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.thespian.config.ConfigParser;
import org.thespian.config.ConfigSource.LoadedConfig;
import org.thespian.engine.Dice;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;

/** The limit on new work while the process runs behind: its arithmetic, and what callers see over real gRPC. */
class AdaptiveLimitTest {

    private static final long MS = 1_000_000;
    private static final String SLOW = """
            {"grpc_method_a": {"tracing_name": "slow", "operations": [
              {"Action": {"Sleep": {"tracing_name": "work", "duration_ms": 300}}}]}}""";

    @Test
    void lagBeyondTheTargetCutsWhatRanByHowLate() {
        AdaptiveLimit limit = new AdaptiveLimit(1_000, Duration.ofMillis(50));
        assertEquals(1_000, limit.limit(), "no limit until the process falls behind");
        assertTrue(limit.admits(1_000), "at THESPIAN_MAX_IN_FLIGHT, admission's cap refuses, naming it");
        limit.onWindow(10 * MS, 300);
        assertAfterWindow(limit, 55, 300, 1_000, "one late window is a pause, not overload");
        assertAfterWindow(limit, 55, 300, 240, "barely late: four fifths of what ran");
        assertAfterWindow(limit, 60, 240, 192, "50 / 60 of 240 is above four fifths: four fifths");
        assertAfterWindow(limit, 70, 192, 137, "50 / 70 of 192");
        assertAfterWindow(limit, 125, 300, 54, "50 / 125 of the limit, below what ran");
        assertTrue(limit.admits(53));
        assertFalse(limit.admits(54));
        assertEquals("overloaded: this process runs 125 ms behind (more than 50 ms, THESPIAN_OVERLOAD_LAG_MS), so new"
                + " calls are limited to 54 in flight and 54 are; try again later", limit.describe(54));
        assertAfterWindow(limit, 1_000, 54, AdaptiveLimit.MIN_LIMIT,
                "ten times the target or more: a tenth, at least 8");
        assertAfterWindow(limit, 120, 2, AdaptiveLimit.MIN_LIMIT, "some new work always goes on");
    }

    @Test
    void oneWindowFourTimesTheTargetLateCutsAtOnceAndDeep() {
        AdaptiveLimit limit = new AdaptiveLimit(100_000, Duration.ofMillis(50));
        limit.onWindow(10 * MS, 5_000);
        assertAfterWindow(limit, 190, 5_000, 100_000, "under four times the target, one window is a pause");
        limit.onWindow(10 * MS, 5_000);
        assertAfterWindow(limit, 200, 5_000, 1_250,
                "a backlog: a quarter of what ran, without waiting for a second window");
        limit.onWindow(10 * MS, 1_250);
        assertAfterWindow(limit, 800, 1_250, 125, "sixteen times the target: a tenth, the deepest cut");
    }

    @Test
    void keepingUpNearTheTargetGrowsTheLimitByItsSquareRootWhileItIsNearlyReached() {
        AdaptiveLimit limit = cutToTheFloor();
        limit.onWindow(40 * MS, AdaptiveLimit.MIN_LIMIT);
        assertEquals(10, limit.limit(), "8 and its square root's whole part, 2");
        int[] expected = {13, 16, 20, 24, 28, 33, 38, 44, 50, 57, 64, 72, 80, 88, 97};
        for (int grown : expected) {
            limit.onWindow(40 * MS, limit.limit());
            assertEquals(grown, limit.limit(), "from the floor to a hundred in under two seconds of windows");
        }
        assertAfterWindow(limit, 60, limit.limit(), 97, "one late window neither grows nor cuts it");
        assertAfterWindow(limit, 40, 78, 106, "four fifths of the limit in flight is nearly reached");
        assertAfterWindow(limit, 40, 84, 106, "less is not: no need to grow");
    }

    @Test
    void aWindowHardlyLateAtAllDoublesTheLimitUpToHalfOfWhatRanAtTheLastCut() {
        AdaptiveLimit limit = new AdaptiveLimit(1_000, Duration.ofMillis(50));
        assertAfterWindow(limit, 500, 600, 60, "far behind: a tenth of the 600 that ran");
        assertAfterWindow(limit, 12, 60, 120, "a quarter of the target late or less: room to spare, doubling");
        assertAfterWindow(limit, 13, 120, 130, "later than that: by the square root");
        assertAfterWindow(limit, 1, 130, 260, "doubling again");
        assertAfterWindow(limit, 1, 260, 300,
                "doubling stops at half of the 600 in flight when the process fell behind");
        assertAfterWindow(limit, 1, 300, 317, "and from there grows by the square root, where the backlog began");
        for (int window = 0; window < 60; window++) {
            limit.onWindow(1 * MS, limit.limit());
        }
        assertEquals(1_000, limit.limit(), "up to THESPIAN_MAX_IN_FLIGHT");
    }

    /**
     * A fresh process far behind cuts again and again while the calls it let in first still run: what ran when it
     * fell behind, not the floor those cuts reach, bounds the doubling once it keeps up.
     */
    @Test
    void cutsWhileEarlierCallsStillRunLeaveTheDoublingBoundWhereTheBacklogBegan() {
        AdaptiveLimit limit = new AdaptiveLimit(100_000, Duration.ofMillis(50));
        assertAfterWindow(limit, 400, 1_000, 125, "lifted, far behind with 1,000 in flight");
        assertAfterWindow(limit, 500, 950, 12, "a tenth of the limit, though 950 still run");
        assertAfterWindow(limit, 600, 900, AdaptiveLimit.MIN_LIMIT, "and again");
        assertAfterWindow(limit, 1, AdaptiveLimit.MIN_LIMIT, 16, "on time: doubling");
        for (int expected : new int[] {32, 64, 128, 256, 500, 522}) {
            assertAfterWindow(limit, 1, limit.limit(), expected, "doubling up to half of the 1,000, then by the root");
        }
    }

    @Test
    void aLiftedLimitDoublesAgainAfterTheNextCut() {
        AdaptiveLimit limit = cutToTheFloor();
        for (int window = 0; window < AdaptiveLimit.WINDOWS_TO_LIFT; window++) {
            limit.onWindow(1 * MS, 0);
        }
        assertEquals(1_000, limit.limit(), "lifted");
        limit.onWindow(300 * MS, 800);
        assertAfterWindow(limit, 1, limit.limit(), 2 * 133,
                "the last cut's 800 in flight, not the old floor, bounds the doubling");
    }

    @Test
    void aLimitNotNearlyReachedForASecondOnTimeIsLifted() {
        AdaptiveLimit limit = cutToTheFloor();
        for (int window = 1; window < AdaptiveLimit.WINDOWS_TO_LIFT; window++) {
            limit.onWindow(10 * MS, 1);
        }
        limit.onWindow(60 * MS, 1);
        limit.onWindow(10 * MS, 1);
        assertEquals(AdaptiveLimit.MIN_LIMIT, limit.limit(), "a late window starts the second again");
        for (int window = 1; window < AdaptiveLimit.WINDOWS_TO_LIFT - 1; window++) {
            limit.onWindow(10 * MS, 1);
        }
        limit.onWindow(40 * MS, AdaptiveLimit.MIN_LIMIT);
        assertEquals(10, limit.limit(), "the limit reached: it grows, and the second starts again");
        for (int window = 1; window < AdaptiveLimit.WINDOWS_TO_LIFT; window++) {
            limit.onWindow(10 * MS, 1);
        }
        assertEquals(10, limit.limit());
        limit.onWindow(10 * MS, 1);
        assertEquals(1_000, limit.limit(), "a second on time with room to spare: back to THESPIAN_MAX_IN_FLIGHT");
    }

    /** After a window {@code lagMs} late with {@code inFlight} calls running, the limit is {@code expected}. */
    private static void assertAfterWindow(AdaptiveLimit limit, long lagMs, int inFlight, int expected, String why) {
        limit.onWindow(lagMs * MS, inFlight);
        assertEquals(expected, limit.limit(), why);
    }

    /** A limit of 1,000 that two windows far behind cut to its floor. */
    private static AdaptiveLimit cutToTheFloor() {
        AdaptiveLimit limit = new AdaptiveLimit(1_000, Duration.ofMillis(50));
        limit.onWindow(500 * MS, 2);
        limit.onWindow(500 * MS, 2);
        assertEquals(AdaptiveLimit.MIN_LIMIT, limit.limit());
        return limit;
    }

    @Test
    void whileBehindCallsFromOutsideAreShedAndHopsOfAdmittedRequestsGoOn() throws Exception {
        // Any lateness at all counts as behind here: the limit settles at its floor within a few windows.
        ServerLimits limits = ServerLimits.of(1_000, ServerLimits.DEFAULT_PEER_TIMEOUT)
                .withOverloadLag(Duration.ofNanos(1));
        try (RunningThespian thespian = RunningThespian.start(ConfigParser.parse(SLOW), limits)) {
            var fromOutside = ThespianGrpc.newFutureStub(thespian.channel()).withDeadlineAfter(10, TimeUnit.SECONDS);
            assertSomeAreShed(fromOutside);

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

    /**
     * Requests wait unseen in the sockets while the transport threads cannot keep up with them (here each thread is
     * held 400 ms at a time, while the engine's timer and continuation pool have nothing to do): the limit sees
     * that too, and calls from outside are refused at once, saying why.
     */
    @Test
    void whileTheTransportThreadsFallBehindCallsFromOutsideAreShed() throws Exception {
        ServerLimits limits = ServerLimits.of(1_000, ServerLimits.DEFAULT_PEER_TIMEOUT)
                .withOverloadLag(Duration.ofMillis(200));
        AtomicBoolean holding = new AtomicBoolean(true);
        try (ProcessResources resources = ProcessResources.open(TlsChannelCredentials.create(), List.of(), limits,
                PeerDirectory.AS_CONFIGURED)) {
            ThespianServer server = ThespianServer.start(0, new LoadedConfig(ConfigParser.parse(SLOW), "test", SLOW),
                    Dice.of(OptionalLong.empty()), Instrumentation.NONE, limits, RuntimeOptions.defaults("busy"),
                    resources);
            ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(),
                    InsecureChannelCredentials.create()).build();
            try {
                resources.transport().loops().forEach(loop -> holdNow(loop, holding));
                assertSomeAreShed(ThespianGrpc.newFutureStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS));
            } finally {
                holding.set(false);
                channel.shutdownNow();
                server.stop(Duration.ZERO);
            }
        }
    }

    /** Holds {@code loop} 400 ms, lets it serve its sockets for a moment, and again, while {@code holding}. */
    private static void holdNow(EventExecutor loop, AtomicBoolean holding) {
        if (holding.get()) {
            loop.schedule(() -> {
                try {
                    Thread.sleep(400);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                holdNow(loop, holding);
            }, 1, TimeUnit.MILLISECONDS);
        }
    }

    /** Sends rounds of calls more than the limit's floor at once, for up to 20 s, until the server refuses one. */
    private static void assertSomeAreShed(ThespianGrpc.ThespianFutureStub fromOutside) throws Exception {
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
                    call.get(30, TimeUnit.SECONDS);
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
    }
}
