package org.thespian.engine;

import static org.thespian.engine.EngineFixtures.call;
import static org.thespian.engine.EngineFixtures.failureOf;
import static org.thespian.engine.EngineFixtures.sleep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.thespian.config.Action;
import org.thespian.config.Action.CallService;
import org.thespian.config.Action.Sleep;
import org.thespian.config.Function;
import org.thespian.config.Operation;

/** The engine's fidelity: sleeps take what they say, groups overlap, chances hold, cancellation stops work. */
class EngineTest {

    private final Scheduler scheduler = Scheduler.start();
    private final List<CallService> peerCalls = new CopyOnWriteArrayList<>();
    private final PeerCaller recordingPeers = (call, execution) -> {
        peerCalls.add(call);
        return CompletableFuture.completedFuture(null);
    };
    private final Engine engine = new Engine(scheduler, recordingPeers, ActionListener.NONE, EngineLimits.DEFAULT);

    @AfterEach
    void stopScheduler() {
        scheduler.close();
    }

    @Test
    void aSleepTakesItsDuration() {
        Function function = function("f", single(sleep("wait", 200)));
        long median = medianMillis(5, () -> perform(function, OptionalLong.empty()).join());
        // Never shorter; later by whatever the machine adds, bounded generously.
        assertTrue(median >= 200 && median <= 400, "median of a 200 ms sleep was " + median + " ms");
    }

    @Test
    void concurrentSleepsOverlap() {
        Function function = function("f", new Operation.Concurrent(
                List.of(sleep("one", 100), sleep("two", 100), sleep("three", 100))));
        long median = medianMillis(5, () -> perform(function, OptionalLong.empty()).join());
        // One after another they would take 300 ms.
        assertTrue(median >= 100 && median < 250, "three concurrent 100 ms sleeps took " + median + " ms");
    }

    @Test
    void sequentialOperationsAddUp() {
        Function function = function("f", single(sleep("one", 60)), single(sleep("two", 60)));
        long median = medianMillis(5, () -> perform(function, OptionalLong.empty()).join());
        assertTrue(median >= 120 && median <= 400, "two sequential 60 ms sleeps took " + median + " ms");
    }

    @Test
    void failureChanceZeroNeverFailsAndOneAlwaysFails() {
        assertEquals(0, failures(0.0, 1000, OptionalLong.empty()));
        assertEquals(1000, failures(1.0, 1000, OptionalLong.empty()));
    }

    @Test
    void failureChanceHoldsWithinABinomialInterval() {
        int n = 2000;
        double p = 0.3;
        // 99.9% two-sided normal approximation: z = 3.29.
        double halfWidth = 3.29 * Math.sqrt(n * p * (1 - p));
        for (long seed : new long[] {1, 2, 3}) {
            int failures = failures(p, n, OptionalLong.of(seed));
            assertTrue(Math.abs(failures - n * p) <= halfWidth,
                    failures + " of " + n + " failed with chance " + p + " (seed " + seed + ")");
        }
    }

    @Test
    void seededRollsRepeatAcrossRuns() {
        assertEquals(outcomes(OptionalLong.of(42)), outcomes(OptionalLong.of(42)));
        assertTrue(!outcomes(OptionalLong.of(42)).equals(outcomes(OptionalLong.of(43))),
                "different seeds gave the same 64 outcomes");
    }

    @Test
    void aFailureNamesItsPathAndStopsTheFunction() {
        Function notify = function("notify", single(new Sleep("render email", 0, OptionalDouble.of(1.0))));
        Function checkout = function("checkout",
                single(sleep("validate", 0)),
                new Operation.Concurrent(List.of(sleep("reserve", 10), notify)),
                single(call("charge card")));
        ActionFailure failure = failureOf(perform(checkout, OptionalLong.empty()));
        assertEquals(List.of("checkout", "notify", "render email"), failure.path());
        assertTrue(failure.getMessage().startsWith(
                "checkout > notify > render email: failed by chance (failure_chance 1.0, rolled 0."),
                failure.getMessage());
        assertTrue(peerCalls.isEmpty(), "the operation after the failed group still ran");
    }

    @Test
    void cancellingStopsRemainingWork() throws Exception {
        Function function = function("f", single(sleep("long", 300)), single(call("after the sleep")));
        Execution execution = new Execution(Dice.of(OptionalLong.empty()).nextRequest(), OptionalLong.empty());
        CompletableFuture<Void> outcome = engine.perform(function, execution);
        Thread.sleep(50);
        long start = System.nanoTime();
        execution.cancel();
        ActionFailure failure = failureOf(outcome);
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(tookMs < 200, "cancel did not end the sleep (250 ms were left): " + tookMs + " ms");
        assertTrue(failure.reason().startsWith("cancelled"), failure.getMessage());
        Thread.sleep(350);
        assertTrue(peerCalls.isEmpty(), "a call ran after the request was cancelled");
    }

    @Test
    void thousandsOfSleepingRequestsShareAFewThreads() {
        Function function = function("f", single(sleep("wait", 300)));
        int threadsBefore = Thread.activeCount();
        List<CompletableFuture<Void>> running = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < 5000; i++) {
            running.add(perform(function, OptionalLong.empty()));
        }
        int threadsDuring = Thread.activeCount();
        CompletableFuture.allOf(running.toArray(CompletableFuture[]::new)).join();
        long elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        int allowed = 1 + Runtime.getRuntime().availableProcessors(); // the timer and the continuation pool
        assertTrue(threadsDuring - threadsBefore <= allowed,
                "threads grew from " + threadsBefore + " to " + threadsDuring);
        assertTrue(elapsed < 3000, "5,000 concurrent 300 ms sleeps took " + elapsed + " ms");
    }

    private int failures(double chance, int requests, OptionalLong seed) {
        Function function = function("f", single(new Sleep("roll", 0, OptionalDouble.of(chance))));
        Dice dice = Dice.of(seed);
        int failed = 0;
        for (int i = 0; i < requests; i++) {
            CompletableFuture<Void> outcome = engine.perform(function, new Execution(dice.nextRequest(), OptionalLong.empty()));
            failed += outcome.isCompletedExceptionally() ? 1 : 0;
        }
        return failed;
    }

    private List<Boolean> outcomes(OptionalLong seed) {
        Function function = function("f", new Operation.Concurrent(List.of(
                new Sleep("a", 0, OptionalDouble.of(0.5)), new Sleep("b", 0, OptionalDouble.of(0.5)))));
        Dice dice = Dice.of(seed);
        List<Boolean> outcomes = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            outcomes.add(engine.perform(function, new Execution(dice.nextRequest(), OptionalLong.empty()))
                    .isCompletedExceptionally());
        }
        return outcomes;
    }

    private CompletableFuture<Void> perform(Function function, OptionalLong seed) {
        return engine.perform(function, new Execution(Dice.of(seed).nextRequest(), OptionalLong.empty()));
    }

    private static long medianMillis(int runs, Runnable work) {
        work.run(); // warm-up
        long[] millis = new long[runs];
        for (int i = 0; i < runs; i++) {
            long start = System.nanoTime();
            work.run();
            millis[i] = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        }
        Arrays.sort(millis);
        return millis[runs / 2];
    }

    private static Function function(String name, Operation... operations) {
        return new Function(name, List.of(operations));
    }

    private static Operation single(Action action) {
        return new Operation.Single(action);
    }
}
