package org.thespian.engine;

import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.thespian.config.Action.Sleep;

/** A sleep waiting for its timer; cancelling the request cancels the timer too. */
final class PendingSleep implements Runnable {

    private final Sleep sleep;
    private final long key;
    private final ActionScope scope;
    private final Execution execution;
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private final Runnable unregister;
    private volatile ScheduledFuture<?> timeout;

    private PendingSleep(Sleep sleep, long key, ActionScope scope, Execution execution) {
        this.sleep = sleep;
        this.key = key;
        this.scope = scope;
        this.execution = execution;
        this.unregister = execution.onCancel(this::cancel);
    }

    /** Sleeps; a 0 ms sleep finishes on the calling thread, without a timer. */
    static CompletableFuture<Void> start(Sleep sleep, long key, ActionScope scope, Execution execution,
            Scheduler scheduler) {
        PendingSleep pending = new PendingSleep(sleep, key, scope, execution);
        if (sleep.durationMs() == 0) {
            pending.run();
        } else {
            pending.timeout = scheduler.schedule(pending, TimeUnit.MILLISECONDS.toNanos(sleep.durationMs()));
            if (pending.done.isDone()) {
                pending.timeout.cancel(false);
            }
        }
        return pending.done;
    }

    @Override
    public void run() {
        unregister.run();
        if (sleep.failureChance().isPresent()) {
            double chance = sleep.failureChance().getAsDouble();
            double roll = execution.roll(key);
            scope.rolled(chance, roll);
            if (roll < chance) {
                done.completeExceptionally(ActionFailure.at(sleep, String.format(Locale.ROOT,
                        "failed by chance (failure_chance %s, rolled %.4f)", chance, roll)));
                return;
            }
        }
        done.complete(null);
    }

    private void cancel() {
        done.completeExceptionally(ActionFailure.cancelled(sleep));
        ScheduledFuture<?> scheduled = timeout;
        if (scheduled != null) {
            scheduled.cancel(false);
        }
    }
}
