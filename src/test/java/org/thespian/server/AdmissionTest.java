package org.thespian.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.thespian.config.ConfigParser;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;
import org.thespian.testsupport.SilentServer;

/** Admission and the drain, on a real server: who gets in, who is refused, and how each is told. */
@Execution(ExecutionMode.CONCURRENT) // each test runs its own server; most of their time is spent waiting
class AdmissionTest {

    private static final Nothing NOTHING = Nothing.getDefaultInstance();

    private RunningThespian thespian;
    private ThespianServer server;
    private ManagedChannel channel;

    private void start(String config, ServerLimits limits) throws Exception {
        thespian = RunningThespian.start(ConfigParser.parse(config), limits);
        server = thespian.server();
        channel = thespian.channel();
    }

    @AfterEach
    void stop() throws InterruptedException {
        thespian.close();
    }

    private static String sleeping(long millis) {
        return """
                {"grpc_method_a": {"tracing_name": "slow", "operations": [
                  {"Action": {"Sleep": {"tracing_name": "work", "duration_ms": %d}}}]}}""".formatted(millis);
    }

    @Test
    void pastTheCapACallIsRefusedWithResourceExhaustedNamingIt() throws Exception {
        start(sleeping(1500), ServerLimits.of(3, ServerLimits.DEFAULT_PEER_TIMEOUT));
        List<ListenableFuture<Nothing>> admitted = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            admitted.add(ThespianGrpc.newFutureStub(channel).a(NOTHING));
        }
        awaitInFlight(3);

        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, this::callA);
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, refused.getStatus().getCode());
        assertTrue(refused.getStatus().getDescription().contains("THESPIAN_MAX_IN_FLIGHT"), refused.getMessage());
        assertEquals(ServingStatus.SERVING, health());

        for (ListenableFuture<Nothing> call : admitted) {
            call.get(10, TimeUnit.SECONDS);
        }
        awaitInFlight(0);
        callA(); // the budget is back
    }

    @Test
    void notServingStillTakesCalls() throws Exception {
        start(sleeping(0), ServerLimits.of(10, ServerLimits.DEFAULT_PEER_TIMEOUT));
        server.reportNotServing();
        assertEquals(ServingStatus.NOT_SERVING, health());
        assertEquals(ServingStatus.SERVING, liveness());
        callA();
    }

    @Test
    void theDrainRefusesNewCallsAnswersHealthAndLetsCallsInFlightFinish() throws Exception {
        start(sleeping(800), ServerLimits.of(10, ServerLimits.DEFAULT_PEER_TIMEOUT));
        ListenableFuture<Nothing> inFlight = ThespianGrpc.newFutureStub(channel).a(NOTHING);
        awaitInFlight(1);
        CompletableFuture<Void> stopped = CompletableFuture.runAsync(this::stopWithin10Seconds);

        awaitCondition(() -> health() == ServingStatus.NOT_SERVING);
        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, this::callA);
        assertEquals(Status.Code.UNAVAILABLE, refused.getStatus().getCode());
        assertEquals("the server is shutting down", refused.getStatus().getDescription());
        assertEquals(ServingStatus.SERVING, liveness(), "a liveness probe must not kill a draining pod");

        inFlight.get(10, TimeUnit.SECONDS);
        stopped.get(10, TimeUnit.SECONDS);
    }

    @Test
    void whenTheGraceRunsOutTheCallsLeftAreCutOffByTheServerSayingSo() throws Exception {
        start(sleeping(60_000), ServerLimits.of(10, ServerLimits.DEFAULT_PEER_TIMEOUT));
        ListenableFuture<Nothing> inFlight = ThespianGrpc.newFutureStub(channel).a(NOTHING);
        awaitInFlight(1);
        long start = System.nanoTime();
        server.stop(Duration.ofSeconds(1));
        long stopMillis = (System.nanoTime() - start) / 1_000_000;

        ExecutionException cutOff = assertThrows(ExecutionException.class, () -> inFlight.get(5, TimeUnit.SECONDS));
        Status status = Status.fromThrowable(cutOff.getCause());
        assertEquals(Status.Code.UNAVAILABLE, status.getCode());
        assertEquals("cut off by the server: the shutdown grace of 1 s (THESPIAN_SHUTDOWN_GRACE_SECONDS) ran out",
                status.getDescription());
        assertTrue(stopMillis >= 1000 && stopMillis < 3500, "stop took " + stopMillis + " ms");
    }

    @Test
    void aPeerCallWithoutAnIncomingDeadlineGetsTheDefaultOne() throws Exception {
        try (SilentServer hung = SilentServer.start()) {
            start("""
                    {"grpc_method_a": {"tracing_name": "caller", "operations": [
                      {"Action": {"CallService": {"service_address": "http://127.0.0.1",
                        "service_port": "%d", "grpc_method": "A"}}}]}}""".formatted(hung.address().getPort()),
                    ServerLimits.of(10, Duration.ofMillis(500)));
            long start = System.nanoTime();
            StatusRuntimeException failed = assertThrows(StatusRuntimeException.class,
                    () -> ThespianGrpc.newBlockingStub(channel).a(NOTHING)); // no deadline of its own
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(failed.getStatus().getDescription().contains("deadline"), failed.getMessage());
            assertTrue(millis >= 450 && millis < 5000, "failed after " + millis + " ms");
        }
    }

    private void stopWithin10Seconds() {
        try {
            server.stop(Duration.ofSeconds(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private Nothing callA() {
        return ThespianGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS).a(NOTHING);
    }

    private ServingStatus health() {
        return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                .check(HealthCheckRequest.getDefaultInstance()).getStatus();
    }

    private ServingStatus liveness() {
        return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                .check(HealthCheckRequest.newBuilder().setService(ThespianServer.LIVENESS_SERVICE).build())
                .getStatus();
    }

    private void awaitInFlight(int count) throws InterruptedException {
        awaitCondition(() -> server.inFlight() == count);
    }

    private static void awaitCondition(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "not within 10 s");
            Thread.sleep(10);
        }
    }
}
