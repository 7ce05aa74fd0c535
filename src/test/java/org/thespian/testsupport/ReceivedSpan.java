package org.thespian.testsupport;

import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.util.List;
import java.util.Map;

/**
 * One span as an OTLP backend received it, flattened for assertions.
 *
 * @param traceId      lowercase hex, like {@code spanId} and {@code parentSpanId} ("" for a root span)
 * @param kind         SERVER, CLIENT, INTERNAL, PRODUCER, CONSUMER or UNSPECIFIED
 * @param statusCode   UNSET, OK or ERROR
 * @param attributes   string, long, double or boolean values
 * @param links        the spans this one links to, in other traces or its own
 */
public record ReceivedSpan(
        String serviceName,
        Map<String, Object> resourceAttributes,
        String traceId,
        String spanId,
        String parentSpanId,
        String name,
        String kind,
        String statusCode,
        String statusMessage,
        Map<String, Object> attributes,
        List<Event> events,
        List<Link> links,
        long startEpochNanos,
        long endEpochNanos) {

    public record Event(String name, Map<String, Object> attributes) {
    }

    /** A link to another span, by its ids (lowercase hex). */
    public record Link(String traceId, String spanId) {
    }

    static List<ReceivedSpan> from(ExportTraceServiceRequest request) {
        return Otlp.flatten(request.getResourceSpansList(), ResourceSpans::getResource,
                ResourceSpans::getScopeSpansList, ScopeSpans::getSpansList, ReceivedSpan::from);
    }

    private static ReceivedSpan from(Resource resource, Span span) {
        return new ReceivedSpan(
                Otlp.serviceName(resource),
                Otlp.attributes(resource.getAttributesList()),
                Otlp.hex(span.getTraceId()),
                Otlp.hex(span.getSpanId()),
                Otlp.hex(span.getParentSpanId()),
                span.getName(),
                Otlp.enumName(span.getKind(), "SPAN_KIND_"),
                Otlp.enumName(span.getStatus().getCode(), "STATUS_CODE_"),
                span.getStatus().getMessage(),
                Otlp.attributes(span.getAttributesList()),
                span.getEventsList().stream()
                        .map(event -> new Event(event.getName(), Otlp.attributes(event.getAttributesList())))
                        .toList(),
                span.getLinksList().stream()
                        .map(link -> new Link(Otlp.hex(link.getTraceId()), Otlp.hex(link.getSpanId())))
                        .toList(),
                span.getStartTimeUnixNano(),
                span.getEndTimeUnixNano());
    }

    public boolean isRoot() {
        return parentSpanId.isEmpty();
    }

    public static List<ReceivedSpan> byName(List<ReceivedSpan> spans, String name) {
        return spans.stream().filter(span -> span.name.equals(name)).toList();
    }

    public static List<ReceivedSpan> inTrace(List<ReceivedSpan> spans, String traceId) {
        return spans.stream().filter(span -> span.traceId.equals(traceId)).toList();
    }

    public static List<ReceivedSpan> childrenOf(List<ReceivedSpan> spans, ReceivedSpan parent) {
        return inTrace(spans, parent.traceId).stream()
                .filter(span -> span.parentSpanId.equals(parent.spanId))
                .toList();
    }

    /** Short enough to list a few dozen spans in a failure message. */
    @Override
    public String toString() {
        return name + " " + kind + " service=" + serviceName + " trace=" + traceId + " span=" + spanId
                + " parent=" + (isRoot() ? "-" : parentSpanId) + " status=" + statusCode
                + (statusMessage.isEmpty() ? "" : "(" + statusMessage + ")") + " " + attributes;
    }
}
