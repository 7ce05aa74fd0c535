package org.thespian.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;
import org.thespian.testsupport.Loopback;
import org.thespian.testsupport.ThespianProcess;

/**
 * Out-of-heap cases on a small heap: afterwards the jar answers health checks and calls, or it has
 * exited with one line; it is never alive and deaf. A minute or two each, so not part of {@code mvn verify}
 * (the name matches neither *Test nor *IT): {@code bench/hostile.sh} runs it.
 */
class OutOfMemoryHostile {

    private static final List<String> SMALL_HEAP = List.of("-Xmx64m");
    private static final Nothing NOTHING = Nothing.getDefaultInstance();

    @Test
    void twentyThousandConcurrentSleepsLeaveItServingOrGone() throws Exception {
        try (ThespianProcess thespian = ThespianProcess.start(SMALL_HEAP, Map.of("CONFIG_JSON", """
                {"grpc_method_a": {"tracing_name": "slow", "operations": [
                  {"Action": {"Sleep": {"tracing_name": "work", "duration_ms": 1000}}}]},
                 "grpc_method_c": null}"""))) {
            Map<String, Long> outcomes = callAtOnce(thespian.port(), 20_000);
            System.out.println("20,000 concurrent 1 s sleeps at -Xmx64m: " + outcomes);
            assertServingOrGone(thespian, outcomes);
        }
    }

    @Test
    void aWideFanOutLeavesItServingOrGone() throws Exception {
        int port = ThespianProcess.freePort();
        String call = """
                {"CallService": {"service_address": "http://127.0.0.1", "service_port": "%d", "grpc_method": "B"}}"""
                .formatted(port);
        String sleep = """
                {"Sleep": {"tracing_name": "work", "duration_ms": 1000}}""";
        String config = """
                {"grpc_method_a": {"tracing_name": "fan out", "operations": [{"ConcurrentActions": [%s]}]},
                 "grpc_method_b": {"tracing_name": "leaf", "operations": [{"ConcurrentActions": [%s]}]},
                 "grpc_method_c": null}""".formatted(repeat(call, 100), repeat(sleep, 1000));
        try (ThespianProcess thespian = ThespianProcess.start(SMALL_HEAP, Map.of("PORT", Integer.toString(port),
                "CONFIG_JSON", config))) {
            Map<String, Long> outcomes = callAtOnce(port, 20); // 20 × 100 × 1,000 = 2,000,000 sleeps
            System.out.println("20 requests of a 100 × 1,000 fan-out at -Xmx64m: " + outcomes);
            assertServingOrGone(thespian, outcomes);
        }
    }

    /** Before THESPIAN_MAX_ACTIONS_IN_FLIGHT, the caller filled its heap in 6 s and exited with code 3. */
    @Test
    void thirtyRequestsOfTenThousandConcurrentCallsToASlowPeerLeaveTheCallerServing() throws Exception {
        try (ThespianProcess peer = ThespianProcess.start(List.of(), Map.of("CONFIG_JSON", """
                {"grpc_method_a": {"tracing_name": "slow", "operations": [
                  {"Action": {"Sleep": {"tracing_name": "work", "duration_ms": 3000}}}]}}"""));
                ThespianProcess caller = ThespianProcess.start(List.of("-Xmx256m"), Map.of("CONFIG_JSON", """
                        {"grpc_method_a": {"tracing_name": "flood", "operations": [
                          {"Action": {"CallService": {"service_address": "127.0.0.1", "service_port": %d,
                            "grpc_method": "A", "repeat": {"times": 10000, "concurrent": true}}}}]},
                         "grpc_method_c": null}""".formatted(peer.port())))) {
            Map<String, Long> outcomes = callAtOnce(caller.port(), 30);
            System.out.println("30 requests of 10,000 concurrent calls to a 3 s peer at -Xmx256m: " + outcomes);
            assertTrue(caller.isAlive(), "the caller exited: " + caller.stderr());
            assertServingOrGone(caller, outcomes);
        }
    }

    private static String repeat(String item, int times) {
        return IntStream.range(0, times).mapToObj(i -> item).collect(Collectors.joining(","));
    }

    /** Sends {@code calls} calls to A at once over four connections and counts how each ended. */
    private static Map<String, Long> callAtOnce(int port, int calls) throws InterruptedException {
        List<ManagedChannel> channels = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            channels.add(Grpc.newChannelBuilderForAddress("127.0.0.1", port, InsecureChannelCredentials.create())
                    .build());
        }
        try {
            List<ListenableFuture<Nothing>> pending = new ArrayList<>();
            for (int i = 0; i < calls; i++) {
                pending.add(ThespianGrpc.newFutureStub(channels.get(i % channels.size()))
                        .withDeadlineAfter(60, TimeUnit.SECONDS).a(NOTHING));
            }
            Map<String, Long> outcomes = new TreeMap<>();
            for (ListenableFuture<Nothing> call : pending) {
                outcomes.merge(outcome(call), 1L, Long::sum);
            }
            return outcomes;
        } finally {
            channels.forEach(ManagedChannel::shutdownNow);
        }
    }

    private static String outcome(ListenableFuture<Nothing> call) throws InterruptedException {
        try {
            call.get(90, TimeUnit.SECONDS);
            return "OK";
        } catch (ExecutionException e) {
            return Status.fromThrowable(e.getCause()).getCode().name();
        } catch (TimeoutException e) {
            return "no answer";
        }
    }

    private static void assertServingOrGone(ThespianProcess thespian, Map<String, Long> outcomes)
            throws InterruptedException {
        if (thespian.isAlive() && !Loopback.listening(thespian.port())) {
            thespian.awaitExit(Duration.ofSeconds(10)); // its port closed first: it is on its way out
        }
        if (!thespian.isAlive()) {
            int code = thespian.awaitExit(Duration.ofSeconds(5));
            System.out.println("exited with " + code + ": " + thespian.stderr());
            assertTrue(code != 0, "exited with 0 after " + outcomes + "; stderr: " + thespian.stderr()
                    + "; stdout: " + thespian.stdout().stream().skip(Math.max(0, thespian.stdout().size() - 5)).toList());
            assertTrue(thespian.stderr().contains("thespian: "), thespian.stderr());
            assertFalse(thespian.stderr().contains("\tat "), thespian.stderr());
            return;
        }
        assertEquals(ServingStatus.SERVING, HealthGrpc.newBlockingStub(thespian.channel())
                .withDeadlineAfter(10, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance()).getStatus(),
                "after " + outcomes);
        ThespianGrpc.newBlockingStub(thespian.channel()).withDeadlineAfter(10, TimeUnit.SECONDS).c(NOTHING);
        assertEquals(0, outcomes.getOrDefault("no answer", 0L), "calls left hanging: " + outcomes);
        System.out.println("still serving: health SERVING and a call answered");
    }
}
