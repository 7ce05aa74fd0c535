package org.thespian.engine;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.thespian.config.Action;
import org.thespian.config.Action.CallService;
import org.thespian.config.Action.Sleep;
import org.thespian.config.Function;
import org.thespian.config.Operation;

/**
 * Acts out a {@link Function} without blocking: sleeps are timer callbacks and peer calls are asynchronous,
 * so any number of requests can be in flight on a handful of threads.
 */
public final class Engine {

    private static final long ROOT_KEY = 0x9E3779B97F4A7C15L;

    private final ScheduledExecutorService timer;
    private final PeerCaller peers;
    private final ActionListener listener;

    public Engine(ScheduledExecutorService timer, PeerCaller peers, ActionListener listener) {
        this.timer = timer;
        this.peers = peers;
        this.listener = listener;
    }

    /** One daemon thread is enough: it only fires timers and starts whatever comes next. */
    public static ScheduledExecutorService newTimer() {
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "thespian-timer");
            thread.setDaemon(true);
            return thread;
        });
        timer.setRemoveOnCancelPolicy(true);
        return timer;
    }

    /**
     * Acts out {@code function} for one request. Must be called on the thread handling the request, so the
     * listener can find the request's own scope. Fails with an {@link ActionFailure} whose path starts at
     * {@code function}.
     */
    public CompletableFuture<Void> perform(Function function, Execution execution) {
        return run(function, ROOT_KEY, listener.requestScope(), execution);
    }

    private CompletableFuture<Void> run(Action action, long key, ActionScope parent, Execution execution) {
        ActionScope scope = listener.begin(parent, action);
        CompletableFuture<Void> outcome = execution.isCancelled()
                ? CompletableFuture.failedFuture(cancelled(action))
                : scope.enter(() -> start(action, key, scope, execution));
        return outcome.whenComplete((ignored, error) -> {
            if (error == null) {
                scope.succeeded();
            } else {
                scope.failed(failureOf(error, action));
            }
        });
    }

    private CompletableFuture<Void> start(Action action, long key, ActionScope scope, Execution execution) {
        if (action instanceof Sleep sleep) {
            return sleep(sleep, key, scope, execution);
        }
        if (action instanceof CallService call) {
            return peers.call(call, execution, work -> scope.enter(() -> {
                work.run();
                return null;
            }));
        }
        Function function = (Function) action;
        return runOperations(function.operations(), 0, key, scope, execution).handle((ignored, error) -> {
            if (error != null) {
                throw failureOf(error, function).within(function.tracingName());
            }
            return null;
        });
    }

    private CompletableFuture<Void> runOperations(List<Operation> operations, int index, long functionKey,
            ActionScope scope, Execution execution) {
        if (index == operations.size()) {
            return CompletableFuture.completedFuture(null);
        }
        long key = childKey(functionKey, index);
        return runOperation(operations.get(index), key, scope, execution)
                .thenCompose(ignored -> runOperations(operations, index + 1, functionKey, scope, execution));
    }

    private CompletableFuture<Void> runOperation(Operation operation, long key, ActionScope scope,
            Execution execution) {
        if (operation instanceof Operation.Single single) {
            return run(single.action(), childKey(key, 0), scope, execution);
        }
        List<Action> actions = ((Operation.Concurrent) operation).actions();
        @SuppressWarnings("unchecked")
        CompletableFuture<Void>[] running = new CompletableFuture[actions.size()];
        for (int i = 0; i < running.length; i++) {
            running[i] = run(actions.get(i), childKey(key, i), scope, execution);
        }
        // Wait for all, as the original did, then report the first failure in config order so the message
        // does not depend on timing.
        return CompletableFuture.allOf(running).handle((ignored, error) -> {
            for (int i = 0; i < running.length; i++) {
                if (running[i].isCompletedExceptionally()) {
                    throw failureOf(running[i].handle((v, e) -> e).join(), actions.get(i));
                }
            }
            return null;
        });
    }

    private CompletableFuture<Void> sleep(Sleep sleep, long key, ActionScope scope, Execution execution) {
        PendingSleep pending = new PendingSleep(sleep, key, scope, execution);
        if (sleep.durationMs() == 0) {
            pending.run();
        } else {
            pending.schedule(timer);
        }
        return pending.done;
    }

    /** A sleep waiting for its timer; cancelling the request cancels the timer too. */
    private static final class PendingSleep implements Runnable {
        private final Sleep sleep;
        private final long key;
        private final ActionScope scope;
        private final Execution execution;
        private final CompletableFuture<Void> done = new CompletableFuture<>();
        private final Runnable unregister;
        private volatile ScheduledFuture<?> timeout;

        PendingSleep(Sleep sleep, long key, ActionScope scope, Execution execution) {
            this.sleep = sleep;
            this.key = key;
            this.scope = scope;
            this.execution = execution;
            this.unregister = execution.onCancel(this::cancel);
        }

        void schedule(ScheduledExecutorService timer) {
            timeout = timer.schedule(this, sleep.durationMs(), TimeUnit.MILLISECONDS);
            if (done.isDone()) {
                timeout.cancel(false);
            }
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
            done.completeExceptionally(cancelled(sleep));
            ScheduledFuture<?> scheduled = timeout;
            if (scheduled != null) {
                scheduled.cancel(false);
            }
        }
    }

    static ActionFailure cancelled(Action action) {
        return ActionFailure.at(action, "cancelled: the caller went away or its deadline passed");
    }

    /** Unwraps what CompletableFuture wrapped; anything but an ActionFailure is a bug, reported at the action. */
    public static ActionFailure failureOf(Throwable error, Action action) {
        Throwable cause = error;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof ActionFailure failure) {
            return failure;
        }
        return ActionFailure.at(action, "internal error: " + cause);
    }

    private static long childKey(long parentKey, int index) {
        long mixed = (parentKey ^ (index + 1) * 0xBF58476D1CE4E5B9L) * 0x94D049BB133111EBL;
        return mixed ^ (mixed >>> 31);
    }
}
