package org.thespian.engine;

import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import org.thespian.config.Action.Sleep;
import org.thespian.config.FailureChance;
import org.thespian.config.FailureCode;

/**
 * A sleep waiting for its timer; cancelling the request cancels the timer too. A failure chance is rolled
 * after the sleep, or before it with {@code "fail_at": "start"}, in which case a failed roll does not sleep.
 */
final class PendingSleep implements Runnable {

    /** Keys the roll that picks the status, so it is independent of the roll that decides to fail. */
    private static final long CODE_ROLL = 0x632BE59BD9B4E019L;

    private final Sleep sleep;
    private final long key;
    private final ActionScope scope;
    private final Execution execution;
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    /** Rolled once, up front: unseeded dice give a new number every time they are asked. */
    private final Optional<ActionFailure> verdict;
    /** Set before the timer starts; a sleep that ends at once never registers for cancellation. */
    private volatile Runnable unregister = () -> { };
    private volatile ScheduledFuture<?> timeout;

    private PendingSleep(Sleep sleep, long key, ActionScope scope, Execution execution) {
        this.sleep = sleep;
        this.key = key;
        this.scope = scope;
        this.execution = execution;
        this.verdict = roll();
    }

    /** Sleeps for a drawn time; a 0 ms sleep finishes on the calling thread, without a timer. */
    static CompletableFuture<Void> start(Sleep sleep, long key, ActionScope scope, Execution execution,
            Scheduler scheduler) {
        PendingSleep pending = new PendingSleep(sleep, key, scope, execution);
        boolean failsFirst = sleep.failure().map(FailureChance::atStart).orElse(false);
        if (failsFirst && pending.verdict.isPresent()) {
            // It never sleeps, so no time is drawn: a span must not show a latency that did not happen.
            pending.run();
            return pending.done;
        }
        long nanos = Draw.nanos(sleep.latency(), key, execution, scope);
        if (nanos == 0) {
            pending.run();
        } else {
            pending.unregister = execution.onCancel(pending::cancel);
            pending.timeout = scheduler.schedule(pending, nanos);
            if (pending.done.isDone()) {
                pending.timeout.cancel(false);
            }
        }
        return pending.done;
    }

    @Override
    public void run() {
        unregister.run();
        if (verdict.isPresent()) {
            done.completeExceptionally(verdict.get());
        } else {
            done.complete(null);
        }
    }

    /** The failure this sleep's roll gives, if it fails. */
    private Optional<ActionFailure> roll() {
        if (sleep.failure().isEmpty()) {
            return Optional.empty();
        }
        FailureChance failure = sleep.failure().get();
        double roll = execution.roll(key);
        scope.rolled(failure.chance(), roll);
        if (roll >= failure.chance()) {
            return Optional.empty();
        }
        FailureCode code = failure.code(execution.roll(key ^ CODE_ROLL));
        String reason = failure.message().orElseGet(() -> String.format(Locale.ROOT,
                "failed by chance (failure_chance %s, rolled %.4f)", failure.chance(), roll));
        return Optional.of(ActionFailure.at(sleep, code, reason));
    }

    private void cancel() {
        done.completeExceptionally(execution.cancellationOf(sleep));
        ScheduledFuture<?> scheduled = timeout;
        if (scheduled != null) {
            scheduled.cancel(false);
        }
    }
}
