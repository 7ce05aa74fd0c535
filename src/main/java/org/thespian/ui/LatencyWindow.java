package org.thespian.ui;

/**
 * Calls, errors and latencies of one service or edge: counts since the start, and a rate and percentiles over the
 * last minute, kept in twelve slots of five seconds, each a histogram of buckets 10% apart (so a percentile is
 * within 5% of the truth). Memory stays the same whatever the traffic.
 */
final class LatencyWindow {

    static final long WINDOW_MILLIS = 60_000;
    private static final int SLOTS = 12;
    private static final long SLOT_MILLIS = WINDOW_MILLIS / SLOTS;
    private static final double RATIO = 1.1;
    private static final double LOG_RATIO = Math.log(RATIO);
    /** Up to an hour, in microseconds. */
    private static final int BUCKETS = bucket(3_600_000_000L) + 1;

    /** The figures shown for a service or an edge. */
    record Figures(long calls, long errors, double ratePerSecond, double p50Millis, double p99Millis) {
    }

    private final long startMillis;
    private final long[] slotNumber = new long[SLOTS];
    private final int[][] slotBuckets = new int[SLOTS][];
    private final long[] slotCalls = new long[SLOTS];
    private long calls;
    private long errors;

    LatencyWindow(long startMillis) {
        this.startMillis = startMillis;
        java.util.Arrays.fill(slotNumber, -1);
    }

    private static int bucket(long micros) {
        return micros <= 1 ? 0 : (int) Math.ceil(Math.log(micros) / LOG_RATIO);
    }

    synchronized void record(long nowMillis, long durationNanos, boolean error) {
        calls++;
        if (error) {
            errors++;
        }
        long number = nowMillis / SLOT_MILLIS;
        int slot = (int) (number % SLOTS);
        if (slotNumber[slot] != number) {
            slotNumber[slot] = number;
            slotCalls[slot] = 0;
            if (slotBuckets[slot] == null) {
                slotBuckets[slot] = new int[BUCKETS];
            } else {
                java.util.Arrays.fill(slotBuckets[slot], 0);
            }
        }
        slotCalls[slot]++;
        slotBuckets[slot][Math.min(BUCKETS - 1, bucket(durationNanos / 1000))]++;
    }

    synchronized Figures figures(long nowMillis) {
        long current = nowMillis / SLOT_MILLIS;
        long inWindow = 0;
        long[] merged = new long[BUCKETS];
        for (int slot = 0; slot < SLOTS; slot++) {
            if (slotNumber[slot] > current - SLOTS && slotNumber[slot] <= current) {
                inWindow += slotCalls[slot];
                int[] buckets = slotBuckets[slot];
                for (int i = 0; i < BUCKETS; i++) {
                    merged[i] += buckets[i];
                }
            }
        }
        double seconds = Math.max(1, Math.min(WINDOW_MILLIS, nowMillis - startMillis)) / 1000.0;
        return new Figures(calls, errors, inWindow / seconds, percentile(merged, inWindow, 0.50),
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
