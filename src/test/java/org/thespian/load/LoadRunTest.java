package org.thespian.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.thespian.config.ConfigParser;
import org.thespian.engine.Dice;
import org.thespian.server.Instrumentation;
import org.thespian.server.ThespianServer;
import org.thespian.testsupport.Loopback;

/** The load tool against real gRPC servers in this JVM, through its API, closed and open loop. */
@Execution(ExecutionMode.CONCURRENT) // each test runs its own server; most of their time is spent waiting
class LoadRunTest {

    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor();

    @AfterAll
    static void stopTimer() {
        TIMER.shutdownNow();
    }

    @Test
    void aClosedLoopKeepsItsCallsInFlightAndCountsEveryCallTheServerAnswered() throws Exception {
        try (ScriptedServer server = new ScriptedServer(after(5))) {
            LoadReport report = run(server.port(), "--concurrency", "8", "--duration", "1500ms");

            assertEquals(Map.of(Status.Code.OK, (long) server.calls()), report.statuses());
            assertEquals(0, report.unfinished());
            assertTrue(report.calls() >= 50, "only " + report.calls() + " calls in 1.5 s at 8 in flight");
            assertEquals(8, server.mostInFlight(), "calls in flight at the server");
            assertTrue(report.latencyMillis(50) >= 5, "p50 " + report.latencyMillis(50) + " ms under a 5 ms sleep");
            assertOrdered(report);
            assertEquals(report.calls() / (report.elapsed().toNanos() / 1e9), report.throughput(), 1e-6);
        }
    }

    @Test
    void anOpenLoopStartsExactlyRateTimesDurationCallsWhateverTheServerTakes() throws Exception {
        try (ScriptedServer server = new ScriptedServer(after(10))) {
            LoadReport report = run(server.port(), "--rate", "200/s", "--duration", "1500ms");

            assertEquals(Map.of(Status.Code.OK, 300L), report.statuses());
            assertEquals(300, server.calls());
            assertTrue(report.latencyMillis(50) >= 10, "p50 " + report.latencyMillis(50) + " ms under a 10 ms sleep");
            assertOrdered(report);
        }
    }

    @Test
    void aStalledServerShowsInOpenLoopLatencyAsTheTimeCallsWaitedFromWhenTheyWereDue() throws Exception {
        // Call 100 blocks the server's only transport thread for 400 ms: the calls due meanwhile wait.
        try (ScriptedServer server = new ScriptedServer((number, answer) -> {
            if (number == 100) {
                sleep(400);
            }
            answer.ok();
        })) {
            LoadReport report = run(server.port(), "--rate", "200/s", "--duration", "2s");

            assertEquals(Map.of(Status.Code.OK, 400L), report.statuses(), "no call left unsent during the stall");
            assertTrue(report.maxMillis() >= 390, "max " + report.maxMillis() + " ms across a 400 ms stall");
            // ~80 calls (20%) fell due during the stall, waiting 400 ms down to 0 ms
            assertTrue(report.latencyMillis(90) >= 50, "p90 " + report.latencyMillis(90) + " ms");
        }
    }

    @Test
    void callsAreCountedByTheStatusCodeTheyEndWith() throws Exception {
        ThespianServer thespian = ThespianServer.start(0, ConfigParser.parse("""
                {"grpc_method_a": {"tracing_name": "flaky", "operations": [
                  {"Action": {"Sleep": {"tracing_name": "coin", "duration_ms": 1, "failure_chance": 0.5}}}]},
                 "grpc_method_b": null, "grpc_method_c": null}"""), Dice.of(OptionalLong.of(7)), TlsChannelCredentials.create(),
                Instrumentation.NONE);
        try {
            LoadReport report = run(thespian.port(), "--rate", "100/s", "--duration", "1s");

            assertEquals(100, report.calls());
            long ok = report.statuses().get(Status.Code.OK);
            long internal = report.statuses().get(Status.Code.INTERNAL);
            assertEquals(100, ok + internal, report.statuses().toString());
            assertTrue(ok >= 20 && internal >= 20, report.statuses().toString());
        } finally {
            thespian.stop(java.time.Duration.ofSeconds(5));
        }
    }

    @Test
    void aTimeoutEndsCallsTheServerNeverAnswersWithDeadlineExceeded() throws Exception {
        try (ScriptedServer server = new ScriptedServer((number, answer) -> { })) {
            LoadReport report = run(server.port(), "--concurrency", "4", "--duration", "2s", "--timeout", "200ms");

            assertEquals(Map.of(Status.Code.DEADLINE_EXCEEDED, report.calls()), report.statuses());
            // 40 if the machine keeps up; at least two rounds of 4 (the loop goes on after a timeout) on a loaded one
            assertTrue(report.calls() >= 8, report.calls() + " calls of 200 ms at 4 in flight for 2 s");
            assertTrue(report.latencyMillis(1) >= 199, "fastest " + report.latencyMillis(1) + " ms");
        }
    }

    @Test
    void anOpenLoopNeverHasMoreThanMaxInFlightUnansweredAndCountsWhatItDidNotSend() throws Exception {
        try (ScriptedServer server = new ScriptedServer((number, answer) -> { })) {
            List<IntervalReport> intervals = new CopyOnWriteArrayList<>();
            // No call ends within the run (each times out 2 s after it was sent), so exactly 20 go out.
            LoadReport report = run(server.port(), intervals::add, "--rate", "200/s", "--duration", "1s",
                    "--max-in-flight", "20", "--timeout", "2s", "--report-every", "500ms");

            assertEquals(20, server.calls());
            assertEquals(Map.of(Status.Code.DEADLINE_EXCEEDED, 20L), report.statuses());
            assertEquals(180, report.notSent());
            assertEquals(List.of(80L, 100L), intervals.stream().map(i -> i.report().notSent()).toList());
            assertEquals(" (180 not sent: 20 were in flight, --max-in-flight)", report.shortfallText());
            assertEquals(180, report.toJson().get("not_sent").asLong());
        }
    }

    @Test
    void everyCallCarriesTheHeadersGivenWithH() throws Exception {
        try (ScriptedServer server = new ScriptedServer(after(0))) {
            run(server.port(), "--rate", "50/s", "--duration", "500ms",
                    "-H", "thespian-fault=A:INTERNAL:0.5", "-H", "X-Team=checkout", "-H", "x-team=search");

            Metadata.Key<String> fault = Metadata.Key.of("thespian-fault", Metadata.ASCII_STRING_MARSHALLER);
            Metadata.Key<String> team = Metadata.Key.of("x-team", Metadata.ASCII_STRING_MARSHALLER);
            assertEquals(25, server.headers().size());
            for (Metadata headers : server.headers()) {
                assertEquals("A:INTERNAL:0.5", headers.get(fault));
                assertEquals(List.of("checkout", "search"), toList(headers.getAll(team)));
            }
        }
    }

    @Test
    void warmUpCallsAreMadeButNotCounted() throws Exception {
        try (ScriptedServer server = new ScriptedServer(after(0))) {
            LoadReport report = run(server.port(), "--rate", "100/s", "--warmup", "500ms", "--duration", "1s");

            assertEquals(150, server.calls());
            assertEquals(Map.of(Status.Code.OK, 100L), report.statuses());
            assertEquals(50, report.warmupCalls());
        }
    }

    @Test
    void aTargetWhereNothingListensIsOneLineAndNoRun() throws Exception {
        long start = System.nanoTime();
        int port = Loopback.closedPort().getPort();
        LoadRun.Unreachable refused = assertThrows(LoadRun.Unreachable.class,
                () -> run(port, "--concurrency", "2", "--duration", "30s"));

        assertEquals("cannot reach 127.0.0.1:" + port + ": Connection refused", refused.getMessage());
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10), "the check took its time");
    }

    @Test
    void aTargetThatDoesNotResolveIsOneLineAndNoRun() {
        LoadRun.Unreachable refused = assertThrows(LoadRun.Unreachable.class, () -> LoadRun.run(LoadOptions.parse(
                List.of("--target", "no-such-host.invalid:6379", "--rate", "10/s", "--duration", "30s")),
                Progress.Listener.NONE));

        assertTrue(refused.getMessage().startsWith("cannot reach no-such-host.invalid:6379: unknown host"),
                refused.getMessage());
    }

    @Test
    void aClosedLoopWhoseTargetGoesAwayBacksOffUntilItAnswersAgain() throws Exception {
        List<ScriptedServer> servers = new CopyOnWriteArrayList<>();
        // The 100th call takes the server away for 1.5 s, then another one takes its port (off TIMER: it sleeps).
        servers.add(new ScriptedServer((number, answer) -> {
            answer.ok();
            if (number == 100) {
                CompletableFuture.runAsync(() -> replaceAfter(servers, Duration.ofMillis(1500)));
            }
        }));
        int port = servers.get(0).port();
        List<String> notices = new CopyOnWriteArrayList<>();
        try {
            LoadReport report = LoadRun.run(LoadOptions.parse(List.of("--target", "127.0.0.1:" + port,
                    "--concurrency", "4", "--duration", "6s")), Progress.Listener.NONE, IntervalReport.Listener.NONE,
                    notices::add);

            assertEquals(2, notices.size(), notices.toString());
            assertTrue(notices.get(0).matches("thespian load: 127\\.0\\.0\\.1:" + port + " went away [0-9.]+ s into"
                    + " the run \\(.+\\): each of the loop's calls waits, up to 1 s, before the next, until it answers"
                    + " again"), notices.get(0));
            assertTrue(notices.get(1).matches("thespian load: 127\\.0\\.0\\.1:" + port + " answers again [0-9.]+ s"
                    + " into the run"), notices.get(1));
            // Away about 1.5 s: 4 lanes waiting 10, 20, ... up to 1,000 ms make a few dozen calls, not the
            // hundreds of thousands of a loop that fails as fast as it can.
            long unavailable = report.statuses().getOrDefault(Status.Code.UNAVAILABLE, 0L);
            assertTrue(unavailable > 0 && unavailable < 400, report.statuses().toString());
            assertTrue(servers.get(1).calls() > 0, "the loop went back to work");
        } finally {
            for (ScriptedServer server : servers) {
                server.close();
            }
        }
    }

    private static void replaceAfter(List<ScriptedServer> servers, Duration away) {
        try {
            int port = servers.get(0).port();
            servers.get(0).close();
            Thread.sleep(away.toMillis());
            // Answering after 20 ms, not 1: the loop's remaining seconds made some 14,000 calls that proved no more
            // than the first one does (that the loop went back to work), on CPU the other test JVMs wait for.
            servers.add(new ScriptedServer(port, after(20)));
        } catch (InterruptedException | IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void eachIntervalReportsTheCallsDueInItAndTheyAddUpToTheRun() throws Exception {
        try (ScriptedServer server = new ScriptedServer(after(2))) {
            List<IntervalReport> intervals = new CopyOnWriteArrayList<>();
            List<Integer> serverCallsWhenReported = new CopyOnWriteArrayList<>();
            LoadReport run = run(server.port(), interval -> {
                intervals.add(interval);
                serverCallsWhenReported.add(server.calls());
            }, "--rate", "200/s", "--warmup", "300ms", "--duration", "2200ms", "--report-every", "500ms",
                    "--timeout", "2s");

            // 500 ms at 200/s is 100 calls due; the last interval is the 200 ms left; the warm-up is in none
            assertEquals(List.of(1L, 2L, 3L, 4L, 5L), intervals.stream().map(IntervalReport::number).toList());
            assertEquals(List.of(100L, 100L, 100L, 100L, 40L), intervals.stream()
                    .map(interval -> interval.report().calls()).toList());
            assertEquals(List.of(0.5, 0.5, 0.5, 0.5, 0.2), intervals.stream()
                    .map(interval -> interval.report().elapsed().toNanos() / 1e9).toList());
            assertEquals(List.of(0.0, 0.5, 1.0, 1.5, 2.0), intervals.stream()
                    .map(interval -> interval.from().toNanos() / 1e9).toList());
            assertEquals(Map.of(Status.Code.OK, 440L), run.statuses());
            for (IntervalReport interval : intervals) {
                assertEquals(Map.of(Status.Code.OK, interval.report().calls()), interval.report().statuses());
                assertEquals(interval.report().calls(), interval.report().latencies().getTotalCount());
                assertEquals(0, interval.report().unfinished());
                assertOrdered(interval.report());
                assertTrue(interval.report().latencyMillis(50) >= 2, "p50 " + interval.report().latencyMillis(50));
            }
            assertEquals(run.latencies().getTotalCount(), intervals.stream()
                    .mapToLong(interval -> interval.report().latencies().getTotalCount()).sum());
            // reported as the run goes: the first one long before the 500 calls (60 of the warm-up) were all sent
            assertTrue(serverCallsWhenReported.get(0) < 400, "interval 1 was reported only when the server had seen "
                    + serverCallsWhenReported.get(0) + " calls");
        }
    }

    @Test
    void aCallCountsInTheIntervalItWasDueInEvenWhenItEndsInALaterOne() throws Exception {
        // At 100/s call 50 is the last one due in the first 500 ms interval (at 490 ms); it ends 300 ms later.
        try (ScriptedServer server = new ScriptedServer((number, answer) ->
                TIMER.schedule(answer::ok, number == 50 ? 300 : 0, TimeUnit.MILLISECONDS))) {
            List<IntervalReport> intervals = new CopyOnWriteArrayList<>();
            LoadReport run = run(server.port(), intervals::add, "--rate", "100/s", "--duration", "1s",
                    "--report-every", "500ms");

            assertEquals(2, intervals.size());
            assertEquals(50, intervals.get(0).report().calls(), "the first interval waited for its late call");
            assertTrue(intervals.get(0).report().maxMillis() >= 300, "max " + intervals.get(0).report().maxMillis());
            assertEquals(50, intervals.get(1).report().calls());
            assertEquals(100, run.calls());
        }
    }

    @Test
    void aClosedLoopsIntervalsAddUpToItsCalls() throws Exception {
        try (ScriptedServer server = new ScriptedServer(after(5))) {
            List<IntervalReport> intervals = new CopyOnWriteArrayList<>();
            LoadReport run = run(server.port(), intervals::add, "--concurrency", "8", "--duration", "1500ms",
                    "--report-every", "500ms");

            assertEquals(3, intervals.size());
            Map<Status.Code, Long> byStatus = new java.util.EnumMap<>(Status.Code.class);
            for (IntervalReport interval : intervals) {
                assertTrue(interval.report().calls() > 0, "no call in interval " + interval.number());
                assertEquals(0, interval.report().unfinished());
                interval.report().statuses().forEach((code, count) -> byStatus.merge(code, count, Long::sum));
            }
            assertEquals(run.statuses(), byStatus);
            assertEquals(server.calls(), run.calls());
        }
    }

    @Test
    void anIntervalWaitsForItsUnansweredCallsToTimeOutAndCountsThemThere() throws Exception {
        // Calls 1-10 (the first interval's) are never answered: they end at their deadline, in the second one.
        try (ScriptedServer server = new ScriptedServer((number, answer) -> {
            if (number > 10) {
                answer.ok();
            }
        })) {
            List<IntervalReport> intervals = new CopyOnWriteArrayList<>();
            LoadReport run = run(server.port(), intervals::add, "--rate", "20/s", "--duration", "1s",
                    "--report-every", "500ms", "--timeout", "700ms");

            assertEquals(2, intervals.size());
            assertEquals(Map.of(Status.Code.DEADLINE_EXCEEDED, 10L), intervals.get(0).report().statuses());
            assertEquals(Map.of(Status.Code.OK, 10L), intervals.get(1).report().statuses());
            assertEquals(20, run.calls());
        }
    }

    private static LoadReport run(int port, String... flags) throws Exception {
        return run(port, IntervalReport.Listener.NONE, flags);
    }

    private static LoadReport run(int port, IntervalReport.Listener intervals, String... flags) throws Exception {
        List<String> args = new ArrayList<>(List.of("--target", "127.0.0.1:" + port));
        args.addAll(List.of(flags));
        return LoadRun.run(LoadOptions.parse(args), Progress.Listener.NONE, intervals, notice -> { });
    }

    private static ScriptedServer.Behaviour after(long millis) {
        return (number, answer) -> TIMER.schedule(answer::ok, millis, TimeUnit.MILLISECONDS);
    }

    private static void assertOrdered(LoadReport report) {
        double previous = 0;
        for (double percentile : LoadReport.PERCENTILES.values()) {
            double value = report.latencyMillis(percentile);
            assertTrue(value >= previous, "p" + percentile + " = " + value + " ms is below " + previous);
            previous = value;
        }
        assertTrue(report.maxMillis() >= previous);
    }

    private static <T> List<T> toList(Iterable<T> values) {
        List<T> list = new ArrayList<>();
        values.forEach(list::add);
        return list;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
