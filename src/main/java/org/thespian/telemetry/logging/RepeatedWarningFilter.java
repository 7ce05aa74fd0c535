package org.thespian.telemetry.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.slf4j.Marker;

/**
 * Lets one WARN or ERROR line through per logger and message template per interval, so a misbehaving client, peer or
 * backend cannot flood the logs (a reset stream, a malformed message, a failed export, each once per event). The
 * first line after an interval says how many were held back: {@code ... (41 more suppressed)}.
 *
 * <p>Exempt: the request and action lines (one per request is their contract, and the bounded stdout queue keeps
 * them from blocking anyone), the live-change lines ({@code thespian.runtime}: health flips, refused configs, new
 * revisions; every change is promised to be visible, and each comes from an admin call or a file edit), circuit
 * breakers' changes of state ({@code thespian.circuit}: each is promised a line, and {@code open_ms} spaces them
 * out), and the span-drop and stdout-drop reports, which already come once a minute with their counts.
 */
final class RepeatedWarningFilter extends TurboFilter {

    static final Set<String> EXEMPT_LOGGERS = Set.of("thespian.request", "thespian.action", "thespian.runtime",
            "thespian.circuit", "thespian.telemetry.spans", BatchingStdoutAppender.DROP_LOGGER);

    /*
     * Distinct templates are few, but some libraries put ids into the text: past this many keys, new ones share one
     * window, so memory stays bounded whatever the messages are.
     */
    static final int MAX_KEYS = 1_024;
    private static final Key OVERFLOW = new Key("*", "*");
    private static final String FQCN = RepeatedWarningFilter.class.getName();

    private final long intervalNanos;
    private final LongSupplier nanoClock;
    private final Map<Key, Window> windows = new ConcurrentHashMap<>();

    RepeatedWarningFilter(long intervalNanos, LongSupplier nanoClock) {
        this.intervalNanos = intervalNanos;
        this.nanoClock = nanoClock;
    }

    @Override
    public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params,
            Throwable thrown) {
        // A null format is an isXxxEnabled() check, not a line.
        if (format == null || !level.isGreaterOrEqual(Level.WARN) || !level.isGreaterOrEqual(logger.getEffectiveLevel())
                || EXEMPT_LOGGERS.contains(logger.getName())) {
            return FilterReply.NEUTRAL;
        }
        long suppressed = window(new Key(logger.getName(), format)).admit(nanoClock.getAsLong());
        if (suppressed < 0) {
            return FilterReply.DENY;
        }
        if (suppressed == 0) {
            return FilterReply.NEUTRAL;
        }
        logger.callAppenders(withCount(logger, level, format, params, thrown, suppressed));
        return FilterReply.DENY;
    }

    private Window window(Key key) {
        Window window = windows.get(key);
        if (window != null) {
            return window;
        }
        if (windows.size() >= MAX_KEYS) {
            long now = nanoClock.getAsLong();
            windows.values().removeIf(idle -> idle.idleFor(now) > intervalNanos);
            if (windows.size() >= MAX_KEYS) {
                return windows.computeIfAbsent(OVERFLOW, k -> new Window(intervalNanos));
            }
        }
        return windows.computeIfAbsent(key, k -> new Window(intervalNanos));
    }

    private static LoggingEvent withCount(Logger logger, Level level, String format, Object[] params, Throwable thrown,
            long suppressed) {
        Object[] args = params == null ? new Object[0] : params;
        Throwable cause = thrown;
        if (cause == null && args.length > 0 && args[args.length - 1] instanceof Throwable last) {
            cause = last;
            args = Arrays.copyOf(args, args.length - 1);
        }
        Object[] withCount = Arrays.copyOf(args, args.length + 1);
        withCount[args.length] = suppressed;
        return new LoggingEvent(FQCN, logger, level, format + " ({} more suppressed)", cause, withCount);
    }

    private record Key(String logger, String template) {
    }

    private static final class Window {
        private final long intervalNanos;
        private long openedAt;
        private long lastSeen;
        private long suppressed;
        private boolean open;

        Window(long intervalNanos) {
            this.intervalNanos = intervalNanos;
        }

        /** -1 to hold the line back; otherwise let it through, with how many were held back before it. */
        synchronized long admit(long now) {
            lastSeen = now;
            if (open && now - openedAt < intervalNanos) {
                suppressed++;
                return -1;
            }
            long held = suppressed;
            suppressed = 0;
            openedAt = now;
            open = true;
            return held;
        }

        synchronized long idleFor(long now) {
            return now - lastSeen;
        }
    }
}
