package org.thespian.engine;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.thespian.config.Action.CallService;
import org.thespian.config.CallPolicy;
import org.thespian.config.FailureCode;

/**
 * A CallService as its {@link CallPolicy} says: maybe skipped ({@code probability}), made {@code repeat}
 * times, each retried on the listed codes after a backoff or hedged, and waited for or left running in the
 * background ({@code "wait": false}); with a circuit breaker, every attempt first asks it. A plain call is one
 * call in the action's own scope; otherwise every attempt gets a scope of its own.
 */
final class PeerCall {

    /** Keys the probability roll, so it is independent of every other roll of the action. */
    private static final long PROBABILITY_ROLL = 0x1B873593CC9E2D51L;

    private final CallService call;
    private final CallPolicy policy;
    private final ActionScope scope;
    private final PeerCaller peers;
    private final Scheduler scheduler;
    private final Optional<CircuitBreaker> breaker;
    private final boolean scopePerAttempt;

    private PeerCall(CallService call, ActionScope scope, PeerCaller peers, Scheduler scheduler,
            Optional<CircuitBreaker> breaker) {
        this.call = call;
        this.policy = call.policy();
        this.scope = scope;
        this.peers = peers;
        this.scheduler = scheduler;
        this.breaker = breaker;
        this.scopePerAttempt = scopePerAttempt(call);
    }

    /** A call made more than once, or not waited for, has a scope per attempt ({@link Step.Calls}). */
    static boolean scopePerAttempt(CallService call) {
        return !call.policy().isSingleCall();
    }

    static CompletableFuture<Void> start(CallService call, long key, ActionScope scope, Execution execution,
            PeerCaller peers, Scheduler scheduler, BackgroundCalls background, CircuitBreakers breakers) {
        CallPolicy policy = call.policy();
        if (policy.probability().isPresent() && execution.roll(key ^ PROBABILITY_ROLL)
                >= policy.probability().getAsDouble()) {
            scope.skipped();
            return CompletableFuture.completedFuture(null);
        }
        PeerCall peerCall = new PeerCall(call, scope, peers, scheduler, breakers.of(call));
        if (policy.waitForAnswer()) {
            return peerCall.repetitions(execution);
        }
        if (background.tryStart()) {
            peerCall.repetitions(execution.detached()).whenComplete((ignored, error) -> background.finished());
        }
        return CompletableFuture.completedFuture(null);
    }

    private CompletableFuture<Void> repetitions(Execution execution) {
        CallPolicy.Repeat repeat = policy.repeat();
        if (repeat.times() == 1) {
            return repetition(execution, 1);
        }
        return repeat.concurrent()
                ? ConcurrentGroup.run(repeat.times(), index -> repetition(execution, index + 1))
                : Sequence.run(repeat.times(), index -> repetition(execution, index + 1));
    }

    private CompletableFuture<Void> repetition(Execution execution, int repetition) {
        return policy.hedge().isEmpty() ? attempt(execution, repetition, 1) : HedgedCall.run(policy.hedge().get(),
                call, execution, scheduler, (part, number) -> attempt(part, repetition, number));
    }

    private CompletableFuture<Void> attempt(Execution execution, int repetition, int number) {
        ActionScope attemptScope = scopePerAttempt ? scope.begin(new Step.Attempt(call, repetition, number)) : scope;
        CompletableFuture<Void> outcome = callOnce(execution, attemptScope);
        if (attemptScope != scope) {
            outcome = outcome.whenComplete((ignored, error) -> {
                if (error == null) {
                    attemptScope.succeeded();
                } else {
                    attemptScope.failed(Engine.failureOf(error, call));
                }
            });
        }
        return outcome.exceptionallyCompose(error -> {
            ActionFailure failure = Engine.failureOf(error, call);
            CallPolicy.Retries retries = policy.retries();
            if (number >= retries.maxAttempts() || !retries.retryOn().contains(failure.callStatus())
                    || execution.isOver()) {
                return CompletableFuture.failedFuture(failure);
            }
            return scheduler.delay(TimeUnit.MILLISECONDS.toNanos(retries.backoffMs()), execution, call)
                    .thenCompose(ignored -> attempt(execution, repetition, number + 1));
        });
    }

    private CompletableFuture<Void> callOnce(Execution execution, ActionScope attemptScope) {
        if (execution.isOver()) {
            return CompletableFuture.failedFuture(execution.cancellationOf(call));
        }
        if (breaker.isEmpty()) {
            return dial(execution, attemptScope);
        }
        // The breaker is asked, and told the outcome, inside the attempt's scope: a change of state it logs
        // belongs to this call's trace.
        CircuitBreaker.Ticket ticket = attemptScope.enter(breaker.get()::admit);
        scope.circuit(ticket.state());
        if (attemptScope != scope) {
            attemptScope.circuit(ticket.state());
        }
        if (!ticket.admitted()) {
            return CompletableFuture.failedFuture(ActionFailure.at(call, FailureCode.UNAVAILABLE, ticket.refusal()));
        }
        return dial(execution, attemptScope).whenComplete((ignored, error) -> attemptScope.enter(() -> {
            breaker.get().record(ticket, outcome(error, execution));
            return null;
        }));
    }

    /**
     * What an attempt's end tells the breaker: a cancellation judges nothing, unless it is the deadline passing,
     * which the peer missed.
     */
    private CircuitBreaker.Outcome outcome(Throwable error, Execution execution) {
        if (error == null) {
            return CircuitBreaker.Outcome.SUCCEEDED;
        }
        return !Engine.failureOf(error, call).isCancellation()
                || Execution.DEADLINE_PASSED.equals(execution.cancelledBecause())
                ? CircuitBreaker.Outcome.FAILED : CircuitBreaker.Outcome.ABANDONED;
    }

    /**
     * The call reads what its request carries from {@code execution}; the attempt's scope makes its span current.
     * It starts once the peer's connection is {@linkplain PeerCaller#ready ready} for it, at once almost always.
     */
    private CompletableFuture<Void> dial(Execution execution, ActionScope attemptScope) {
        CompletableFuture<Void> ready = peers.ready(call, execution);
        if (ready.isDone() && !ready.isCompletedExceptionally()) {
            return start(execution, attemptScope);
        }
        return ready.thenCompose(ignored -> start(execution, attemptScope));
    }

    private CompletableFuture<Void> start(Execution execution, ActionScope attemptScope) {
        try {
            return attemptScope.enter(() -> peers.call(call, execution));
        } catch (RuntimeException | Error e) {
            return CompletableFuture.failedFuture(e);
        }
    }
}
