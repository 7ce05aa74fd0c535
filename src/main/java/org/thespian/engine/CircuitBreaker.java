package org.thespian.engine;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.thespian.config.CallPolicy;

/**
 * The circuit breaker of one instance's calls to one peer's method. Closed, it counts the outcomes of the last
 * {@code window_ms} (in ten slices, so the window slides a tenth at a time and costs the same at any rate); once at
 * least {@code min_calls} of them failed at {@code failure_rate} or more, it opens and refuses every call for
 * {@code open_ms}. The first call after that makes it half-open: {@code half_open_calls} probes go through, and
 * the first failed one re-opens it while as many successes close it. Time comes from {@code clock}, so the whole
 * state machine can be driven by a test.
 */
final class CircuitBreaker {

    /** What a call's outcome means to the breaker. */
    enum Outcome {
        SUCCEEDED,
        /** A non-OK answer, or a deadline the peer missed. */
        FAILED,
        /** Cancelled for a reason of the caller's (it went away, another attempt won): judges nothing. */
        ABANDONED
    }

    /**
     * A call's turn at the breaker: let through (as a probe, when half-open), or refused with a message. Outcomes
     * are only counted in the state (the {@code generation}) that let the call through.
     */
    record Ticket(CircuitState state, long generation, boolean probe, String refusal) {
        boolean admitted() {
            return refusal == null;
        }
    }

    /** Told of each change of state, with the reason, while the breaker is locked (so in order). */
    interface Watcher {
        void changed(CircuitState from, CircuitState to, String why);
    }

    private static final int SLICES = 10;

    private final CallPolicy.CircuitBreaker settings;
    private final String target;
    private final LongSupplier clock;
    private final Watcher watcher;
    private final long sliceNanos;
    private final long origin;
    private final long[] sliceNumbers = new long[SLICES];
    private final int[] calls = new int[SLICES];
    private final int[] failures = new int[SLICES];

    private CircuitState state = CircuitState.CLOSED;
    private long generation;
    private long openedAt;
    private String whyOpen;
    private int probesLetThrough;
    private int probesSucceeded;

    /**
     * @param target names the peer and method in refusals, e.g. {@code peer http://pay:6379 (thespian.Thespian/B)}
     * @param clock  nanoseconds, as {@link System#nanoTime()}
     */
    CircuitBreaker(CallPolicy.CircuitBreaker settings, String target, LongSupplier clock, Watcher watcher) {
        this.settings = settings;
        this.target = target;
        this.clock = clock;
        this.watcher = watcher;
        this.sliceNanos = Math.max(1, TimeUnit.MILLISECONDS.toNanos(settings.windowMs()) / SLICES);
        this.origin = clock.getAsLong();
        Arrays.fill(sliceNumbers, Long.MIN_VALUE);
    }

    synchronized CircuitState state() {
        return state;
    }

    /** Lets a call through or refuses it; after {@code open_ms} an open breaker turns half-open here. */
    synchronized Ticket admit() {
        long now = clock.getAsLong();
        if (state == CircuitState.OPEN) {
            if (now - openedAt < TimeUnit.MILLISECONDS.toNanos(settings.openMs())) {
                // No time left in the message: refusals of one opening read the same, so they group as one.
                return refused("circuit open for " + target + ": " + whyOpen + "; calls fail at once for "
                        + settings.openMs() + " ms (open_ms), then a probe call goes through");
            }
            move(CircuitState.HALF_OPEN, "open_ms " + settings.openMs() + " passed: letting "
                    + probes(settings.halfOpenCalls()) + " through");
            probesLetThrough = 0;
            probesSucceeded = 0;
        }
        if (state == CircuitState.HALF_OPEN) {
            if (probesLetThrough == settings.halfOpenCalls()) {
                return refused("circuit open for " + target + ": half-open, waiting for "
                        + probes(settings.halfOpenCalls()) + " to answer");
            }
            probesLetThrough++;
            return new Ticket(state, generation, true, null);
        }
        return new Ticket(state, generation, false, null);
    }

    /** Counts the outcome of a call {@code ticket} let through, unless the breaker has moved on since. */
    synchronized void record(Ticket ticket, Outcome outcome) {
        if (ticket.generation() != generation) {
            return;
        }
        if (state == CircuitState.HALF_OPEN) {
            switch (outcome) {
                case ABANDONED -> probesLetThrough--; // another probe may take its place
                case FAILED -> open("a probe call failed");
                case SUCCEEDED -> {
                    if (++probesSucceeded == settings.halfOpenCalls()) {
                        move(CircuitState.CLOSED, probes(probesSucceeded) + " succeeded");
                    }
                }
            }
            return;
        }
        if (outcome == Outcome.ABANDONED) {
            return;
        }
        long slice = (clock.getAsLong() - origin) / sliceNanos;
        int index = (int) (slice % SLICES);
        if (sliceNumbers[index] != slice) {
            sliceNumbers[index] = slice;
            calls[index] = 0;
            failures[index] = 0;
        }
        calls[index]++;
        if (outcome == Outcome.FAILED) {
            failures[index]++;
            openIfFailing(slice);
        }
    }

    private void openIfFailing(long slice) {
        int inWindow = 0;
        int failed = 0;
        for (int i = 0; i < SLICES; i++) {
            if (sliceNumbers[i] > slice - SLICES) {
                inWindow += calls[i];
                failed += failures[i];
            }
        }
        if (inWindow >= settings.minCalls() && failed >= settings.failureRate() * inWindow) {
            open(failed + " of " + inWindow + " calls failed in the last " + settings.windowMs() + " ms (failure_rate "
                        + settings.failureRate() + ", min_calls " + settings.minCalls() + ")");
        }
    }

    private void open(String why) {
        openedAt = clock.getAsLong();
        whyOpen = why;
        move(CircuitState.OPEN, why);
    }

    private void move(CircuitState to, String why) {
        CircuitState from = state;
        state = to;
        generation++;
        if (to == CircuitState.CLOSED) {
            Arrays.fill(sliceNumbers, Long.MIN_VALUE);
        }
        watcher.changed(from, to, why);
    }

    private Ticket refused(String why) {
        return new Ticket(state, generation, false, why);
    }

    private static String probes(int count) {
        return count == 1 ? "1 probe call" : count + " probe calls";
    }
}
