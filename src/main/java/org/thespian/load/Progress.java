package org.thespian.load;

import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Once a second: moves the latencies recorded since the last second into the run's total, and tells a
 * listener how that second went.
 */
public final class Progress {

    /** Hears about each second of a run, on the run's own ticker thread. */
    @FunctionalInterface
    public interface Listener {
        Listener NONE = second -> {
        };

        void second(Second second);
    }

    /** One second: calls finished in it and the latency of the measured ones; errors and in flight now. */
    public record Second(long sinceStartSeconds, boolean warmingUp, long finished, long errors, long inFlight,
            Histogram latencies) {

        public String line() {
            String latency = latencies.getTotalCount() == 0 ? "" : String.format(Locale.ROOT,
                    "  p50 %s  p99 %s", LoadReport.millis(latencies.getValueAtPercentile(50)),
                    LoadReport.millis(latencies.getValueAtPercentile(99)));
            return String.format(Locale.ROOT, "%4d s %s %,8d calls/s%s  errors %,d  in flight %,d",
                    sinceStartSeconds, warmingUp ? "warm-up " : "        ", finished, latency, errors, inFlight);
        }
    }

    private final Listener listener;
    private final Recorder recorder;
    private final Histogram total;
    private final StatusCounts statuses;
    private final LongAdder sent;
    private final LongAdder finished;
    private final long measureFrom;
    private final long start = System.nanoTime();
    private long finishedBefore;

    Progress(Listener listener, Recorder recorder, Histogram total, StatusCounts statuses, LongAdder sent,
            LongAdder finished, long measureFrom) {
        this.listener = listener;
        this.recorder = recorder;
        this.total = total;
        this.statuses = statuses;
        this.sent = sent;
        this.finished = finished;
        this.measureFrom = measureFrom;
    }

    void tick() {
        Histogram second = collect();
        long finishedNow = finished.sum();
        long now = System.nanoTime();
        listener.second(new Second(TimeUnit.NANOSECONDS.toSeconds(now - start + 500_000_000L), now < measureFrom,
                finishedNow - finishedBefore, statuses.notOk(), sent.sum() - finishedNow, second));
        finishedBefore = finishedNow;
    }

    /** Adds what was recorded since the last call to the total, and returns that part. */
    synchronized Histogram collect() {
        Histogram recent = recorder.getIntervalHistogram();
        total.add(recent);
        return recent;
    }
}
