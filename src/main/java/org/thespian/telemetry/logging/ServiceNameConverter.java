package org.thespian.telemetry.logging;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * {@code %serviceName}: the service a line is about, for Loki's {@code service_name} label. A cast member's lines
 * carry its name in the MDC; every other line has the process's, from the logging context.
 */
public final class ServiceNameConverter extends ClassicConverter {

    static final String WORD = "serviceName";

    @Override
    public String convert(ILoggingEvent event) {
        String member = event.getMDCPropertyMap().get(LoggingSetup.SERVICE_NAME);
        return member != null ? member : event.getLoggerContextVO().getPropertyMap().get(LoggingSetup.SERVICE_NAME);
    }
}
