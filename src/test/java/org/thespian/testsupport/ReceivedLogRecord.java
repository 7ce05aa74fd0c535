package org.thespian.testsupport;

import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.resource.v1.Resource;
import java.util.List;
import java.util.Map;

/** One OTLP log record, flattened; ids are lowercase hex, "" when the record has none. */
public record ReceivedLogRecord(
        String serviceName, String severityText, String body, String traceId, String spanId,
        Map<String, Object> attributes) {

    static List<ReceivedLogRecord> from(ExportLogsServiceRequest request) {
        return Otlp.flatten(request.getResourceLogsList(), ResourceLogs::getResource,
                ResourceLogs::getScopeLogsList, ScopeLogs::getLogRecordsList, ReceivedLogRecord::from);
    }

    private static ReceivedLogRecord from(Resource resource, LogRecord record) {
        return new ReceivedLogRecord(
                Otlp.serviceName(resource),
                record.getSeverityText(),
                String.valueOf(Otlp.value(record.getBody())),
                Otlp.hex(record.getTraceId()),
                Otlp.hex(record.getSpanId()),
                Otlp.attributes(record.getAttributesList()));
    }
}
