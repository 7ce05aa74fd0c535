package org.thespian.telemetry.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;

/**
 * The log lines of a warm-up's rehearsal calls ({@code org.thespian.server.Rehearsal}): made and encoded as when
 * serving, so that path is compiled too, but written nowhere. Telemetry marks them with {@link #MDC_KEY}.
 */
public final class RehearsalLines extends Filter<ILoggingEvent> {

    public static final String MDC_KEY = "thespian_rehearsal";

    static boolean isRehearsal(ILoggingEvent event) {
        return event.getMDCPropertyMap().containsKey(MDC_KEY);
    }

    @Override
    public FilterReply decide(ILoggingEvent event) {
        return isRehearsal(event) ? FilterReply.DENY : FilterReply.NEUTRAL;
    }
}
