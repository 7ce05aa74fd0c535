package org.thespian.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.thespian.admin.proto.AdminGrpc;
import org.thespian.admin.proto.ServingStatus;
import org.thespian.admin.proto.SetHealthRequest;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;

/** The admin service's SetHealth while the server drains: health must not say SERVING while calls are refused. */
class HealthDuringShutdownTest {

    /** Ends only when the test cancels it, so the drain lasts as long as the test needs, however busy the machine. */
    private static final String SLOW_A = """
            {"grpc_method_a": {"tracing_name": "slow", "operations": [
              {"Action": {"Sleep": {"tracing_name": "work", "duration_ms": 600000}}}]}}""";

    @Test
    void duringTheDrainSetHealthServingIsRefusedAndHealthStaysNotServing() throws Exception {
        try (RunningThespian thespian = RunningThespian.start(SLOW_A,
                new RuntimeOptions("svc", true, RuntimeOptions.DEFAULT_MAX_HOPS, true, Optional.empty(),
                        Optional.empty()))) {
            ListenableFuture<Nothing> inFlight = ThespianGrpc.newFutureStub(thespian.channel())
                    .withDeadlineAfter(30, TimeUnit.SECONDS).a(Nothing.getDefaultInstance());
            await(() -> thespian.server().inFlight() == 1);
            CompletableFuture<Void> stopped = CompletableFuture.runAsync(() -> {
                try {
                    thespian.server().stop(Duration.ofSeconds(60));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            await(() -> health(thespian) == HealthCheckResponse.ServingStatus.NOT_SERVING);
            StatusRuntimeException newCall = assertThrows(StatusRuntimeException.class,
                    () -> ThespianGrpc.newBlockingStub(thespian.channel()).withDeadlineAfter(10, TimeUnit.SECONDS)
                            .a(Nothing.getDefaultInstance()));
            assertEquals(Status.Code.UNAVAILABLE, newCall.getStatus().getCode(), "the drain refuses new calls");

            StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> admin(thespian)
                    .setHealth(SetHealthRequest.newBuilder().setStatus(ServingStatus.SERVING).build()));

            assertEquals(Status.Code.FAILED_PRECONDITION, refused.getStatus().getCode());
            assertTrue(refused.getStatus().getDescription().contains("shutting down"), refused.getMessage());
            assertEquals(HealthCheckResponse.ServingStatus.NOT_SERVING, health(thespian));
            assertEquals(ServingStatus.NOT_SERVING, admin(thespian)
                    .setHealth(SetHealthRequest.newBuilder().setStatus(ServingStatus.NOT_SERVING).build())
                    .getPrevious(), "NOT_SERVING is still accepted");
            assertTrue(!stopped.isDone(), "the drain was still waiting for the slow call");
            inFlight.cancel(true);
            stopped.get(20, TimeUnit.SECONDS);
        }
    }

    private static AdminGrpc.AdminBlockingStub admin(RunningThespian thespian) {
        return AdminGrpc.newBlockingStub(thespian.channel()).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    private static HealthCheckResponse.ServingStatus health(RunningThespian thespian) {
        return HealthGrpc.newBlockingStub(thespian.channel()).withDeadlineAfter(10, TimeUnit.SECONDS)
                .check(HealthCheckRequest.getDefaultInstance()).getStatus();
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "not within 10 s");
            Thread.sleep(10);
        }
    }
}
