package org.thespian.load;

import io.grpc.Status;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongUnaryOperator;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The measured part of a run cut into intervals of {@code --report-every}. A call belongs to the interval in
 * which it was due (its intended start), not the one in which it ended, so a stall shows in the interval
 * whose calls it delayed and the intervals' calls add up to the run's. An interval is reported once it is
 * over and every call due in it has ended, or has had as long as the run's drain allows.
 */
final class Intervals {

    /** The calls due in one interval; written from any transport thread. */
    static final class Interval {
        private final Recorder latencies = new Recorder(LoadRun.LONGEST_LATENCY_NANOS, 3);
        private final StatusCounts statuses = new StatusCounts();
        private final LongAdder sent = new LongAdder();
        private final LongAdder finished = new LongAdder();
        private final LongAdder notSent = new LongAdder();

        void finished(Status.Code code, long latencyNanos) {
            latencies.recordValue(latencyNanos);
            statuses.add(code);
            finished.increment();
        }

        private boolean settled() {
            return finished.sum() >= sent.sum();
        }
    }

    private final LoadOptions options;
    private final IntervalReport.Listener listener;
    private final long measureFrom;
    private final long end;
    private final long every;
    private final long count;
    private final long settleNanos;
    private final Instant wallMeasureFrom;
    private final LongUnaryOperator sentBefore;
    private final Map<Long, Interval> unreported = new ConcurrentHashMap<>();
    private long next; // the index of the next interval to report

    /**
     * {@code sentBefore}: given the time now, an instant before which every call due has been registered
     * (sent), so that an interval is never reported while a call due in it is still on its way out.
     */
    Intervals(LoadOptions options, Duration every, IntervalReport.Listener listener, long measureFrom, long end,
            Instant wallMeasureFrom, Duration settle, LongUnaryOperator sentBefore) {
        this.options = options;
        this.listener = listener;
        this.measureFrom = measureFrom;
        this.end = end;
        this.every = every.toNanos();
        this.count = (end - measureFrom + this.every - 1) / this.every;
        this.settleNanos = settle.toNanos();
        this.wallMeasureFrom = wallMeasureFrom;
        this.sentBefore = sentBefore;
    }

    /**
     * Counts a call due at {@code due} in its interval, before it starts; {@code null} for a warm-up call.
     * Calls a closed loop starts after the end (while the last calls come back) go to the last interval, as
     * the run's report counts them too.
     */
    Interval register(long due) {
        Interval interval = intervalOf(due);
        if (interval != null) {
            interval.sent.increment();
        }
        return interval;
    }

    /** Counts a call due at {@code due} that an open loop did not send (--max-in-flight). */
    void notSent(long due) {
        Interval interval = intervalOf(due);
        if (interval != null) {
            interval.notSent.increment();
        }
    }

    private Interval intervalOf(long due) {
        if (due < measureFrom) {
            return null;
        }
        long index = Math.min((due - measureFrom) / every, count - 1);
        Interval interval = unreported.get(index);
        return interval != null ? interval : unreported.computeIfAbsent(index, ignored -> new Interval());
    }

    /** Reports every interval before the last that is over and settled; the last waits for the run's end. */
    synchronized void reportSettled() {
        long now = System.nanoTime();
        long allSentBefore = sentBefore.applyAsLong(now); // after reading the clock: see the constructor
        while (next < count - 1) {
            long intervalEnd = endOf(next);
            if (now < intervalEnd || allSentBefore < intervalEnd) {
                return;
            }
            Interval interval = unreported.get(next);
            if (interval != null && !interval.settled() && now < intervalEnd + settleNanos) {
                return;
            }
            report(next++);
        }
    }

    /** At the run's end, after its drain: reports the intervals not reported yet, the last one included. */
    synchronized void reportTheRest() {
        while (next < count) {
            report(next++);
        }
    }

    private void report(long index) {
        Interval interval = unreported.remove(index);
        Histogram latencies = interval == null ? new Histogram(3) : interval.latencies.getIntervalHistogram();
        Map<Status.Code, Long> statuses = interval == null ? Map.of() : interval.statuses.snapshot();
        long ended = statuses.values().stream().mapToLong(Long::longValue).sum();
        long unfinished = interval == null ? 0 : interval.sent.sum() - ended;
        long start = measureFrom + index * every;
        LoadReport report = new LoadReport(options, wallMeasureFrom.plusNanos(start - measureFrom),
                Duration.ofNanos(endOf(index) - start), statuses, unfinished,
                interval == null ? 0 : interval.notSent.sum(), 0, latencies);
        listener.interval(new IntervalReport(index + 1, Duration.ofNanos(start - measureFrom), report));
    }

    private long endOf(long index) {
        return Math.min(measureFrom + (index + 1) * every, end);
    }
}
