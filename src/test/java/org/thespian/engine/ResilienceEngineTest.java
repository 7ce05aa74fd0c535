package org.thespian.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.thespian.engine.EngineFixtures.failureOf;
import static org.thespian.engine.EngineFixtures.unseededExecution;

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
import java.util.function.BiFunction;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.thespian.config.Action;
import org.thespian.config.Action.CallService;
import org.thespian.config.CallPolicy;
import org.thespian.config.Config;
import org.thespian.config.FailureCode;
import org.thespian.config.Function;
import org.thespian.config.Method;
import org.thespian.config.Operation;
import org.thespian.config.Peer;
import org.thespian.config.RateLimit;

/** Circuit breakers, hedged calls and rate limits in the engine, with a scripted peer. */
class ResilienceEngineTest {

    private static final CallPolicy.CircuitBreaker BREAKER = new CallPolicy.CircuitBreaker(0.5, 4, 60_000, 60_000, 1);

    private final Scheduler scheduler = Scheduler.start();
    private final AtomicInteger callsMade = new AtomicInteger();
    private final Recorder listener = new Recorder();
    private final Engine engine = new Engine(scheduler, this::scripted, listener, EngineLimits.DEFAULT);
    /** What the scripted peer does with call number n (from 1). */
    private BiFunction<Integer, Execution, CompletableFuture<Void>> peer =
            (n, execution) -> CompletableFuture.completedFuture(null);

    @AfterEach
    void stop() {
        scheduler.close();
    }

    @Test
    void aBreakerOpensAfterMinCallsAndThenFailsCallsWithoutTheNetwork() {
        CallService call = call(policy(Optional.of(BREAKER), Optional.empty(), CallPolicy.Retries.NONE));
        peer = (n, execution) -> CompletableFuture.failedFuture(
                ActionFailure.reportedByPeer(call, FailureCode.UNAVAILABLE, "peer answered UNAVAILABLE: down"));
        for (int i = 0; i < 4; i++) {
            assertEquals(FailureCode.UNAVAILABLE, failureOf(engine.perform(function(call), unseededExecution())).code());
        }
        ActionFailure refused = failureOf(engine.perform(function(call), unseededExecution()));

        assertEquals(4, callsMade.get(), "the fifth call reached the peer");
        assertEquals(FailureCode.UNAVAILABLE, refused.code());
        assertTrue(refused.getMessage().startsWith("f > pay: circuit open for peer http://localhost:1"
                + " (thespian.Thespian/B): 4 of 4 calls failed in the last 60000 ms"), refused.getMessage());
        assertEquals(List.of("closed", "closed", "closed", "closed", "open"), List.copyOf(listener.states));
        assertEquals(List.of("http://localhost:1 B closed -> open"), List.copyOf(listener.changes));
        assertEquals(List.of(new Circuit(new Peer("localhost", 1, false), Method.B, CircuitState.OPEN)),
                listener.circuits.get());
    }

    @Test
    void eachRetryIsJudgedByTheBreaker() {
        CallService call = call(policy(Optional.of(BREAKER), Optional.empty(),
                new CallPolicy.Retries(10, 0, Set.of(FailureCode.UNAVAILABLE))));
        peer = (n, execution) -> CompletableFuture.failedFuture(
                ActionFailure.onTheWay(call, FailureCode.INTERNAL, FailureCode.UNAVAILABLE, "connection refused"));

        ActionFailure failure = failureOf(engine.perform(function(call), unseededExecution()));

        assertEquals(4, callsMade.get(), "attempts after the breaker opened reached the peer");
        assertTrue(failure.reason().startsWith("circuit open for peer"), failure.getMessage());
    }

    @Test
    void cancelledCallsDoNotOpenTheBreaker() {
        CallService call = call(policy(Optional.of(BREAKER), Optional.empty(), CallPolicy.Retries.NONE));
        peer = (n, execution) -> CompletableFuture.failedFuture(execution.cancellationOf(call));
        for (int i = 0; i < 10; i++) {
            failureOf(engine.perform(function(call), unseededExecution()));
        }
        assertEquals(10, callsMade.get());
        assertEquals(List.of(), List.copyOf(listener.changes));
    }

    @Test
    void aConfigChangeKeepsAnUnchangedBreakerAndDropsARemovedOne() {
        CallService call = call(policy(Optional.of(BREAKER), Optional.empty(), CallPolicy.Retries.NONE));
        peer = (n, execution) -> CompletableFuture.failedFuture(
                ActionFailure.reportedByPeer(call, FailureCode.UNAVAILABLE, "down"));
        for (int i = 0; i < 4; i++) {
            failureOf(engine.perform(function(call), unseededExecution()));
        }
        engine.declareBreakersAndLimits(new Config(Optional.empty(), Map.of(Method.A, function(call))));
        failureOf(engine.perform(function(call), unseededExecution()));
        assertEquals(4, callsMade.get(), "the breaker was lost with a config that keeps it");

        engine.declareBreakersAndLimits(Config.empty());
        failureOf(engine.perform(function(call), unseededExecution()));
        assertEquals(5, callsMade.get(), "a config without the breaker kept it open");
        assertEquals(List.of(), listener.circuits.get().stream().filter(c -> c.state() == CircuitState.OPEN).toList());
    }

    @Test
    void aHedgeWinsOverASlowAttemptWhichIsCancelled() throws Exception {
        CallService call = call(policy(Optional.empty(), Optional.of(new CallPolicy.Hedge(20, 2)), CallPolicy.Retries.NONE));
        CompletableFuture<String> slowCancelled = new CompletableFuture<>();
        peer = (n, execution) -> {
            if (n == 1) {
                CompletableFuture<Void> slow = new CompletableFuture<>();
                execution.onCancel(() -> {
                    slowCancelled.complete(execution.cancelledBecause());
                    slow.completeExceptionally(execution.cancellationOf(call));
                });
                return slow;
            }
            return CompletableFuture.completedFuture(null);
        };

        engine.perform(function(call), unseededExecution()).get(10, TimeUnit.SECONDS);

        assertEquals("another attempt answered first", slowCancelled.get(10, TimeUnit.SECONDS));
        assertEquals(2, callsMade.get());
        assertEquals(Set.of("attempt 1 failed CANCELLED", "attempt 2 succeeded"),
                Set.copyOf(listener.attempts));
    }

    @Test
    void aQuickAnswerStartsNoHedge() throws Exception {
        CallService call = call(policy(Optional.empty(), Optional.of(new CallPolicy.Hedge(50, 3)), CallPolicy.Retries.NONE));
        engine.perform(function(call), unseededExecution()).get(10, TimeUnit.SECONDS);
        Thread.sleep(200);
        assertEquals(1, callsMade.get());
    }

    @Test
    void whenEveryHedgedAttemptFailsTheLastFailureIsTheAnswer() {
        CallService call = call(policy(Optional.empty(), Optional.of(new CallPolicy.Hedge(10, 3)), CallPolicy.Retries.NONE));
        peer = (n, execution) -> scheduler.delay(TimeUnit.MILLISECONDS.toNanos(n == 1 ? 300 : 100))
                .thenCompose(ignored -> CompletableFuture.failedFuture(
                        ActionFailure.reportedByPeer(call, FailureCode.ABORTED, "attempt " + n + " failed")));

        ActionFailure failure = failureOf(engine.perform(function(call), unseededExecution()));

        assertEquals(3, callsMade.get());
        assertEquals("f > pay: attempt 1 failed", failure.getMessage(), "the first attempt fails last");
        assertEquals(FailureCode.ABORTED, failure.code());
    }

    @Test
    void aCancelledRequestCancelsEveryHedgedAttempt() {
        CallService call = call(policy(Optional.empty(), Optional.of(new CallPolicy.Hedge(5, 3)), CallPolicy.Retries.NONE));
        ConcurrentLinkedQueue<String> cancelled = new ConcurrentLinkedQueue<>();
        peer = (n, execution) -> {
            CompletableFuture<Void> pending = new CompletableFuture<>();
            execution.onCancel(() -> {
                cancelled.add(execution.cancelledBecause());
                pending.completeExceptionally(execution.cancellationOf(call));
            });
            return pending;
        };
        Execution execution = unseededExecution();
        CompletableFuture<Void> outcome = engine.perform(function(call), execution);
        while (callsMade.get() < 3) {
            Thread.onSpinWait();
        }
        execution.cancel("the caller cancelled");

        assertTrue(failureOf(outcome).isCancellation());
        assertEquals(List.of("the caller cancelled", "the caller cancelled", "the caller cancelled"),
                List.copyOf(cancelled));
    }

    @Test
    void aRateLimitedFunctionRefusesCallsOverItsBurst() {
        Function limited = new Function("api", List.of(), Optional.empty(), Map.of(),
                Optional.of(new RateLimit(1, 3, "grpc_method_a.rate_limit")));
        int ok = 0;
        ActionFailure refused = null;
        for (int i = 0; i < 5; i++) {
            CompletableFuture<Void> outcome = engine.perform(limited, unseededExecution());
            if (Engine.succeededAlready(outcome)) {
                ok++;
            } else {
                refused = failureOf(outcome);
            }
        }
        assertEquals(3, ok);
        assertEquals(FailureCode.RESOURCE_EXHAUSTED, refused.code());
        assertEquals("api: rate limited: over the limit of 1 call a second, burst 3 (grpc_method_a.rate_limit)",
                refused.getMessage());
    }

    @Test
    void aConfigChangeKeepsAnUnchangedRateLimitsBucketAndDropsARemovedOne() {
        Function limited = new Function("api", List.of(), Optional.empty(), Map.of(),
                Optional.of(new RateLimit(0.001, 1, "grpc_method_a.rate_limit")));
        assertTrue(Engine.succeededAlready(engine.perform(limited, unseededExecution())));
        engine.declareBreakersAndLimits(new Config(Optional.empty(), Map.of(Method.A, limited)));
        assertEquals(FailureCode.RESOURCE_EXHAUSTED, failureOf(engine.perform(limited, unseededExecution())).code(),
                "the bucket was refilled by a config that keeps it");
        engine.declareBreakersAndLimits(Config.empty());
        assertTrue(Engine.succeededAlready(engine.perform(limited, unseededExecution())),
                "the bucket of a removed limit was kept");
    }

    @Test
    void aConfigChangeKeepsABreakerAndARateLimitWrittenDeepInsideIt() {
        CallService call = call(policy(Optional.of(BREAKER), Optional.empty(), CallPolicy.Retries.NONE));
        Function limited = new Function("limited", List.of(), Optional.empty(), Map.of(),
                Optional.of(new RateLimit(0.001, 1, "grpc_method_a.operations[0].ConcurrentActions[1].Function"
                        + ".operations[0].ConcurrentActions[0].Function.rate_limit")));
        // Both sit in a concurrent group inside a function inside a concurrent group of the method's function.
        Function nested = new Function("f", List.of(new Operation.Concurrent(List.of(
                new Action.Sleep("s", 0, OptionalDouble.empty()),
                new Function("outer", List.of(new Operation.Concurrent(List.of(limited, call))))))));
        peer = (n, execution) -> CompletableFuture.failedFuture(
                ActionFailure.reportedByPeer(call, FailureCode.UNAVAILABLE, "down"));
        for (int i = 0; i < 4; i++) {
            failureOf(engine.perform(function(call), unseededExecution()));
        }
        assertTrue(Engine.succeededAlready(engine.perform(limited, unseededExecution())));

        engine.declareBreakersAndLimits(new Config(Optional.empty(), Map.of(Method.A, nested)));

        failureOf(engine.perform(function(call), unseededExecution()));
        assertEquals(4, callsMade.get(), "the breaker of a call nested in groups and functions was dropped");
        assertEquals(FailureCode.RESOURCE_EXHAUSTED, failureOf(engine.perform(limited, unseededExecution())).code(),
                "the bucket of a rate limit nested in groups and functions was refilled");
    }

    private CompletableFuture<Void> scripted(CallService call, Execution execution) {
        return peer.apply(callsMade.incrementAndGet(), execution);
    }

    private static CallPolicy policy(Optional<CallPolicy.CircuitBreaker> breaker, Optional<CallPolicy.Hedge> hedge,
            CallPolicy.Retries retries) {
        return new CallPolicy(OptionalLong.empty(), retries, OptionalDouble.empty(), CallPolicy.Repeat.ONCE, true,
                breaker, hedge);
    }

    private static CallService call(CallPolicy policy) {
        return new CallService("pay", new Peer("localhost", 1, false), Method.B, policy, Map.of());
    }

    private static Function function(Action action) {
        return new Function("f", List.of(new Operation.Single(action)));
    }

    /** Records the circuit states calls found, the breakers' changes, and how each attempt ended. */
    private static final class Recorder implements ActionListener {
        final ConcurrentLinkedQueue<String> states = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<String> changes = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<String> attempts = new ConcurrentLinkedQueue<>();
        volatile Supplier<List<Circuit>> circuits = List::of;

        @Override
        public ActionScope requestScope() {
            return new Scope(null);
        }

        @Override
        public void circuitChanged(Circuit circuit, CircuitState from, String why) {
            changes.add(circuit.peer().display() + " " + circuit.method() + " " + from.label() + " -> "
                    + circuit.state().label());
        }

        @Override
        public void watchCircuits(Supplier<List<Circuit>> circuits) {
            this.circuits = circuits;
        }

        private final class Scope implements ActionScope {
            private final String attempt;

            Scope(String attempt) {
                this.attempt = attempt;
            }

            @Override
            public <T> T enter(Supplier<T> work) {
                return work.get();
            }

            @Override
            public void succeeded() {
                if (attempt != null) {
                    attempts.add(attempt + " succeeded");
                }
            }

            @Override
            public void failed(ActionFailure failure) {
                if (attempt != null) {
                    attempts.add(attempt + " failed " + failure.code());
                }
            }

            @Override
            public void circuit(CircuitState state) {
                if (attempt == null) {
                    states.add(state.label());
                }
            }

            @Override
            public ActionScope begin(Step step) {
                return new Scope(step instanceof Step.Attempt attempt ? "attempt " + attempt.number() : null);
            }
        }
    }
}
