package org.thespian.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import org.junit.jupiter.api.Test;
import org.thespian.proto.Nothing;

/** The bench sink counts what an OTLP export carries without knowing its schema. */
class SinkTest {

    @Test
    void itCountsTheSpansOfEveryScopeOfEveryResource() {
        ExportTraceServiceRequest request = ExportTraceServiceRequest.newBuilder()
                .addResourceSpans(ResourceSpans.newBuilder()
                        .addScopeSpans(scopeWith(2))
                        .addScopeSpans(scopeWith(3)))
                .addResourceSpans(ResourceSpans.newBuilder().addScopeSpans(scopeWith(4)))
                .build();

        assertEquals(9, Sink.otlpItems(request.toByteArray()));
    }

    @Test
    void logRecordsNestTheSameWay() {
        ExportLogsServiceRequest request = ExportLogsServiceRequest.newBuilder()
                .addResourceLogs(ResourceLogs.newBuilder().addScopeLogs(ScopeLogs.newBuilder()
                        .addLogRecords(LogRecord.getDefaultInstance())
                        .addLogRecords(LogRecord.getDefaultInstance())))
                .build();

        assertEquals(2, Sink.otlpItems(request.toByteArray()));
    }

    @Test
    void anEmptyNothingHasNone() {
        assertEquals(0, Sink.otlpItems(Nothing.getDefaultInstance().toByteArray()));
    }

    private static ScopeSpans.Builder scopeWith(int spans) {
        ScopeSpans.Builder scope = ScopeSpans.newBuilder();
        for (int i = 0; i < spans; i++) {
            scope.addSpans(Span.newBuilder().setName("span " + i));
        }
        return scope;
    }
}
