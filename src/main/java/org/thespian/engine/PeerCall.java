package org.thespian.engine;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.thespian.config.Action.CallService;
import org.thespian.config.CallPolicy;

/**
 * A CallService as its {@link CallPolicy} says: maybe skipped ({@code probability}), made {@code repeat}
 * times, each retried on the listed codes after a backoff, and waited for or left running in the background
 * ({@code "wait": false}). A plain call is one call in the action's own scope; otherwise every attempt gets a
 * scope of its own.
 */
final class PeerCall {

    /** Keys the probability roll, so it is independent of every other roll of the action. */
    private static final long PROBABILITY_ROLL = 0x1B873593CC9E2D51L;

    private final CallService call;
    private final CallPolicy policy;
    private final ActionScope scope;
    private final PeerCaller peers;
    private final Scheduler scheduler;

    private PeerCall(CallService call, ActionScope scope, PeerCaller peers, Scheduler scheduler) {
        this.call = call;
        this.policy = call.policy();
        this.scope = scope;
        this.peers = peers;
        this.scheduler = scheduler;
    }

    static CompletableFuture<Void> start(CallService call, long key, ActionScope scope, Execution execution,
            PeerCaller peers, Scheduler scheduler, BackgroundCalls background) {
        CallPolicy policy = call.policy();
        if (policy.probability().isPresent() && execution.roll(key ^ PROBABILITY_ROLL)
                >= policy.probability().getAsDouble()) {
            scope.skipped();
            return CompletableFuture.completedFuture(null);
        }
        PeerCall peerCall = new PeerCall(call, scope, peers, scheduler);
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
            return attempt(execution, 1, 1);
        }
        return repeat.concurrent()
                ? ConcurrentGroup.run(repeat.times(), index -> attempt(execution, index + 1, 1))
                : Sequence.run(repeat.times(), index -> attempt(execution, index + 1, 1));
    }

    private CompletableFuture<Void> attempt(Execution execution, int repetition, int number) {
        ActionScope attemptScope = policy.isSingleCall() ? scope : scope.attempt(repetition, number);
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
        RequestContext request = execution.context();
        try {
            return request.enter(() -> attemptScope.enter(() -> peers.call(call, execution)));
        } catch (RuntimeException | Error e) {
            return CompletableFuture.failedFuture(e);
        }
    }
}
