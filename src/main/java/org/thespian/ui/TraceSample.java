package org.thespian.ui;

/**
 * Which traces the live view keeps: all of them while few begin, and under load one in 2<sup>n</sup>, chosen by a
 * hash of the trace id, so every span of a trace (whichever thread ends it, in whatever order) gets the same answer
 * without anything being remembered. {@code n} follows the load so that about {@code perSecond} new traces a second
 * are taken in at most: it rises as soon as this second's count passes that (the kept ones then stand for twice as
 * many traces, so the count halves), and falls at the next second when the last one's traces would fit in half of
 * {@code perSecond} with a smaller {@code n}. Seconds are those of the spans' end times, so nothing here reads a clock.
 *
 * <p>The traces kept after {@code n} rises are a subset of those kept before, so a trace taken in is never cut short.
 * When {@code n} falls, a trace that began before and was left out until then stays out (its first spans are gone):
 * it is refused if the span that would take it in started before the fall.
 *
 * <p>A trace the sample leaves out is still taken in from its first failed span on, up to {@code perSecond} such
 * traces a second: errors are what one looks for.
 */
final class TraceSample {

    private static final long SECOND_NANOS = 1_000_000_000L;
    /** One trace in 16 million at the most. */
    private static final int MAX_SHIFT = 24;

    private final int perSecond;
    /** Read by every span without a lock; written under this object's lock. */
    private volatile int shift;
    private volatile long second = Long.MIN_VALUE;
    /** New traces taken in by the sample this second, in units of the current sample rate. */
    private long admitted;
    private int failedAdmitted;
    private long skipped;
    /** {@code n} before it last fell, and when it fell (epoch nanoseconds). */
    private int shiftBeforeFall;
    private long fellAtNanos = Long.MIN_VALUE;

    TraceSample(int perSecond) {
        this.perSecond = perSecond;
    }

    /** Whether the sample, as it stands when a span ends at {@code endEpochNanos}, keeps the trace. */
    boolean keeps(String traceId, long endEpochNanos) {
        if (endEpochNanos / SECOND_NANOS > second) {
            roll(endEpochNanos / SECOND_NANOS);
        }
        return keeps(traceId, shift);
    }

    private static boolean keeps(String traceId, int n) {
        return n == 0 || (traceId.hashCode() * 0x9E3779B9) >>> (32 - n) == 0;
    }

    /**
     * Whether a trace not kept yet is taken in now, by a span that started at {@code startEpochNanos} and
     * {@code failed} or not.
     */
    synchronized boolean admit(String traceId, long startEpochNanos, boolean failed) {
        if (keeps(traceId, shift) && (startEpochNanos >= fellAtNanos || keeps(traceId, shiftBeforeFall))) {
            skipped += (1L << shift) - 1;
            if (++admitted > perSecond && shift < MAX_SHIFT) {
                shift++;
                admitted /= 2;
            }
            return true;
        }
        if (failed && failedAdmitted < perSecond) {
            failedAdmitted++;
            skipped = Math.max(0, skipped - 1);
            return true;
        }
        return false;
    }

    /** At a new second, samples more if the last second's traces would fit in half the aim with a smaller n. */
    private synchronized void roll(long now) {
        if (now <= second) {
            return;
        }
        // The traces that began in the last whole second, estimated; none if no span ended in it.
        double perSecondSeen = now - second == 1 ? (double) (admitted << shift) : 0;
        int n = shift;
        while (n > 0 && perSecondSeen / (1L << (n - 1)) <= perSecond / 2.0) {
            n--;
        }
        if (n < shift) {
            shiftBeforeFall = shift;
            fellAtNanos = now * SECOND_NANOS;
        }
        shift = n;
        second = now;
        admitted = 0;
        failedAdmitted = 0;
    }

    /** Traces left out so far, estimated: each kept one stands for {@code 2^n - 1} that were not. */
    synchronized long skipped() {
        return skipped;
    }
}
