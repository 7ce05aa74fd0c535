package org.thespian.load;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.Locale;

/**
 * One interval of {@code --report-every}: number {@code number} (from 1), starting {@code from} after the
 * measurement began, with the report of the calls due in it (its elapsed time is the interval's length).
 */
public record IntervalReport(long number, Duration from, LoadReport report) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Hears each interval's report, in order, while the run goes on. */
    @FunctionalInterface
    public interface Listener {
        Listener NONE = report -> {
        };

        void interval(IntervalReport report);
    }

    /** The run's report fields for this interval, after {@code interval} and {@code interval_s}. */
    public ObjectNode toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("interval", number);
        root.put("interval_s", seconds(report.elapsed()));
        root.setAll(report.toJson());
        return root;
    }

    /** One line: the interval, calls, throughput, status codes and percentiles. */
    public String line() {
        return String.format(Locale.ROOT, "interval %d  %s-%s s  %,d calls  %,.1f calls/s%s  %s  %s", number,
                LoadReport.plain(seconds(from)), LoadReport.plain(seconds(from.plus(report.elapsed()))),
                report.calls(), report.throughput(), report.shortfallText(), report.statusText(),
                report.latencyText());
    }

    private static double seconds(Duration duration) {
        return duration.toNanos() / 1e9;
    }
}
