package org.thespian.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.thespian.engine.EngineFixtures.failureOf;
import static org.thespian.engine.EngineFixtures.sleep;
import static org.thespian.engine.EngineFixtures.unseededExecution;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.thespian.config.Action;
import org.thespian.config.Action.CallService;
import org.thespian.config.Action.Sleep;
import org.thespian.config.CallPolicy;
import org.thespian.config.FailureChance;
import org.thespian.config.FailureCode;
import org.thespian.config.Latency;
import org.thespian.config.Function;
import org.thespian.config.Method;
import org.thespian.config.Operation;
import org.thespian.config.Peer;
import org.thespian.config.Resource;
import org.thespian.testsupport.TimingSensitive;

/** The engine's newer behaviours: chosen codes, fail_at, probability, repeat, retries, fire-and-forget, resources. */
class BehaviourEngineTest {

    private final Scheduler scheduler = Scheduler.start();
    private final List<CompletableFuture<Void>> pendingCalls = new ArrayList<>();
    private final AtomicInteger callsInFlight = new AtomicInteger();
    private final AtomicInteger mostCallsInFlight = new AtomicInteger();
    private final AtomicInteger callsMade = new AtomicInteger();
    private final RecordingListener listener = new RecordingListener();

    @AfterEach
    void stop() {
        scheduler.close();
    }

    @Test
    void failureCodesAreDrawnByTheirWeightsWithTheChosenMessage() {
        Sleep flaky = new Sleep("pay", new Latency.Fixed(0), Optional.of(new FailureChance(1, Map.of(FailureCode.UNAVAILABLE, 0.7,
                FailureCode.DEADLINE_EXCEEDED, 0.3), Optional.of("payment service down"), false)), Map.of());
        Engine engine = engine(answering());
        Dice dice = Dice.of(OptionalLong.of(7));
        Map<FailureCode, Integer> counts = new EnumMap<>(FailureCode.class);
        int n = 2000;
        for (int i = 0; i < n; i++) {
            ActionFailure failure = failureOf(engine.perform(function(flaky), new Execution(dice.nextRequest(),
                    OptionalLong.empty())));
            assertEquals("f > pay: payment service down", failure.getMessage());
            counts.merge(failure.code(), 1, Integer::sum);
        }
        assertEquals(Set.of(FailureCode.UNAVAILABLE, FailureCode.DEADLINE_EXCEEDED), counts.keySet());
        double halfWidth = 3.29 * Math.sqrt(n * 0.7 * 0.3); // 99.9% binomial interval
        assertTrue(Math.abs(counts.get(FailureCode.UNAVAILABLE) - 0.7 * n) <= halfWidth, counts.toString());
    }

    @Test
    void failAtStartFailsWithoutSleeping() {
        Sleep early = new Sleep("slow", new Latency.Fixed(2000), Optional.of(new FailureChance(1, Map.of(), Optional.empty(), true)),
                Map.of());
        long start = System.nanoTime();
        ActionFailure failure = failureOf(engine(answering()).perform(function(early), unseededExecution()));
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 1000, "fail_at start still slept");
        assertEquals(FailureCode.INTERNAL, failure.code());
        assertEquals(List.of(), listener.draws(), "a sleep that never happened reported a drawn time");
    }

    @Test
    void failAtStartDrawsItsTimeOnlyWhenItSleeps() {
        Sleep never = new Sleep("slow", new Latency.Fixed(5), Optional.of(new FailureChance(0, Map.of(), Optional.empty(), true)),
                Map.of());
        assertNull(engine(answering()).perform(function(never), unseededExecution()).join());
        assertEquals(List.of(5.0), listener.draws());
    }

    @Test
    void aProbableCallHappensAboutAsOftenAsItsProbabilityAndShowsWhenSkipped() {
        CallService sometimes = call(new CallPolicy(OptionalLong.empty(), CallPolicy.Retries.NONE,
                OptionalDouble.of(0.3), CallPolicy.Repeat.ONCE, true));
        Engine engine = engine(answering());
        Dice dice = Dice.of(OptionalLong.of(11));
        int n = 2000;
        for (int i = 0; i < n; i++) {
            assertNull(engine.perform(function(sometimes), new Execution(dice.nextRequest(), OptionalLong.empty()))
                    .join());
        }
        double halfWidth = 3.29 * Math.sqrt(n * 0.3 * 0.7);
        assertTrue(Math.abs(callsMade.get() - 0.3 * n) <= halfWidth, callsMade + " calls of " + n);
        assertEquals(n - callsMade.get(), listener.skipped.get());
    }

    @Test
    void aConcurrentRepeatMakesEveryCallAtOnceAndASequentialOneByOne() {
        Engine engine = engine(answeringAfter(20));
        engine.perform(function(call(repeat(5, true))), unseededExecution()).join();
        assertEquals(5, callsMade.get());
        assertEquals(5, mostCallsInFlight.get());

        mostCallsInFlight.set(0);
        engine.perform(function(call(repeat(4, false))), unseededExecution()).join();
        assertEquals(9, callsMade.get());
        assertEquals(1, mostCallsInFlight.get());
        assertEquals(9, listener.attempts.size());
    }

    @Test
    void retriesRetryTheListedCodesWithAScopePerAttempt() {
        CallPolicy retrying = new CallPolicy(OptionalLong.empty(),
                new CallPolicy.Retries(3, 10, Set.of(FailureCode.UNAVAILABLE)), OptionalDouble.empty(),
                CallPolicy.Repeat.ONCE, true);
        CallService flaky = call(retrying);
        Engine failingTwice = engine((call, execution) -> callsMade.incrementAndGet() <= 2
                ? CompletableFuture.failedFuture(ActionFailure.reportedByPeer(call, FailureCode.UNAVAILABLE, "busy"))
                : CompletableFuture.completedFuture(null));
        long start = System.nanoTime();
        assertNull(failingTwice.perform(function(flaky), unseededExecution()).join());
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(20), "no backoff between attempts");
        assertEquals(List.of("1/1 failed UNAVAILABLE", "1/2 failed UNAVAILABLE", "1/3 succeeded"), listener.attempts());

        callsMade.set(0);
        listener.attempts.clear();
        Engine aborting = engine((call, execution) -> {
            callsMade.incrementAndGet();
            return CompletableFuture.failedFuture(ActionFailure.reportedByPeer(call, FailureCode.ABORTED, "no"));
        });
        assertEquals(FailureCode.ABORTED, failureOf(aborting.perform(function(flaky), unseededExecution())).code());
        assertEquals(1, callsMade.get(), "a code not in retry_on was retried");
    }

    @Test
    void aCancelEndsARetrysBackOffAtOnceAsACancellation() {
        CallService patient = call(new CallPolicy(OptionalLong.empty(),
                new CallPolicy.Retries(3, 600_000, Set.of(FailureCode.UNAVAILABLE)), OptionalDouble.empty(),
                CallPolicy.Repeat.ONCE, true));
        Engine failing = engine((call, execution) -> CompletableFuture.failedFuture(
                ActionFailure.reportedByPeer(call, FailureCode.UNAVAILABLE, "busy")));
        Execution execution = unseededExecution();
        CompletableFuture<Void> outcome = failing.perform(function(patient), execution);
        assertFalse(outcome.isDone(), "the first attempt failed: the request waits out the back-off");
        execution.cancel("the caller cancelled");
        // Before, the ten-minute timer (and the request behind it) stayed until it fired.
        ActionFailure failure = failureOf(outcome.orTimeout(5, TimeUnit.SECONDS));
        assertTrue(failure.isCancellation(), failure.getMessage());
        assertEquals("cancelled: the caller cancelled", failure.reason());
    }

    @Test
    void aFireAndForgetCallLetsTheCallerGoOnAndIsBounded() {
        CallService outbox = call(new CallPolicy(OptionalLong.empty(), CallPolicy.Retries.NONE,
                OptionalDouble.empty(), CallPolicy.Repeat.ONCE, false));
        Engine engine = new Engine(scheduler, holding(), listener, EngineLimits.DEFAULT.withMaxBackgroundCalls(2));
        for (int i = 0; i < 3; i++) {
            assertNull(engine.perform(function(outbox), unseededExecution()).getNow(null));
        }
        assertEquals(2, callsMade.get(), "the third call went past THESPIAN_MAX_BACKGROUND_CALLS");
        assertEquals(1, engine.droppedBackgroundCalls());
        synchronized (pendingCalls) {
            pendingCalls.forEach(call -> call.complete(null));
        }
        assertNull(engine.perform(function(outbox), unseededExecution()).getNow(null));
        assertEquals(3, callsMade.get(), "finished background calls did not free their places");
    }

    @Test
    void aResourceBoundsConcurrencyQueuesAndRefusesWhenFull() {
        Function query = pooled(100, new Resource("db", 2, 1));
        Engine engine = engine(answering());
        List<CompletableFuture<Void>> running = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            running.add(engine.perform(query, unseededExecution()));
        }
        ActionFailure refused = failureOf(engine.perform(query, unseededExecution()));
        assertEquals(FailureCode.RESOURCE_EXHAUSTED, refused.code());
        assertEquals("query: resource \"db\" is full: 2 running and 1 waiting (resources.db)", refused.getMessage());
        running.forEach(CompletableFuture::join);
        assertEquals(List.of("waiting for db"), listener.waits());
        // Every permit came back: two at once run again without waiting.
        listener.waits.clear();
        engine.perform(query, unseededExecution()).join();
        assertTrue(listener.waits.isEmpty(), "a permit leaked");
    }

    @Test
    void aCancelledWaiterLeavesTheQueueAndThePermitsStayWhole() {
        Function query = pooled(50, new Resource("db", 1, 5));
        Engine engine = engine(answering());
        CompletableFuture<Void> holder = engine.perform(query, unseededExecution());
        Execution impatient = unseededExecution();
        CompletableFuture<Void> waiter = engine.perform(query, impatient);
        impatient.cancel();
        assertEquals(FailureCode.CANCELLED, failureOf(waiter).code());
        holder.join();
        engine.perform(query, unseededExecution()).orTimeout(2, TimeUnit.SECONDS).join();
    }

    @Test
    void permitsOfAResourceNoLongerDeclaredAreReleasedOnceIdleAndOldCallsStillShareThem() throws Exception {
        Resource old = new Resource("db", 1, 5);
        Function oldQuery = new Function("query", List.of(new Operation.Single(call(repeat(1, false)))),
                Optional.of(old), Map.of());
        Engine engine = engine(holding());
        engine.declareResources(List.of(old));
        List<CompletableFuture<Void>> oldCalls = new ArrayList<>(List.of(engine.perform(oldQuery, unseededExecution()),
                engine.perform(oldQuery, unseededExecution())));
        engine.declareResources(List.of(new Resource("db", 4, 5))); // a new revision resizes db
        oldCalls.add(engine.perform(oldQuery, unseededExecution()));
        assertEquals(1, callsMade.get(), "calls of the old revision no longer wait for the old revision's permit");
        assertEquals(1, engine.resourcesHeld(), "a busy bulkhead was released");

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!oldCalls.stream().allMatch(CompletableFuture::isDone) && System.nanoTime() < deadline) {
            synchronized (pendingCalls) {
                pendingCalls.forEach(pending -> pending.complete(null));
            }
            Thread.sleep(5);
        }
        oldCalls.forEach(call -> assertNull(call.getNow(null)));
        assertEquals(3, callsMade.get());
        assertEquals(0, engine.resourcesHeld(), "the idle bulkhead of the old revision is still held");

        for (int revision = 2; revision < 100; revision++) {
            Resource resized = new Resource("db", revision, 5);
            engine.declareResources(List.of(resized));
            assertNull(engine.perform(pooled(0, resized), unseededExecution()).get(10, TimeUnit.SECONDS));
        }
        assertEquals(1, engine.resourcesHeld(), "bulkheads of old revisions pile up");
    }

    /**
     * Little's law, L = λW: a resource of 4 permits in front of a 10 ms sleep serves about 400 calls a second
     * whatever the load, so at 8 in flight a call takes about 20 ms and at 64 about 160 ms. A busy machine makes
     * every sleep longer and the rate lower, so the rate is bounded from above by the pool (never more than 4 at
     * once: without it, 64 in flight would make 6,400 calls a second), and from below only where 64 calls keep its
     * queue full.
     */
    @Test
    @TimingSensitive // rates measured beside other tests' load are noise, however the bounds are put
    void aSaturatedResourceFollowsLittlesLaw() throws Exception {
        Function pooled = pooled(10, new Resource("db", 4, 1000));
        Engine engine = engine(answering());
        for (int inFlight : new int[] {8, 64}) {
            ClosedLoop loop = new ClosedLoop(engine, pooled, inFlight);
            loop.run(TimeUnit.MILLISECONDS.toNanos(300)); // warm-up
            ClosedLoop.Result result = new ClosedLoop(engine, pooled, inFlight).run(TimeUnit.SECONDS.toNanos(1));
            double littlesLatencyMs = inFlight / result.throughputPerSecond() * 1000;
            assertTrue(result.throughputPerSecond() <= 1.15 * 400,
                    inFlight + " in flight: " + result.throughputPerSecond() + " calls/s, more than 4 at a time");
            // Above 120 with the queue full: a machine's delay would have to make every 10 ms sleep 33 ms, and
            // one permit would make 100.
            assertTrue(inFlight < 64 || result.throughputPerSecond() >= 120,
                    inFlight + " in flight: " + result.throughputPerSecond() + " calls/s, 4 at a time make 400");
            assertTrue(Math.abs(result.meanLatencyMs() - littlesLatencyMs) <= 0.15 * littlesLatencyMs,
                    inFlight + " in flight: mean latency " + result.meanLatencyMs() + " ms, Little's law says "
                            + littlesLatencyMs);
        }
    }

    /** Keeps {@code inFlight} requests running, each finished one starting the next, for a while. */
    private record ClosedLoop(Engine engine, Function function, int inFlight) {
        record Result(double throughputPerSecond, double meanLatencyMs) {
        }

        Result run(long durationNanos) throws Exception {
            long end = System.nanoTime() + durationNanos;
            AtomicInteger completed = new AtomicInteger();
            ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
            CompletableFuture<Void> allDone = new CompletableFuture<>();
            AtomicInteger running = new AtomicInteger(inFlight);
            long start = System.nanoTime();
            for (int i = 0; i < inFlight; i++) {
                next(end, completed, latencies, running, allDone);
            }
            allDone.get(30, TimeUnit.SECONDS);
            double seconds = (System.nanoTime() - start) / 1e9;
            double meanMs = latencies.stream().mapToLong(Long::longValue).average().orElse(0) / 1e6;
            return new Result(completed.get() / seconds, meanMs);
        }

        private void next(long end, AtomicInteger completed, ConcurrentLinkedQueue<Long> latencies,
                AtomicInteger running, CompletableFuture<Void> allDone) {
            if (System.nanoTime() >= end) {
                if (running.decrementAndGet() == 0) {
                    allDone.complete(null);
                }
                return;
            }
            long started = System.nanoTime();
            engine.perform(function, unseededExecution()).whenComplete((ignored, error) -> {
                if (error != null) {
                    allDone.completeExceptionally(error);
                    return;
                }
                latencies.add(System.nanoTime() - started);
                completed.incrementAndGet();
                next(end, completed, latencies, running, allDone);
            });
        }
    }

    private Engine engine(PeerCaller peers) {
        return new Engine(scheduler, peers, listener, EngineLimits.DEFAULT);
    }

    private PeerCaller answering() {
        return (call, execution) -> {
            callsMade.incrementAndGet();
            return CompletableFuture.completedFuture(null);
        };
    }

    private PeerCaller answeringAfter(long millis) {
        return (call, execution) -> {
            callsMade.incrementAndGet();
            mostCallsInFlight.accumulateAndGet(callsInFlight.incrementAndGet(), Math::max);
            return scheduler.delay(TimeUnit.MILLISECONDS.toNanos(millis))
                    .whenComplete((ignored, error) -> callsInFlight.decrementAndGet());
        };
    }

    /** Calls that stay pending until the test completes them. */
    private PeerCaller holding() {
        return (call, execution) -> {
            callsMade.incrementAndGet();
            CompletableFuture<Void> pending = new CompletableFuture<>();
            synchronized (pendingCalls) {
                pendingCalls.add(pending);
            }
            return pending;
        };
    }

    /** A function that holds a permit of {@code resource} while it sleeps {@code millis}. */
    private static Function pooled(long millis, Resource resource) {
        return new Function("query", List.of(new Operation.Single(sleep("read", millis))), Optional.of(resource),
                Map.of());
    }

    private static CallPolicy repeat(int times, boolean concurrent) {
        return new CallPolicy(OptionalLong.empty(), CallPolicy.Retries.NONE, OptionalDouble.empty(),
                new CallPolicy.Repeat(times, concurrent), true);
    }

    private static CallService call(CallPolicy policy) {
        return new CallService("call", new Peer("localhost", 1, false), Method.B, policy, Map.of());
    }

    private static Function function(Action action) {
        return new Function("f", List.of(new Operation.Single(action)));
    }

    /** Records skips, attempts and waits as the tracing listener would see them. */
    private static final class RecordingListener implements ActionListener {
        final AtomicInteger skipped = new AtomicInteger();
        final ConcurrentLinkedQueue<String> attempts = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<String> waits = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<Double> draws = new ConcurrentLinkedQueue<>();

        List<Double> draws() {
            return List.copyOf(draws);
        }

        List<String> attempts() {
            return List.copyOf(attempts);
        }

        List<String> waits() {
            return List.copyOf(waits);
        }

        @Override
        public ActionScope requestScope() {
            return new Recording("");
        }

        private final class Recording implements ActionScope {
            private final String label;

            Recording(String label) {
                this.label = label;
            }

            @Override
            public <T> T enter(Supplier<T> work) {
                return work.get();
            }

            @Override
            public void succeeded() {
                if (!label.isEmpty() && !label.startsWith("waiting")) {
                    attempts.add(label + " succeeded");
                }
            }

            @Override
            public void failed(ActionFailure failure) {
                if (!label.isEmpty() && !label.startsWith("waiting")) {
                    attempts.add(label + " failed " + failure.code());
                }
            }

            @Override
            public void skipped() {
                skipped.incrementAndGet();
            }

            @Override
            public void drew(double millis) {
                draws.add(millis);
            }

            @Override
            public ActionScope begin(Step step) {
                if (step instanceof Step.Attempt attempt) {
                    return new Recording(attempt.repetition() + "/" + attempt.number());
                }
                if (step instanceof Step.Waiting waiting) {
                    waits.add("waiting for " + waiting.resource().name());
                    return new Recording("waiting for " + waiting.resource().name());
                }
                return new Recording("");
            }
        }
    }
}
