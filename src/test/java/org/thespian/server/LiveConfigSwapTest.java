package org.thespian.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.thespian.admin.proto.AdminGrpc;
import org.thespian.admin.proto.GetStatsRequest;
import org.thespian.admin.proto.SetConfigRequest;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;
import org.thespian.testsupport.InProcessThespian;

/** A config swapped under calls in flight loses none of them; each finishes on the config it began with. */
class LiveConfigSwapTest {

    private static final int IN_FLIGHT = 64;

    @Test
    void callsInFlightFinishOnTheirConfig() throws Exception {
        int leafPort;
        try (InProcessThespian leaf = InProcessThespian.start("{}")) {
            leafPort = leaf.port();
            // Revision 1 sleeps, then calls the leaf; revision 2 names no peer and fails every call.
            String slowThenCall = """
                    {"grpc_method_a": {"tracing_name": "old", "operations": [
                        {"Action": {"Sleep": {"tracing_name": "wait", "duration_ms": 600}}},
                        {"Action": {"CallService": {"service_address": "127.0.0.1", "service_port": %d,
                            "grpc_method": "A"}}}]}}""".formatted(leafPort);
            String failing = """
                    {"grpc_method_a": {"tracing_name": "new", "operations": [
                        {"Action": {"Sleep": {"tracing_name": "fail", "duration_ms": 0, "failure_chance": 1}}}]}}""";
            try (InProcessThespian thespian = InProcessThespian.start(Map.of("CONFIG_JSON", slowThenCall,
                    "THESPIAN_ADMIN", "true"))) {
                ThespianGrpc.ThespianFutureStub stub = ThespianGrpc.newFutureStub(thespian.channel())
                        .withDeadlineAfter(30, TimeUnit.SECONDS);
                List<ListenableFuture<Nothing>> calls = new ArrayList<>();
                for (int i = 0; i < IN_FLIGHT; i++) {
                    calls.add(stub.a(Nothing.getDefaultInstance()));
                }
                AdminGrpc.AdminBlockingStub admin = AdminGrpc.newBlockingStub(thespian.channel());
                awaitInFlight(admin, IN_FLIGHT);
                assertEquals(2, admin.setConfig(SetConfigRequest.newBuilder().setConfigJson(failing).build())
                        .getRevision());

                for (ListenableFuture<Nothing> call : calls) {
                    assertEquals(Nothing.getDefaultInstance(), call.get(20, TimeUnit.SECONDS));
                }
                StatusRuntimeException error = assertThrows(StatusRuntimeException.class,
                        () -> thespian.blockingStub().a(Nothing.getDefaultInstance()));
                assertTrue(error.getStatus().getDescription().startsWith("new > fail"), error.getStatus().toString());
            }
        }
    }

    @Test
    void callsOfAnOldRevisionKeepItsResourceAfterARevisionResizesIt() throws Exception {
        String oneAtATime = """
                {"resources": {"db": {"max_concurrent": %d, "queue": 10}},
                 "grpc_method_a": {"tracing_name": "query", "resource": "db", "operations": [
                    {"Action": {"Sleep": {"tracing_name": "read", "duration_ms": 300}}}]}}""";
        try (InProcessThespian thespian = InProcessThespian.start(Map.of("CONFIG_JSON", oneAtATime.formatted(1),
                "THESPIAN_ADMIN", "true"))) {
            ThespianGrpc.ThespianFutureStub stub = ThespianGrpc.newFutureStub(thespian.channel())
                    .withDeadlineAfter(30, TimeUnit.SECONDS);
            long start = System.nanoTime();
            List<ListenableFuture<Nothing>> calls = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                calls.add(stub.a(Nothing.getDefaultInstance()));
            }
            AdminGrpc.AdminBlockingStub admin = AdminGrpc.newBlockingStub(thespian.channel());
            awaitInFlight(admin, 3);
            // Admitted is not yet begun: a call reads the running config when its request has arrived, a moment
            // after admission counts it. Give all three that moment, or the last may begin on the new revision.
            Thread.sleep(300);
            admin.setConfig(SetConfigRequest.newBuilder().setConfigJson(oneAtATime.formatted(3)).build());
            for (ListenableFuture<Nothing> call : calls) {
                assertEquals(Nothing.getDefaultInstance(), call.get(20, TimeUnit.SECONDS));
            }
            long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(took >= 900, "the old revision's calls ran side by side, past its max_concurrent of 1: " + took
                    + " ms for three 300 ms calls");
        }
    }

    private static void awaitInFlight(AdminGrpc.AdminBlockingStub admin, int expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        long inFlight = 0;
        while (System.nanoTime() < deadline) {
            inFlight = admin.getStats(GetStatsRequest.getDefaultInstance()).getMethods(0).getInFlight();
            if (inFlight == expected) {
                return;
            }
            Thread.sleep(5);
        }
        throw new AssertionError(inFlight + " calls in flight, expected " + expected);
    }
}
