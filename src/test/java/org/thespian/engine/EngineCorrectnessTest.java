package org.thespian.engine;

import static org.thespian.engine.EngineFixtures.call;
import static org.thespian.engine.EngineFixtures.failureOf;
import static org.thespian.engine.EngineFixtures.sleep;
import static org.thespian.engine.EngineFixtures.unseededExecution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.thespian.config.Action;
import org.thespian.config.Action.CallService;
import org.thespian.config.Action.Sleep;
import org.thespian.config.ConfigException;
import org.thespian.config.ConfigParser;
import org.thespian.config.FailureCode;
import org.thespian.config.Function;
import org.thespian.config.Method;
import org.thespian.config.Operation;
import org.thespian.config.Resource;

/** The engine under stress it must survive: long and deep configs, throwing parts, cancellation races, caps. */
class EngineCorrectnessTest {

    private final Scheduler scheduler = Scheduler.start();
    private final ExecutorService elsewhere = Executors.newSingleThreadExecutor();
    private final CountingListener listener = new CountingListener();

    @AfterEach
    void stop() {
        scheduler.close();
        elsewhere.shutdownNow();
    }

    @Test
    void tenThousandSequentialZeroMillisecondSleepsRun() {
        List<Operation> steps = IntStream.range(0, 10_000)
                .mapToObj(i -> (Operation) new Operation.Single(sleep("step " + i, 0))).toList();
        Engine engine = engine((call, execution) -> CompletableFuture.completedFuture(null));
        assertNull(engine.perform(new Function("long", steps), unseededExecution()).join());
        listener.assertEveryScopeEndedOnce(10_001);
    }

    @Test
    void tenThousandSequentialCallsCompletingOnAnotherThreadRun() {
        List<Operation> steps = IntStream.range(0, 10_000)
                .mapToObj(i -> (Operation) new Operation.Single(call("call " + i))).toList();
        Engine engine = engine((call, execution) -> CompletableFuture.runAsync(() -> { }, elsewhere));
        assertNull(engine.perform(new Function("long", steps), unseededExecution()).orTimeout(30, TimeUnit.SECONDS).join());
        listener.assertEveryScopeEndedOnce(10_001);
    }

    @Test
    void theDeepestNestingTheParserAllowsRuns() {
        Function deepest = null;
        for (int depth = 1; ; depth++) {
            try {
                deepest = ConfigParser.parse(nested(depth)).function(Method.A).orElseThrow();
            } catch (ConfigException tooDeep) {
                assertTrue(depth > 10, "the parser refused nesting " + depth + ": " + tooDeep.getMessage());
                break;
            }
        }
        Engine engine = engine((call, execution) -> CompletableFuture.completedFuture(null));
        assertNull(engine.perform(deepest, unseededExecution()).join());
        listener.assertEveryScopeEndedOnce(listener.begun.get());
    }

    @Test
    void aSynchronousThrowEndsEveryScopeAndNamesEachFunctionOnce() {
        Function inner = new Function("g", List.of(new Operation.Single(call("charge"))));
        Function outer = new Function("f", List.of(new Operation.Single(inner)));
        Engine engine = engine((call, execution) -> {
            throw new IllegalStateException("broken peer caller");
        });
        ActionFailure failure = failureOf(engine.perform(outer, unseededExecution()));
        assertEquals(List.of("f", "g", "charge"), failure.path());
        assertEquals("f > g > charge: internal error: java.lang.IllegalStateException: broken peer caller",
                failure.getMessage());
        listener.assertEveryScopeEndedOnce(3);
    }

    @Test
    void aListenerThatThrowsWhileACallStartsFailsThatCallAndEndsEveryScopeOnce() {
        Action charge = call("charge");
        Function outer = new Function("f", List.of(new Operation.Single(
                new Function("g", List.of(new Operation.Single(charge))))));
        listener.throwOnEnter = charge;
        ActionFailure failure = failureOf(engine((call, execution) -> {
            throw new AssertionError("the call started although entering its scope failed");
        }).perform(outer, unseededExecution()));
        assertEquals(List.of("f", "g", "charge"), failure.path());
        assertTrue(failure.getMessage().startsWith("f > g > charge: internal error: java.lang.IllegalStateException:"
                + " listener failed to enter charge"), failure.getMessage());
        listener.assertEveryScopeEndedOnce(3);
    }

    @Test
    void aFunctionThatFailsByItselfIsNamedOnce() throws Exception {
        Function inner = new Function("g", List.of(new Operation.Single(sleep("s", 200))),
                Optional.of(new Resource("db", 1, 0)), Map.of());
        Function outer = new Function("f", List.of(new Operation.Single(inner)));
        Engine engine = engine(unusedPeers());
        CompletableFuture<Void> holdingThePermit = engine.perform(outer, unseededExecution());
        ActionFailure failure = failureOf(engine.perform(outer, unseededExecution()));
        assertEquals(List.of("f", "g"), failure.path());
        assertEquals("f > g: resource \"db\" is full: 1 running and 0 waiting (resources.db)", failure.getMessage());
        holdingThePermit.get(5, TimeUnit.SECONDS);
        listener.assertEveryScopeEndedOnce(5);
    }

    @Test
    void cancellingWhileSleepsFinishEndsEveryScopeOnce() throws Exception {
        Function function = new Function("f", List.of(new Operation.Concurrent(List.of(
                sleep("a", 1), sleep("b", 1), sleep("c", 2))), new Operation.Single(sleep("d", 1))));
        Engine engine = engine(unusedPeers());
        List<CompletableFuture<Void>> outcomes = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            Execution execution = unseededExecution();
            outcomes.add(engine.perform(function, execution));
            long delayMicros = i % 4 * 700L;
            elsewhere.execute(() -> {
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(delayMicros));
                execution.cancel();
            });
        }
        for (CompletableFuture<Void> outcome : outcomes) {
            outcome.handle((ignored, error) -> error == null ? null
                    : assertInstanceOf(ActionFailure.class, error.getCause())).get(5, TimeUnit.SECONDS);
        }
        listener.awaitAllEnded();
        listener.assertEveryScopeEndedOnce(listener.begun.get());
    }

    @Test
    void noActionStartsOnACancelledRequest() {
        List<CallService> started = Collections.synchronizedList(new ArrayList<>());
        Engine engine = engine((call, execution) -> {
            started.add(call);
            return CompletableFuture.completedFuture(null);
        });
        Execution execution = unseededExecution();
        execution.cancel();
        ActionFailure failure = failureOf(engine.perform(
                new Function("f", List.of(new Operation.Single(call("c")))), execution));
        assertEquals(FailureCode.CANCELLED, failure.code());
        assertTrue(started.isEmpty(), "a peer call started after cancellation");
    }

    @Test
    void continuationsAfterASleepLeaveTheTimerThread() {
        AtomicReference<String> callThread = new AtomicReference<>();
        Engine engine = engine((call, execution) -> {
            callThread.set(Thread.currentThread().getName());
            return CompletableFuture.completedFuture(null);
        });
        Function function = new Function("f", List.of(
                new Operation.Single(sleep("wait", 5)), new Operation.Single(call("next"))));
        engine.perform(function, unseededExecution()).join();
        assertTrue(callThread.get().startsWith("thespian-engine-"), "the call after a sleep ran on " + callThread);
    }

    @Test
    void pastTheActionCapTheRequestFailsNamingTheCap() {
        List<Operation> steps = IntStream.range(0, 10)
                .mapToObj(i -> (Operation) new Operation.Single(sleep("step " + i, 0))).toList();
        Engine engine = new Engine(scheduler, unusedPeers(), listener, EngineLimits.DEFAULT.withMaxActionsPerRequest(5));
        ActionFailure failure = failureOf(engine.perform(new Function("f", steps), unseededExecution()));
        assertEquals(FailureCode.RESOURCE_EXHAUSTED, failure.code());
        assertEquals("f > step 4: this request started more than 5 actions (THESPIAN_MAX_ACTIONS_PER_REQUEST)",
                failure.getMessage());
        listener.assertEveryScopeEndedOnce(6);
    }

    private Engine engine(PeerCaller peers) {
        return new Engine(scheduler, peers, listener, EngineLimits.DEFAULT);
    }

    private static PeerCaller unusedPeers() {
        return (call, execution) -> {
            throw new AssertionError("no call expected");
        };
    }


    /** A config whose A nests {@code depth} functions, a sleep in the innermost. */
    private static String nested(int depth) {
        String action = "{\"Sleep\": {\"tracing_name\": \"bottom\", \"duration_ms\": 0}}";
        for (int i = 0; i < depth; i++) {
            action = "{\"Function\": {\"tracing_name\": \"level " + i + "\", \"operations\": [{\"Action\": "
                    + action + "}]}}";
        }
        return "{\"grpc_method_a\": {\"tracing_name\": \"top\", \"operations\": [{\"Action\": " + action + "}]}}";
    }

    /** Counts how often each scope ends; any scope ending twice, or never, is a bug. */
    private static final class CountingListener implements ActionListener {
        final AtomicInteger begun = new AtomicInteger();
        final ConcurrentHashMap<CountingScope, AtomicInteger> ends = new ConcurrentHashMap<>();
        volatile Action throwOnEnter;

        /** The request's scope, which the engine does not end, so it is not counted. */
        @Override
        public ActionScope requestScope() {
            return new CountingScope(new Step.Act(new Function("request", List.of())));
        }

        private ActionScope begin(Step step) {
            begun.incrementAndGet();
            CountingScope scope = new CountingScope(step);
            ends.put(scope, new AtomicInteger());
            return scope;
        }

        void awaitAllEnded() throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (ends.values().stream().anyMatch(count -> count.get() == 0) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
        }

        void assertEveryScopeEndedOnce(int expectedScopes) {
            assertEquals(expectedScopes, begun.get(), "scopes begun");
            List<String> wrong = ends.entrySet().stream().filter(entry -> entry.getValue().get() != 1)
                    .map(entry -> entry.getKey().step + " ended " + entry.getValue().get() + " times")
                    .toList();
            assertTrue(wrong.isEmpty(), wrong.toString());
        }

        private final class CountingScope implements ActionScope {
            final Step step;

            CountingScope(Step step) {
                this.step = step;
            }

            @Override
            public ActionScope begin(Step child) {
                return CountingListener.this.begin(child);
            }

            @Override
            public <T> T enter(Supplier<T> work) {
                if (step instanceof Step.Act act && act.action() == throwOnEnter) {
                    throw new IllegalStateException("listener failed to enter " + act.action().tracingName());
                }
                return work.get();
            }

            @Override
            public void succeeded() {
                ends.get(this).incrementAndGet();
            }

            @Override
            public void failed(ActionFailure failure) {
                assertFalse(failure.getMessage().isEmpty());
                ends.get(this).incrementAndGet();
            }
        }
    }
}
