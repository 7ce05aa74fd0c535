package org.thespian.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.thespian.admin.proto.AdminGrpc;
import org.thespian.admin.proto.GetStatsRequest;
import org.thespian.admin.proto.MethodStats;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;
import org.thespian.testsupport.ThespianProcess;

/** Signals, as supervisors and terminals send them, to the jar as a separate process. */
@Execution(ExecutionMode.CONCURRENT) // each test starts processes of its own
class ShutdownIT {

    private static final Nothing NOTHING = Nothing.getDefaultInstance();

    private static Map<String, String> sleeping(long millis, String... more) {
        Map<String, String> env = new java.util.HashMap<>(Map.of("CONFIG_JSON", """
                {"grpc_method_a": {"tracing_name": "slow", "operations": [
                  {"Action": {"Sleep": {"tracing_name": "work", "duration_ms": %d}}}]},
                 "grpc_method_b": null}""".formatted(millis)));
        for (int i = 0; i < more.length; i += 2) {
            env.put(more[i], more[i + 1]);
        }
        return env;
    }

    @ParameterizedTest
    @ValueSource(strings = {"TERM", "INT", "HUP"})
    void eachStopSignalDrainsCallsInFlightAndExitsZero(String signal) throws Exception {
        try (ThespianProcess thespian = ThespianProcess.start(sleeping(1500, "THESPIAN_ADMIN", "true"))) {
            assumeFalse(thespian.ignores(signal), "SIG" + signal + " was ignored where this test runs (a background"
                    + " job's INT is), and the jar rightly keeps it ignored");
            ListenableFuture<Nothing> inFlight = ThespianGrpc.newFutureStub(thespian.channel()).a(NOTHING);
            awaitInFlight(thespian);
            thespian.signal(signal);
            inFlight.get(20, TimeUnit.SECONDS);
            assertEquals(0, thespian.awaitExit(Duration.ofSeconds(20)));
            List<String> stdout = thespian.stdout();
            assertTrue(String.join("\n", stdout).contains("SIG" + signal + ": stopping"), stdout.toString());
            // stdout is written in batches: the queue is written out before the process ends.
            assertTrue(stdout.get(stdout.size() - 1).contains("\"message\":\"Stopped\""), stdout.toString());
        }
    }

    @Test
    void theShutdownDelayReportsNotServingWhileStillTakingCalls() throws Exception {
        try (ThespianProcess thespian = ThespianProcess.start(sleeping(0, "THESPIAN_SHUTDOWN_DELAY_SECONDS", "3"))) {
            long signalled = System.nanoTime();
            thespian.signal("TERM"); // not Process.destroy(), which stops the reading of stdout
            awaitHealth(thespian, ServingStatus.NOT_SERVING);
            thespian.blockingStub().a(NOTHING); // still taken
            assertEquals(0, thespian.awaitExit(Duration.ofSeconds(20)));
            long millis = (System.nanoTime() - signalled) / 1_000_000;
            assertTrue(millis >= 3000, "exited " + millis + " ms after SIGTERM, before the delay was over");
        }
    }

    @Test
    void callsLeftWhenTheGraceRunsOutAreCutOffAndLoggedAsCutOffByTheServer() throws Exception {
        try (ThespianProcess thespian = ThespianProcess.start(sleeping(60_000, "THESPIAN_SHUTDOWN_GRACE_SECONDS", "1",
                "THESPIAN_ADMIN", "true"))) {
            ListenableFuture<Nothing> inFlight = ThespianGrpc.newFutureStub(thespian.channel()).a(NOTHING);
            awaitInFlight(thespian);
            long signalled = System.nanoTime();
            thespian.signal("TERM"); // not Process.destroy(), which stops the reading of stdout
            ExecutionException cutOff = assertThrows(ExecutionException.class, () -> inFlight.get(20, TimeUnit.SECONDS));
            assertEquals(Status.Code.UNAVAILABLE, Status.fromThrowable(cutOff.getCause()).getCode());
            assertEquals(0, thespian.awaitExit(Duration.ofSeconds(20)));
            long millis = (System.nanoTime() - signalled) / 1_000_000;
            // grace 1 s + at most 2 s closing connections + at most 2 s telemetry, and the JVM's own exit
            assertTrue(millis < 8000, "took " + millis + " ms to exit");
            String logs = String.join("\n", thespian.stdout());
            assertTrue(logs.contains("answered UNAVAILABLE") && logs.contains("cut off by the server: the shutdown"
                    + " grace of 1 s (THESPIAN_SHUTDOWN_GRACE_SECONDS) ran out"), logs);
        }
    }

    /**
     * Waits until the server holds the call (the admin service counts it in flight): a signal before it arrived would
     * refuse the call instead of draining it, which a fixed 400 ms pause only made unlikely on a busy machine.
     */
    private static void awaitInFlight(ThespianProcess thespian) throws InterruptedException {
        AdminGrpc.AdminBlockingStub admin = AdminGrpc.newBlockingStub(thespian.channel());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (admin.withDeadlineAfter(5, TimeUnit.SECONDS).getStats(GetStatsRequest.getDefaultInstance())
                .getMethodsList().stream().filter(method -> method.getMethod().equals("thespian.Thespian/A"))
                .mapToLong(MethodStats::getInFlight).sum() < 1) {
            assertTrue(System.nanoTime() < deadline, "the call did not reach the server within 20 s");
            Thread.sleep(10);
        }
    }

    private static void awaitHealth(ThespianProcess thespian, ServingStatus expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        ServingStatus status = null;
        while (System.nanoTime() < deadline) {
            status = HealthGrpc.newBlockingStub(thespian.channel()).withDeadlineAfter(2, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.getDefaultInstance()).getStatus();
            if (status == expected) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("health was " + status + ", not " + expected);
    }
}
