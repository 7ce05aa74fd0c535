package org.thespian.engine;

import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One request being acted out: its rolls, its deadline, and whether the caller has gone away. Cancelling it
 * stops every sleep and peer call still pending, so abandoned requests cost nothing.
 */
public final class Execution {

    private final Dice.Rolls rolls;
    private final OptionalLong deadlineNanos;
    private final RequestContext context;
    private final Set<Runnable> cancelHandlers = ConcurrentHashMap.newKeySet();
    private final AtomicInteger actionsStarted = new AtomicInteger();
    private volatile boolean cancelled;

    /**
     * @param deadlineNanos the caller's deadline on the {@link System#nanoTime()} clock, if it set one
     */
    public Execution(Dice.Rolls rolls, OptionalLong deadlineNanos) {
        this(rolls, deadlineNanos, RequestContext.NONE);
    }

    /** @param context re-entered while this request's peer calls start and handle their answers */
    public Execution(Dice.Rolls rolls, OptionalLong deadlineNanos, RequestContext context) {
        this.rolls = rolls;
        this.deadlineNanos = deadlineNanos;
        this.context = context;
    }

    /**
     * A request of its own for work this one starts and does not wait for (a fire-and-forget call): the same
     * rolls and context (with a budget of its own), no deadline, and not cancelled when this one is.
     */
    Execution detached() {
        return new Execution(rolls, OptionalLong.empty(), context.forBackground());
    }

    RequestContext context() {
        return context;
    }

    public double roll(long actionKey) {
        return rolls.roll(actionKey);
    }

    public OptionalLong deadlineNanos() {
        return deadlineNanos;
    }

    /** Counts one more action started for this request; returns how many have been, this one included. */
    int startAction() {
        return actionsStarted.incrementAndGet();
    }

    public boolean isCancelled() {
        return cancelled;
    }

    public void cancel() {
        cancelled = true;
        cancelHandlers.forEach(this::runOnce);
    }

    /**
     * Runs {@code handler} when the execution is cancelled (at once if it already is). The returned handle
     * unregisters it, so finished work leaves nothing behind.
     */
    public Runnable onCancel(Runnable handler) {
        cancelHandlers.add(handler);
        if (cancelled) {
            runOnce(handler);
        }
        return () -> cancelHandlers.remove(handler);
    }

    /** Whoever removes a handler runs it, so a cancel racing a registration runs each handler once. */
    private void runOnce(Runnable handler) {
        if (cancelHandlers.remove(handler)) {
            handler.run();
        }
    }
}
