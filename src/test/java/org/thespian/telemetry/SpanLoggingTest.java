package org.thespian.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;
import org.thespian.telemetry.logging.LoggingSetup;

class SpanLoggingTest {

    private static final SpanContext SPAN = SpanContext.create("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7",
            TraceFlags.getSampled(), TraceState.getDefault());

    @Test
    void aCastReplicasLinesNameTheMemberAndTheReplicaAndAProcesssLeaveThemToTheLoggingContext() {
        Map<String, String> seen = new HashMap<>();
        SpanLogging.member("payment", "payment-2").withSpan(SPAN, "charge",
                () -> seen.putAll(MDC.getCopyOfContextMap()));
        assertEquals(Map.of("trace_id", SPAN.getTraceId(), "span_id", SPAN.getSpanId(), "action", "charge",
                LoggingSetup.SERVICE_NAME, "payment", LoggingSetup.SERVICE_INSTANCE_ID, "payment-2"), seen);
        assertNull(MDC.get(LoggingSetup.SERVICE_NAME), "removed after the call");
        assertNull(MDC.get(LoggingSetup.SERVICE_INSTANCE_ID), "removed after the call");

        seen.clear();
        SpanLogging.PROCESS.withSpan(SPAN, "charge", () -> seen.putAll(MDC.getCopyOfContextMap()));
        assertEquals(Map.of("trace_id", SPAN.getTraceId(), "span_id", SPAN.getSpanId(), "action", "charge"), seen);
    }
}
