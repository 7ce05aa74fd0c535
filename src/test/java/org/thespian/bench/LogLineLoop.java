package org.thespian.bench;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import org.thespian.telemetry.logging.JsonLineEncoder;

/**
 * The per-request log line alone: a request's event (its MDC with trace and span ids, as SpanLogging sets them)
 * made and encoded to stdout's JSON bytes, back to back on one thread, in rounds, each printing its nanoseconds per
 * line. Writing is not included: the stdout writer's share shows in bench/run.sh's CPU by thread.
 */
final class LogLineLoop {

    private LogLineLoop() {
    }

    static void run(Bench.Options options) {
        int rounds = options.integer("rounds", 8);
        int lines = options.integer("lines", 1_000_000);
        LoggerContext context = new LoggerContext();
        LogbackMDCAdapter mdc = new LogbackMDCAdapter();
        context.setMDCAdapter(mdc);
        Logger logger = context.getLogger("thespian.request");
        JsonLineEncoder encoder = new JsonLineEncoder();
        encoder.setContext(context);
        encoder.setServiceName("checkout");
        encoder.start();
        mdc.put("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736");
        mdc.put("span_id", "00f067aa0ba902b7");
        mdc.put("action", "thespian.Thespian/A");
        long bytes = 0;
        for (int round = 1; round <= rounds; round++) {
            long started = System.nanoTime();
            for (int i = 0; i < lines; i++) {
                bytes += encoder.encode(new LoggingEvent(Logger.class.getName(), logger, Level.INFO,
                        "thespian.Thespian/A answered OK in 0.3 ms", null, null)).length;
            }
            System.out.printf("RESULT round=%d ns_per_line=%.1f bytes_per_line=%d%n", round,
                    (System.nanoTime() - started) / (double) lines, bytes / ((long) round * lines));
        }
    }
}
