package org.thespian.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.thespian.admin.proto.AdminGrpc;
import org.thespian.admin.proto.GetStatsRequest;
import org.thespian.admin.proto.MethodStats;
import org.thespian.proto.Nothing;
import org.thespian.testsupport.InProcessThespian;
import org.thespian.testsupport.ThespianProcess;

/**
 * A trace's budget of actions and calls (THESPIAN_MAX_ACTIONS_PER_TRACE) travels with its calls
 * ({@code thespian-budget}), so a call cycle that fans out ends within it, not at the hop limit.
 */
class TraceBudgetTest {

    private static final Nothing NOTHING = Nothing.getDefaultInstance();
    private static final int BUDGET = 300;

    /** Without the budget: 3 calls per request, 16 hops deep, 3^16 calls in all (88,000 in 20 s were seen). */
    @Test
    void aFireAndForgetCallThatCallsItsOwnMethodThreeTimesEndsWithinTheBudget() throws Exception {
        int port = ThespianProcess.freePort();
        String spreading = """
                {"grpc_method_a": {"tracing_name": "spread", "operations": [
                    {"Action": {"CallService": {"tracing_name": "call myself", "service_address": "127.0.0.1",
                        "service_port": %d, "grpc_method": "A", "wait": false, "repeat": {"times": 3}}}}]}}"""
                .formatted(port);
        try (InProcessThespian thespian = InProcessThespian.start(Map.of("PORT", Integer.toString(port),
                "CONFIG_JSON", spreading, "THESPIAN_MAX_ACTIONS_PER_TRACE", Integer.toString(BUDGET),
                "THESPIAN_ADMIN", "true"))) {
            thespian.blockingStub().a(NOTHING);

            long served = callsOfAWhenTheyStop(thespian);
            // Every call costs the trace one unit, and the client's own call is one more.
            assertTrue(served <= BUDGET + 1, served + " calls of A served, with a budget of " + BUDGET);
            assertTrue(served >= 20, "the calls should have spread before the budget ran out: " + served);

            assertEquals(ServingStatus.SERVING, HealthGrpc.newBlockingStub(thespian.channel())
                    .check(HealthCheckRequest.getDefaultInstance()).getStatus());
            thespian.blockingStub().b(NOTHING); // still answers
        }
    }

    /** The calls of A counted by the admin service, once the count has not moved for a second (at most 30 s). */
    private static long callsOfAWhenTheyStop(InProcessThespian thespian) throws InterruptedException {
        AdminGrpc.AdminBlockingStub admin = AdminGrpc.newBlockingStub(thespian.channel())
                .withDeadlineAfter(60, TimeUnit.SECONDS);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        long last = -1;
        int unchanged = 0;
        while (System.nanoTime() < deadline) {
            long calls = admin.getStats(GetStatsRequest.getDefaultInstance()).getMethodsList().stream()
                    .filter(method -> method.getMethod().equals("thespian.Thespian/A"))
                    .mapToLong(MethodStats::getCalls).sum();
            if (calls > BUDGET + 1) {
                return calls; // already over: no need to wait for a flood to end
            }
            unchanged = calls == last ? unchanged + 1 : 0;
            if (unchanged == 10) {
                return calls;
            }
            last = calls;
            Thread.sleep(100);
        }
        throw new AssertionError("the calls of A were still growing after 30 s: " + last);
    }

    @Test
    void aChainOfCallsMadeInTurnSharesTheBudgetAndTheRefusalIsRelayedWithItsCode() {
        int port = ThespianProcess.freePort();
        // Each request spends 3 units (its function, its call action, the call) and waits for its callee.
        try (InProcessThespian thespian = InProcessThespian.start(Map.of("PORT", Integer.toString(port),
                "CONFIG_JSON", HopLimitTest.callsItself(port), "THESPIAN_MAX_ACTIONS_PER_TRACE", "30", "THESPIAN_MAX_HOPS", "1000"))) {
            StatusRuntimeException error = assertThrows(StatusRuntimeException.class,
                    () -> thespian.blockingStub().a(NOTHING));
            assertEquals(Status.Code.RESOURCE_EXHAUSTED, error.getStatus().getCode(), error.getStatus().toString());
            String message = error.getStatus().getDescription();
            assertTrue(message.contains("THESPIAN_MAX_ACTIONS_PER_TRACE"), message);
            // Ten hops of 3 units spend 30: the eleventh call arrives with nothing left.
            assertTrue(message.contains("thespian-budget 0"), message);
        }
    }

    @Test
    void aBudgetHeaderIsCheckedAndCappedByTheCallee() {
        try (InProcessThespian thespian = InProcessThespian.start(Map.of("CONFIG_JSON", """
                {"grpc_method_a": {"tracing_name": "two sleeps", "operations": [
                    {"Action": {"Sleep": {"tracing_name": "one", "duration_ms": 0}}},
                    {"Action": {"Sleep": {"tracing_name": "two", "duration_ms": 0}}}]}}""",
                "THESPIAN_MAX_ACTIONS_PER_TRACE", "2"))) {
            for (String malformed : new String[] {"-1", "lots", "", "1234567890123456789"}) {
                StatusRuntimeException error = assertThrows(StatusRuntimeException.class,
                        () -> thespian.blockingStubWithHeader("thespian-budget", malformed).a(NOTHING));
                assertEquals(Status.Code.INVALID_ARGUMENT, error.getStatus().getCode(), malformed);
                assertTrue(error.getStatus().getDescription().startsWith("thespian-budget must be a whole number"));
            }
            assertEquals(Status.Code.RESOURCE_EXHAUSTED, assertThrows(StatusRuntimeException.class,
                    () -> thespian.blockingStubWithHeader("thespian-budget", "0").a(NOTHING)).getStatus().getCode());
            // The function and its two sleeps need 3 units: a budget of 2, or of a billion capped at 2, is short.
            for (String budget : new String[] {"2", "1000000000"}) {
                StatusRuntimeException error = assertThrows(StatusRuntimeException.class,
                        () -> thespian.blockingStubWithHeader("thespian-budget", budget).a(NOTHING));
                assertEquals(Status.Code.RESOURCE_EXHAUSTED, error.getStatus().getCode(), budget);
                assertTrue(error.getStatus().getDescription().startsWith("two sleeps > two: this trace has spent"),
                        error.getStatus().getDescription());
            }
            thespian.blockingStub().b(NOTHING); // B has no function: it spends nothing
        }
    }
}
