package org.thespian.telemetry;

import io.opentelemetry.api.trace.SpanContext;
import org.slf4j.MDC;
import org.thespian.telemetry.logging.LoggingSetup;
import org.thespian.telemetry.logging.RehearsalLines;

/**
 * Puts a span's trace and span ids (and the action's name) in the logging context for one log call, so the
 * JSON line and its Loki metadata link to the trace. MDC is per thread, and these callbacks run on shared
 * transport and timer threads, so the ids are set and removed around each call. A cast member's lines also carry
 * its own service name and instance id, which the process's (the cast's) would otherwise stand in for: Grafana
 * finds a span's logs by the span's service name.
 */
final class SpanLogging {

    static final String TRACE_ID = "trace_id";
    static final String SPAN_ID = "span_id";
    static final String ACTION = "action";

    /** For a process that is one service, named on the logging context already. */
    static final SpanLogging PROCESS = new SpanLogging(null, null, false);

    private final String memberName;
    private final String instanceId;
    private final boolean rehearsal;

    private SpanLogging(String memberName, String instanceId, boolean rehearsal) {
        this.memberName = memberName;
        this.instanceId = instanceId;
        this.rehearsal = rehearsal;
    }

    /** For one replica of a cast's member: its lines carry {@code serviceName} and {@code instanceId}. */
    static SpanLogging member(String serviceName, String instanceId) {
        return new SpanLogging(serviceName, instanceId, false);
    }

    /** For a rehearsal of {@code serviceName}: its lines are made as when serving, and marked to be dropped. */
    static SpanLogging rehearsal(String serviceName, String instanceId) {
        return new SpanLogging(serviceName, instanceId, true);
    }

    /** A line outside any span: as it is, or marked when it is a rehearsal's. */
    void withoutSpan(Runnable logCall) {
        if (!rehearsal) {
            logCall.run();
            return;
        }
        try (MDC.MDCCloseable rehearsing = MDC.putCloseable(RehearsalLines.MDC_KEY, "true")) {
            logCall.run();
        }
    }

    void withSpan(SpanContext span, String action, Runnable logCall) {
        try (MDC.MDCCloseable trace = MDC.putCloseable(TRACE_ID, span.getTraceId());
                MDC.MDCCloseable spanId = MDC.putCloseable(SPAN_ID, span.getSpanId());
                MDC.MDCCloseable name = MDC.putCloseable(ACTION, action);
                MDC.MDCCloseable service = memberName == null
                        ? null : MDC.putCloseable(LoggingSetup.SERVICE_NAME, memberName);
                MDC.MDCCloseable instance = instanceId == null
                        ? null : MDC.putCloseable(LoggingSetup.SERVICE_INSTANCE_ID, instanceId);
                MDC.MDCCloseable rehearsing = rehearsal ? MDC.putCloseable(RehearsalLines.MDC_KEY, "true") : null) {
            logCall.run();
        }
    }
}
