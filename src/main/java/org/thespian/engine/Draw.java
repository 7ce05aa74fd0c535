package org.thespian.engine;

import org.thespian.config.Latency;

/** How long one action takes this time: one roll of the request's dice through the latency's inverse CDF. */
final class Draw {

    /** Keys the latency roll, so it is independent of the failure rolls of the same action. */
    private static final long LATENCY_ROLL = 0x2545F4914F6CDD1DL;

    private Draw() {
    }

    /** The drawn time in nanoseconds, reported to {@code scope}. */
    static long nanos(Latency latency, long key, Execution execution, ActionScope scope) {
        double millis = latency.quantileMs(execution.roll(key ^ LATENCY_ROLL));
        scope.drew(millis);
        return Math.round(millis * 1_000_000);
    }
}
