package org.thespian.engine;

import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.thespian.config.Action;

/**
 * One request being acted out: its rolls, its deadline, what it carries from hop to hop ({@link RequestContext}),
 * and whether the caller has gone away. Cancelling it
 * stops every sleep and peer call still pending, so abandoned requests cost nothing.
 */
public final class Execution {

    /** The reason when nobody gave one. */
    public static final String CALLER_WENT_AWAY = "the caller went away";
    public static final String DEADLINE_PASSED = "the caller's deadline passed";

    private final Dice.Rolls rolls;
    private final OptionalLong deadlineNanos;
    private final RequestContext context;
    private final Set<Runnable> cancelHandlers = ConcurrentHashMap.newKeySet();
    private final AtomicInteger actionsStarted = new AtomicInteger();
    private volatile String cancelledBecause;

    /**
     * @param deadlineNanos the caller's deadline on the {@link System#nanoTime()} clock, if it set one
     */
    public Execution(Dice.Rolls rolls, OptionalLong deadlineNanos) {
        this(rolls, deadlineNanos, RequestContext.NONE);
    }

    /** @param context what the request carries from hop to hop, read back by its peer calls */
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

    /**
     * The same request, for work that may also be cancelled on its own (one attempt of a hedged call): the same
     * rolls, deadline and context, and cancelled whenever this one is, until {@code detach} runs.
     */
    Part part() {
        Execution part = new Execution(rolls, deadlineNanos, context);
        return new Part(part, onCancel(() -> part.cancel(cancelledBecause)));
    }

    /** A {@link #part()} of a request, and how to stop the request's cancellation from reaching it. */
    record Part(Execution execution, Runnable detach) {
    }

    /** What the request carries from hop to hop: the {@link RequestContext} it was made with. */
    public RequestContext context() {
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
        return cancelledBecause != null;
    }

    /**
     * Whether the request is over: cancelled, or past its deadline, which cancels it here and now. Work that
     * waited in a queue (a resource's, the CPU pool's, a retry's back-off) asks this before it starts, so a
     * caller that gave up while it waited costs nothing more, even when news of the cancel is still on its way.
     */
    public boolean isOver() {
        if (cancelledBecause != null) {
            return true;
        }
        if (deadlineNanos.isPresent() && System.nanoTime() - deadlineNanos.getAsLong() >= 0) {
            cancel(DEADLINE_PASSED);
            return true;
        }
        return false;
    }

    /** Why the request was cancelled, e.g. {@code the caller's deadline passed}; null while it is not. */
    public String cancelledBecause() {
        return cancelledBecause;
    }

    /** {@code action} stops, or never starts, because this request was cancelled. */
    public ActionFailure cancellationOf(Action action) {
        return ActionFailure.cancelled(action, cancelledBecause == null ? CALLER_WENT_AWAY : cancelledBecause);
    }

    /** Cancels for the usual reason: the caller went away. */
    public void cancel() {
        cancel(CALLER_WENT_AWAY);
    }

    /**
     * Stops every pending sleep, timer and peer call of the request; the first reason given is the one
     * reported.
     *
     * @param because says who ended the request, e.g. {@code the caller cancelled}
     */
    public void cancel(String because) {
        if (cancelledBecause == null) {
            cancelledBecause = because;
        }
        cancelHandlers.forEach(this::runOnce);
    }

    /**
     * Runs {@code handler} when the execution is cancelled (at once if it already is). The returned handle
     * unregisters it, so finished work leaves nothing behind.
     */
    public Runnable onCancel(Runnable handler) {
        cancelHandlers.add(handler);
        if (cancelledBecause != null) {
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
