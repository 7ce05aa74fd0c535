package org.thespian.ui;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * Calls, errors and latencies of one service or edge: counts since the start, and a rate and percentiles over the
 * last minute, kept in twelve slots of five seconds, each a histogram of buckets 10% apart (so a percentile is
 * within 5% of the truth). Memory stays the same whatever the traffic.
 *
 * <p>Recorded on the thread that ended the span, so without a lock: counters that stripe themselves, and each slot's
 * histogram in stripes picked by thread, so two cores recording the same latency do not fight over one cache line.
 */
final class LatencyWindow {

    static final long WINDOW_MILLIS = 60_000;
    private static final int SLOTS = 12;
    private static final long SLOT_MILLIS = WINDOW_MILLIS / SLOTS;
    private static final double RATIO = 1.1;
    private static final double LOG_RATIO = Math.log(RATIO);
    /** Up to an hour, in microseconds. */
    private static final int BUCKETS = bucket(3_600_000_000L) + 1;
    /** A power of two, at least the cores (at most 8). */
    private static final int STRIPES = Math.min(8, Integer.highestOneBit(
            Math.max(1, Runtime.getRuntime().availableProcessors() * 2 - 1)));

    /** The figures shown for a service or an edge. */
    record Figures(long calls, long errors, double ratePerSecond, double p50Millis, double p99Millis) {
    }

    /** Five seconds of latencies: {@link #STRIPES} histograms side by side, cleared when the slot comes round again. */
    private static final class Slot {
        volatile long number = -1;
        final AtomicIntegerArray buckets = new AtomicIntegerArray(STRIPES * BUCKETS);

        /** Clears the slot for its new five seconds, once, however many threads find it stale at the same time. */
        synchronized void turnTo(long next) {
            if (number < next) {
                for (int i = 0; i < buckets.length(); i++) {
                    buckets.setPlain(i, 0);
                }
                number = next; // volatile: a thread that sees the new number sees the cleared buckets
            }
        }
    }

    private final long startMillis;
    private final Slot[] slots = new Slot[SLOTS];
    private final LongAdder calls = new LongAdder();
    private final LongAdder errors = new LongAdder();

    LatencyWindow(long startMillis) {
        this.startMillis = startMillis;
        for (int i = 0; i < SLOTS; i++) {
            slots[i] = new Slot();
        }
    }

    private static int bucket(long micros) {
        return micros <= 1 ? 0 : (int) Math.ceil(Math.log(micros) / LOG_RATIO);
    }

    private static int stripe() {
        return STRIPES == 1 ? 0 : (int) (Thread.currentThread().getId() * 0x9E3779B97F4A7C15L >>> 32) & (STRIPES - 1);
    }

    void record(long nowMillis, long durationNanos, boolean error) {
        calls.increment();
        if (error) {
            errors.increment();
        }
        long number = nowMillis / SLOT_MILLIS;
        Slot slot = slots[(int) (number % SLOTS)];
        if (slot.number != number) {
            slot.turnTo(number);
        }
        slot.buckets.getAndIncrement(stripe() * BUCKETS + Math.min(BUCKETS - 1, bucket(durationNanos / 1000)));
    }

    Figures figures(long nowMillis) {
        long current = nowMillis / SLOT_MILLIS;
        long inWindow = 0;
        long[] merged = new long[BUCKETS];
        for (Slot slot : slots) {
            long number = slot.number;
            if (number > current - SLOTS && number <= current) {
                for (int i = 0; i < STRIPES * BUCKETS; i++) {
                    int count = slot.buckets.get(i);
                    merged[i % BUCKETS] += count;
                    inWindow += count;
                }
            }
        }
        double seconds = Math.max(1, Math.min(WINDOW_MILLIS, nowMillis - startMillis)) / 1000.0;
        return new Figures(calls.sum(), errors.sum(), inWindow / seconds, percentile(merged, inWindow, 0.50),
                percentile(merged, inWindow, 0.99));
    }

    /** The middle of the bucket holding that share of the calls, in milliseconds; 0 with no calls. */
    private static double percentile(long[] buckets, long total, double share) {
        if (total == 0) {
            return 0;
        }
        long rank = (long) Math.ceil(share * total);
        long seen = 0;
        for (int i = 0; i < buckets.length; i++) {
            seen += buckets[i];
            if (seen >= rank) {
                return i == 0 ? 0.001 : Math.pow(RATIO, i - 0.5) / 1000;
            }
        }
        return Math.pow(RATIO, buckets.length - 1) / 1000;
    }
}
