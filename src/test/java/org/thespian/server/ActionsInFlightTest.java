package org.thespian.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.thespian.admin.proto.AdminGrpc;
import org.thespian.admin.proto.GetStatsRequest;
import org.thespian.admin.proto.MethodStats;
import org.thespian.proto.Nothing;
import org.thespian.testsupport.InProcessThespian;

/**
 * THESPIAN_MAX_ACTIONS_IN_FLIGHT counts the calls a request starts, not only the requests: one {@code repeat}
 * of thousands of concurrent calls is one action, and 30 of them filled a 256 MB heap in 6 s.
 */
class ActionsInFlightTest {

    private static final Nothing NOTHING = Nothing.getDefaultInstance();
    private static final int MAX_IN_FLIGHT = 50;

    @Test
    void wideConcurrentRepeatsFromManyRequestsAreRefusedPastTheBudgetAndGiveItBack() throws Exception {
        try (InProcessThespian slowPeer = InProcessThespian.start(Map.of("THESPIAN_ADMIN", "true", "CONFIG_JSON", """
                {"grpc_method_a": {"tracing_name": "slow", "operations": [
                    {"Action": {"Sleep": {"tracing_name": "work", "duration_ms": 1000}}}]}}"""));
                InProcessThespian caller = InProcessThespian.start(Map.of(
                        "THESPIAN_MAX_ACTIONS_IN_FLIGHT", Integer.toString(MAX_IN_FLIGHT), "CONFIG_JSON", """
                        {"grpc_method_a": {"tracing_name": "flood", "operations": [
                            {"Action": {"CallService": {"service_address": "127.0.0.1", "service_port": %1$d,
                                "grpc_method": "A", "repeat": {"times": 200, "concurrent": true}}}}]},
                         "grpc_method_b": {"tracing_name": "some", "operations": [
                            {"Action": {"CallService": {"service_address": "127.0.0.1", "service_port": %1$d,
                                "grpc_method": "A", "repeat": {"times": 10, "concurrent": true}}}}]}}"""
                                .formatted(slowPeer.port())))) {
            List<Future<Nothing>> floods = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                floods.add(caller.futureStub().withDeadlineAfter(30, TimeUnit.SECONDS).a(NOTHING));
            }
            for (Future<Nothing> flood : floods) {
                ExecutionException error = assertThrows(ExecutionException.class,
                        () -> flood.get(60, TimeUnit.SECONDS));
                Status status = Status.fromThrowable(error.getCause());
                assertEquals(Status.Code.RESOURCE_EXHAUSTED, status.getCode(), status.toString());
                assertTrue(status.getDescription().contains("actions and peer calls were in flight in this process"
                        + " (THESPIAN_MAX_ACTIONS_IN_FLIGHT)"), status.getDescription());
            }
            // 5 × 200 calls were asked for, and every one would hold its place for a second.
            long served = AdminGrpc.newBlockingStub(slowPeer.channel()).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .getStats(GetStatsRequest.getDefaultInstance()).getMethodsList().stream()
                    .filter(method -> method.getMethod().equals("thespian.Thespian/A"))
                    .mapToLong(MethodStats::getCalls).sum();
            assertTrue(served > 0 && served <= MAX_IN_FLIGHT, served + " calls reached the peer");

            caller.blockingStub().b(NOTHING); // every place was given back: ten calls fit again
        }
    }
}
