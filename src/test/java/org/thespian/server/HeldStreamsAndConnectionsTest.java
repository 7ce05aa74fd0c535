package org.thespian.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.thespian.admin.proto.AdminGrpc;
import org.thespian.admin.proto.GetConfigRequest;
import org.thespian.config.ConfigParser;
import org.thespian.config.ConfigSource.LoadedConfig;
import org.thespian.engine.EngineLimits;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;
import org.thespian.testsupport.RawHttp2;

/**
 * Streams and connections that a client opens and then leaves hanging cannot hold the server: a call whose request
 * never comes is cancelled, one connection gets only its share of the calls, connections past the cap close the
 * hanging ones, and admin answers a client does not read stay within the admin limit.
 */
@Execution(ExecutionMode.CONCURRENT) // each test runs its own server; most of their time is spent waiting
class HeldStreamsAndConnectionsTest {

    private static final Duration LONG = Duration.ofSeconds(60);
    private static final Duration BOUND = Duration.ofSeconds(20);
    private static final String A = "/thespian.Thespian/A";
    private static final Nothing NOTHING = Nothing.getDefaultInstance();
    /** A takes longer than the 2 s arrival bound of the first test: a call whose request came is never cut short. */
    private static final String A_TAKES_2500_MS = """
            {"grpc_method_a": {"tracing_name": "slow", "operations": [
              {"Action": {"Sleep": {"tracing_name": "work", "duration_ms": 2500}}}]}}""";

    private RunningThespian thespian;

    @AfterEach
    void stop() throws InterruptedException {
        if (thespian != null) {
            thespian.close();
        }
    }

    private static ServerLimits limits(int maxInFlight, Duration requestArrival, OptionalInt maxConnections) {
        return new ServerLimits(maxInFlight, ServerLimits.DEFAULT_PEER_TIMEOUT, LONG, LONG, EngineLimits.DEFAULT)
                .withConnections(requestArrival, maxConnections);
    }

    private void start(String config, ServerLimits limits) throws Exception {
        thespian = RunningThespian.start(ConfigParser.parse(config), limits);
    }

    @Test
    void callsWhoseRequestNeverArrivesAreCancelledAfterTheBoundAndRealCallsThenGoThrough() throws Exception {
        start(A_TAKES_2500_MS, limits(4, Duration.ofSeconds(2), OptionalInt.empty()));
        try (RawHttp2 headersOnly = RawHttp2.connect(thespian.server().port()).handshake(BOUND);
                RawHttp2 messageWithoutEnd = RawHttp2.connect(thespian.server().port()).handshake(BOUND)) {
            long start = System.nanoTime();
            for (int stream : List.of(1, 3, 5)) {
                headersOnly.headers(stream, A, false);
            }
            headersOnly.flush();
            messageWithoutEnd.headers(1, A, false);
            messageWithoutEnd.message(1, new byte[0], false);
            messageWithoutEnd.flush();
            awaitCondition(() -> thespian.server().inFlight() == 4); // the whole budget, held

            Map<Integer, Map<String, String>> withoutMessage = headersOnly.awaitTrailers(3, BOUND);
            Map<Integer, Map<String, String>> withoutEnd = messageWithoutEnd.awaitTrailers(1, BOUND);
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals(Set.of(1, 3, 5), withoutMessage.keySet());
            assertEquals(Set.of(1), withoutEnd.keySet());
            for (Map<String, String> fields : List.of(withoutMessage.get(1), withoutMessage.get(3),
                    withoutMessage.get(5), withoutEnd.get(1))) {
                assertEquals("1", fields.get("grpc-status"), "CANCELLED: " + fields);
                assertEquals("the request did not arrive within 2 s of the call's headers",
                        fields.get("grpc-message"));
            }
            assertTrue(millis >= 2000, "cancelled after " + millis + " ms");
            awaitCondition(() -> thespian.server().inFlight() == 0);
            callA(); // a real call, longer than the bound: its request came, so it runs to the end
        }
    }

    @Test
    void oneConnectionGetsOnlyItsShareOfTheCallsAndOthersAreStillServed() throws Exception {
        start("{}", limits(4, LONG, OptionalInt.empty()));
        try (RawHttp2 greedy = RawHttp2.connect(thespian.server().port()).handshake(BOUND)) {
            for (int stream : List.of(1, 3, 5, 7)) {
                greedy.headers(stream, A, false);
            }
            greedy.flush();
            Map<Integer, Map<String, String>> refused = greedy.awaitTrailers(1, BOUND);
            assertEquals(List.of(7), List.copyOf(refused.keySet()), "the fourth call is past the share of 3");
            assertEquals("8", refused.get(7).get("grpc-status"), "RESOURCE_EXHAUSTED: " + refused.get(7));
            assertEquals("3 calls of this connection are in flight, its share of THESPIAN_MAX_IN_FLIGHT (4); other"
                    + " connections still get the rest; try again later", refused.get(7).get("grpc-message"));
            awaitCondition(() -> thespian.server().inFlight() == 3);
            callA();
            assertServing(thespian.channel());
        }
    }

    @Test
    void pastTheConnectionCapHandshakeOnlyThenIdleConnectionsAreClosedAndNewClientsServed() throws Exception {
        start("{}", limits(100, LONG, OptionalInt.of(4)));
        int port = thespian.server().port();
        // Each connection is known to the server before the next one opens, so their order is the test's.
        try (RawHttp2 idleOlder = idle(port);
                RawHttp2 idleNewer = idle(port);
                RawHttp2 prefaceOlder = prefaceOnly(port);
                RawHttp2 prefaceNewer = prefaceOnly(port)) {
            assertServing(thespian.channel()); // the fifth connection: the oldest without a handshake makes room
            assertTrue(prefaceOlder.awaitClosedByServer(BOUND), "the older preface-only connection is still open");

            ManagedChannel second = channel(port);
            ManagedChannel third = channel(port);
            try {
                assertServing(second);
                assertTrue(prefaceNewer.awaitClosedByServer(BOUND), "the newer preface-only connection is still open");
                assertServing(third); // no connection without a handshake is left: the one quiet the longest goes
                assertTrue(idleOlder.awaitClosedByServer(BOUND), "the idle connection heard from first is still open");
                assertFalse(idleNewer.awaitClosedByServer(Duration.ofMillis(300)), "more closed than needed");
            } finally {
                second.shutdownNow();
                third.shutdownNow();
            }
        }
    }

    @Test
    void theConnectionCapKeepsAnEighthOfTheDescriptorsForEverythingElse() {
        assertEquals(896, Connections.capForDescriptors(1024), "at least 128 kept");
        assertEquals(57_344, Connections.capForDescriptors(65_536));
        assertEquals(50, Connections.capForDescriptors(100), "at most half kept");
        assertEquals(Integer.MAX_VALUE, Connections.capForDescriptors(Long.MAX_VALUE));
    }

    @Test
    void getConfigAnswersAClientDoesNotReadStayWithinTheAdminLimit() throws Exception {
        String config = "{\"grpc_method_a\": null}" + " ".repeat(1 << 20);
        thespian = RunningThespian.start(new LoadedConfig(ConfigParser.parse(config), "test", config),
                limits(100, LONG, OptionalInt.empty()),
                new RuntimeOptions("test", true, RuntimeOptions.DEFAULT_MAX_HOPS, true, Optional.empty(),
                        Optional.empty()));
        long directBefore = directMemoryBytes();
        int share = ServerLimits.connectionShare(ThespianServer.MAX_ADMIN_IN_FLIGHT);
        try (RawHttp2 neverReads = RawHttp2.connect(thespian.server().port()).handshake(BOUND);
                RawHttp2 alsoNeverReads = RawHttp2.connect(thespian.server().port()).handshake(BOUND)) {
            Map<String, Integer> first = getConfigs(neverReads, 100);
            assertEquals(Map.of("admitted", share, "12 calls of this connection are in flight, its share of the admin"
                    + " calls allowed at once (16); other connections still get the rest; try again later",
                    100 - share), first, "one connection's GetConfig calls");
            Map<String, Integer> second = getConfigs(alsoNeverReads, 10);
            assertEquals(Map.of("admitted", ThespianServer.MAX_ADMIN_IN_FLIGHT - share,
                    "16 admin calls are in flight, the most allowed at once; try again later",
                    10 - ThespianServer.MAX_ADMIN_IN_FLIGHT + share), second, "another connection's");
            long grownMegabytes = (directMemoryBytes() - directBefore) >> 20;
            assertTrue(grownMegabytes < 40, "direct memory grew by " + grownMegabytes + " MB");
        }
        // Once the clients that do not read are gone, so are their answers and their places.
        assertEquals(config, AdminGrpc.newBlockingStub(thespian.channel()).withDeadlineAfter(10, TimeUnit.SECONDS)
                .getConfig(GetConfigRequest.getDefaultInstance()).getConfigJson());
    }

    /**
     * Sends {@code calls} GetConfig calls on a connection that never gives flow control credit, and counts how each
     * began: its answer's headers ("admitted"; the 1 MB answer then waits for credit) or a refusal, by its message.
     */
    private static Map<String, Integer> getConfigs(RawHttp2 connection, int calls) throws IOException {
        for (int i = 0; i < calls; i++) {
            connection.headers(2 * i + 1, "/thespian.admin.v1.Admin/GetConfig", false);
            connection.message(2 * i + 1, new byte[0]);
        }
        connection.flush();
        Map<Integer, String> began = new HashMap<>();
        while (began.size() < calls) {
            RawHttp2.Frame frame = connection.read(BOUND);
            if (frame.type() == RawHttp2.HEADERS) {
                Map<String, String> fields = connection.headersOf(frame);
                began.putIfAbsent(frame.streamId(), RawHttp2.endsStream(frame)
                        ? fields.get("grpc-status") + ": " + fields.get("grpc-message") : "admitted");
            }
        }
        Map<String, Integer> counts = new HashMap<>();
        began.values().forEach(how -> counts.merge(how.replaceFirst("^8: ", ""), 1, Integer::sum));
        return counts;
    }

    /** A connection past its handshake, with no call, last heard from now. */
    private static RawHttp2 idle(int port) throws IOException {
        RawHttp2 connection = RawHttp2.connect(port).handshake(BOUND);
        connection.sync(BOUND);
        return connection;
    }

    /** A connection that sent the preface and nothing more, once the server has accepted it (its SETTINGS came). */
    private static RawHttp2 prefaceOnly(int port) throws IOException {
        RawHttp2 connection = RawHttp2.connect(port).sendPrefaceOnly();
        connection.read(BOUND);
        return connection;
    }

    private static long directMemoryBytes() {
        return ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(pool -> pool.getName().equals("direct"))
                .mapToLong(BufferPoolMXBean::getMemoryUsed)
                .sum();
    }

    private static ManagedChannel channel(int port) {
        return Grpc.newChannelBuilderForAddress("127.0.0.1", port, InsecureChannelCredentials.create()).build();
    }

    private Nothing callA() {
        return ThespianGrpc.newBlockingStub(thespian.channel()).withDeadlineAfter(10, TimeUnit.SECONDS).a(NOTHING);
    }

    private static void assertServing(ManagedChannel channel) {
        assertEquals(ServingStatus.SERVING, HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .check(HealthCheckRequest.getDefaultInstance()).getStatus());
        ThespianGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS).a(NOTHING);
    }

    private static void awaitCondition(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + BOUND.toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "not within " + BOUND.toSeconds() + " s");
            Thread.sleep(10);
        }
    }
}
