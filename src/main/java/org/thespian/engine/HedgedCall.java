package org.thespian.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.thespian.config.Action.CallService;
import org.thespian.config.CallPolicy;

/**
 * A hedged call: one attempt at once and, while none has answered, another every {@code delay_ms}, up to
 * {@code max_attempts}. The first OK answer wins and the attempts still running are cancelled (their cancellation
 * is not a failure); once every attempt started has failed, the last failure is the answer. Each attempt is a
 * {@link Execution.Part} of the request, so it can be cancelled alone, and all of them with the request.
 */
final class HedgedCall {

    /** Why a losing attempt is cancelled, on its span. */
    static final String ANOTHER_ATTEMPT_WON = "another attempt answered first";

    /** Starts attempt {@code number} (from 1) of the call in {@code part}. */
    interface Attempt {
        CompletableFuture<Void> start(Execution part, int number);
    }

    private final CallPolicy.Hedge hedge;
    private final CallService call;
    private final Execution execution;
    private final Scheduler scheduler;
    private final Attempt attempt;
    private final CompletableFuture<Void> answer = new CompletableFuture<>();
    /** Guarded by {@code this}, as are the fields below it. */
    private final List<Execution.Part> running = new ArrayList<>();
    private int started;
    private int ended;
    private ActionFailure lastFailure;
    /** Whether the answer is decided: no attempt starts after that. */
    private boolean settled;

    private HedgedCall(CallPolicy.Hedge hedge, CallService call, Execution execution, Scheduler scheduler,
            Attempt attempt) {
        this.hedge = hedge;
        this.call = call;
        this.execution = execution;
        this.scheduler = scheduler;
        this.attempt = attempt;
    }

    static CompletableFuture<Void> run(CallPolicy.Hedge hedge, CallService call, Execution execution,
            Scheduler scheduler, Attempt attempt) {
        HedgedCall hedged = new HedgedCall(hedge, call, execution, scheduler, attempt);
        hedged.next();
        return hedged.answer;
    }

    /** Starts the next attempt, unless the call has its answer, and schedules the one after it. */
    private void next() {
        Execution.Part part;
        int number;
        synchronized (this) {
            if (settled || started == hedge.maxAttempts()) {
                return;
            }
            number = ++started;
            part = execution.part();
            running.add(part);
        }
        if (number < hedge.maxAttempts()) {
            CompletableFuture<Void> delay = scheduler.delay(TimeUnit.MILLISECONDS.toNanos(hedge.delayMs()), execution, call);
            delay.thenRun(this::next);
            answer.whenComplete((ignored, error) -> delay.cancel(false)); // no timer outlives the answer
        }
        CompletableFuture<Void> outcome;
        try {
            outcome = attempt.start(part.execution(), number);
        } catch (RuntimeException | Error e) {
            outcome = CompletableFuture.failedFuture(e);
        }
        outcome.whenComplete((ignored, error) -> ended(part, error));
    }

    private void ended(Execution.Part part, Throwable error) {
        part.detach().run();
        List<Execution.Part> losers;
        boolean won;
        boolean allFailed;
        synchronized (this) {
            running.remove(part);
            ended++;
            if (error != null && !Engine.failureOf(error, call).isCancellation()) {
                lastFailure = Engine.failureOf(error, call);
            }
            won = error == null && !settled;
            allFailed = error != null && ended == started && !settled;
            settled |= won || allFailed;
            losers = won ? List.copyOf(running) : List.of();
        }
        if (won) {
            // The losers end before the call does, so their spans close inside the call's.
            losers.forEach(loser -> loser.execution().cancel(ANOTHER_ATTEMPT_WON));
            answer.complete(null);
        } else if (allFailed) {
            // Attempts cancelled with the request leave it over: the answer is then the request's cancellation.
            answer.completeExceptionally(lastFailure == null || execution.isOver()
                    ? execution.cancellationOf(call) : lastFailure);
        }
    }
}
