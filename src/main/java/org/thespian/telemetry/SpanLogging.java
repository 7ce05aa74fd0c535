package org.thespian.telemetry;

import io.opentelemetry.api.trace.SpanContext;
import org.slf4j.MDC;

/**
 * Puts a span's trace and span ids (and the action's name) in the logging context for one log call, so the
 * JSON line and its Loki metadata link to the trace. MDC is per thread, and these callbacks run on shared
 * transport and timer threads, so the ids are set and removed around each call.
 */
final class SpanLogging {

    static final String TRACE_ID = "trace_id";
    static final String SPAN_ID = "span_id";
    static final String ACTION = "action";

    private SpanLogging() {
    }

    static void withSpan(SpanContext span, String action, Runnable logCall) {
        try (MDC.MDCCloseable trace = MDC.putCloseable(TRACE_ID, span.getTraceId());
                MDC.MDCCloseable spanId = MDC.putCloseable(SPAN_ID, span.getSpanId());
                MDC.MDCCloseable name = MDC.putCloseable(ACTION, action)) {
            logCall.run();
        }
    }
}
