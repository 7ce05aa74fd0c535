package org.thespian.common;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;

/**
 * Work dropped under load (spans, log lines, fire-and-forget calls, connections past the cap), counted on any thread
 * and reported at most once per {@link #INTERVAL}: the first drop as soon as anyone asks, later ones with the count
 * since the report before, so a flood costs one log line a minute. Counting is as cheap as a {@link LongAdder}, and
 * so is asking while no report is due, so the owner may ask on every drop or on a timer of its own.
 *
 * <p>A report may count several causes (spans that found the queue full, spans whose export failed): they are
 * counted apart and reported together.
 */
public final class DropReport {

    public static final Duration INTERVAL = Duration.ofMinutes(1);

    private final LongAdder[] counts;
    /** How many of each cause the reports so far have said; guarded by this. */
    private final long[] reported;
    private volatile long lastReportNanos;
    private volatile boolean reportedOnce;

    /** A report of one cause. */
    public DropReport() {
        this(1);
    }

    public DropReport(int causes) {
        counts = new LongAdder[causes];
        for (int cause = 0; cause < causes; cause++) {
            counts[cause] = new LongAdder();
        }
        reported = new long[causes];
    }

    public void add(long dropped) {
        add(0, dropped);
    }

    /** @param cause from 0 to one less than the causes this report was made with */
    public void add(int cause, long dropped) {
        counts[cause].add(dropped);
    }

    /** Everything dropped since the start, every cause. */
    public long total() {
        long total = 0;
        for (LongAdder count : counts) {
            total += count.sum();
        }
        return total;
    }

    /**
     * The report to make now, if one is due: something was dropped since the last one, and there was none, or the
     * last one is at least {@link #INTERVAL} old. What it counts is taken: the next report counts from here.
     */
    public Optional<Due> due(long nowNanos) {
        if (tooSoon(nowNanos)) {
            return Optional.empty();
        }
        synchronized (this) {
            if (tooSoon(nowNanos)) {
                return Optional.empty();
            }
            long[] fresh = new long[counts.length];
            long total = 0;
            for (int cause = 0; cause < counts.length; cause++) {
                fresh[cause] = counts[cause].sum() - reported[cause];
                total += fresh[cause];
            }
            if (total == 0) {
                return Optional.empty();
            }
            for (int cause = 0; cause < counts.length; cause++) {
                reported[cause] += fresh[cause];
            }
            boolean first = !reportedOnce;
            lastReportNanos = nowNanos;
            reportedOnce = true;
            return Optional.of(new Due(fresh, total, first));
        }
    }

    private boolean tooSoon(long nowNanos) {
        return reportedOnce && nowNanos - lastReportNanos < INTERVAL.toNanos();
    }

    /** What one report says: the drops of each cause since the report before it. */
    public static final class Due {
        private final long[] counts;
        private final long total;
        private final boolean first;

        private Due(long[] counts, long total, boolean first) {
            this.counts = counts;
            this.total = total;
            this.first = first;
        }

        public long total() {
            return total;
        }

        public long count(int cause) {
            return counts[cause];
        }

        /** What the counts are since, for the line: "start" in the first report, "the last report" after. */
        public String since() {
            return first ? "start" : "the last report";
        }
    }
}
