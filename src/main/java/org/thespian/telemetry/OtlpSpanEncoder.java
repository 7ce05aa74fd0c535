package org.thespian.telemetry;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.KeyValue;
import io.opentelemetry.api.common.Value;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Finished spans as an OTLP {@code ExportTraceServiceRequest} in protobuf bytes, the same message the SDK's OTLP
 * exporter sends, written in one pass ({@link ProtoWriter}), where the SDK's marshaler walks every span and attribute
 * twice (sizes, then bytes): 230 against 320 ns a span of Thespian's (docs/benchmarks.md, "Spans exported: our own
 * OTLP encoding").
 *
 * <p>Field numbers are those of opentelemetry-proto's {@code trace.proto}, {@code common.proto} and
 * {@code resource.proto}; {@code OtlpSpanEncoderTest} checks the bytes against the SDK's for the same spans.
 */
final class OtlpSpanEncoder {

    // ExportTraceServiceRequest, ResourceSpans, ScopeSpans.
    private static final int RESOURCE_SPANS = 1;
    private static final int RESOURCE = 1;
    private static final int SCOPE_SPANS = 2;
    private static final int SCHEMA_URL = 3;
    private static final int SCOPE = 1;
    private static final int SPANS = 2;
    // Resource, InstrumentationScope.
    private static final int RESOURCE_ATTRIBUTES = 1;
    private static final int SCOPE_NAME = 1;
    private static final int SCOPE_VERSION = 2;
    private static final int SCOPE_ATTRIBUTES = 3;
    // Span.
    private static final int TRACE_ID = 1;
    private static final int SPAN_ID = 2;
    private static final int TRACE_STATE = 3;
    private static final int PARENT_SPAN_ID = 4;
    private static final int NAME = 5;
    private static final int KIND = 6;
    private static final int START_TIME = 7;
    private static final int END_TIME = 8;
    private static final int ATTRIBUTES = 9;
    private static final int DROPPED_ATTRIBUTES = 10;
    private static final int EVENTS = 11;
    private static final int DROPPED_EVENTS = 12;
    private static final int LINKS = 13;
    private static final int DROPPED_LINKS = 14;
    private static final int STATUS = 15;
    private static final int FLAGS = 16;
    // Span.Event, Span.Link, Status.
    private static final int EVENT_TIME = 1;
    private static final int EVENT_NAME = 2;
    private static final int EVENT_ATTRIBUTES = 3;
    private static final int EVENT_DROPPED_ATTRIBUTES = 4;
    private static final int LINK_TRACE_ID = 1;
    private static final int LINK_SPAN_ID = 2;
    private static final int LINK_TRACE_STATE = 3;
    private static final int LINK_ATTRIBUTES = 4;
    private static final int LINK_DROPPED_ATTRIBUTES = 5;
    private static final int LINK_FLAGS = 6;
    private static final int STATUS_MESSAGE = 2;
    private static final int STATUS_CODE = 3;
    // KeyValue, AnyValue, ArrayValue, KeyValueList.
    private static final int KEY = 1;
    private static final int VALUE = 2;
    private static final int STRING_VALUE = 1;
    private static final int BOOL_VALUE = 2;
    private static final int INT_VALUE = 3;
    private static final int DOUBLE_VALUE = 4;
    private static final int ARRAY_VALUE = 5;
    private static final int KVLIST_VALUE = 6;
    private static final int BYTES_VALUE = 7;
    private static final int VALUES = 1;
    /** SpanFlags: the span's parent (or the link's span) is known to be local or remote, and which. */
    private static final int HAS_IS_REMOTE = 0x100;
    private static final int IS_REMOTE = 0x200;

    private OtlpSpanEncoder() {
    }

    /** Writes the request for {@code spans} into {@code out}, from its start. */
    static void encode(Collection<SpanData> spans, ProtoWriter out) {
        out.reset();
        for (Map.Entry<Resource, Map<InstrumentationScopeInfo, List<SpanData>>> byResource : group(spans).entrySet()) {
            int resourceSpans = out.startMessage(RESOURCE_SPANS);
            Resource resource = byResource.getKey();
            int resourceMessage = out.startMessage(RESOURCE);
            attributes(out, RESOURCE_ATTRIBUTES, resource.getAttributes());
            out.endMessage(resourceMessage);
            for (Map.Entry<InstrumentationScopeInfo, List<SpanData>> byScope : byResource.getValue().entrySet()) {
                int scopeSpans = out.startMessage(SCOPE_SPANS);
                InstrumentationScopeInfo scope = byScope.getKey();
                int scopeMessage = out.startMessage(SCOPE);
                out.string(SCOPE_NAME, scope.getName());
                out.string(SCOPE_VERSION, orEmpty(scope.getVersion()));
                attributes(out, SCOPE_ATTRIBUTES, scope.getAttributes());
                out.endMessage(scopeMessage);
                for (SpanData span : byScope.getValue()) {
                    span(out, span);
                }
                out.string(SCHEMA_URL, orEmpty(scope.getSchemaUrl()));
                out.endMessage(scopeSpans);
            }
            out.string(SCHEMA_URL, orEmpty(resource.getSchemaUrl()));
            out.endMessage(resourceSpans);
        }
    }

    /**
     * By resource, then by scope, each by identity: the spans of one SDK share both objects, and an equal pair that
     * is not the same object only costs a second group, which is still a valid request.
     */
    private static Map<Resource, Map<InstrumentationScopeInfo, List<SpanData>>> group(Collection<SpanData> spans) {
        Map<Resource, Map<InstrumentationScopeInfo, List<SpanData>>> groups = new IdentityHashMap<>();
        for (SpanData span : spans) {
            groups.computeIfAbsent(span.getResource(), resource -> new IdentityHashMap<>())
                    .computeIfAbsent(span.getInstrumentationScopeInfo(), scope -> new ArrayList<>(spans.size()))
                    .add(span);
        }
        return groups;
    }

    private static void span(ProtoWriter out, SpanData span) {
        int message = out.startMessage(SPANS);
        SpanContext context = span.getSpanContext();
        out.hexId(TRACE_ID, context.getTraceId());
        out.hexId(SPAN_ID, context.getSpanId());
        traceState(out, TRACE_STATE, context.getTraceState());
        SpanContext parent = span.getParentSpanContext();
        if (parent.isValid()) {
            out.hexId(PARENT_SPAN_ID, parent.getSpanId());
        }
        out.string(NAME, span.getName());
        out.uint(KIND, kind(span.getKind()));
        out.fixed64(START_TIME, span.getStartEpochNanos());
        out.fixed64(END_TIME, span.getEndEpochNanos());
        Attributes attributes = span.getAttributes();
        attributes(out, ATTRIBUTES, attributes);
        out.uint(DROPPED_ATTRIBUTES, span.getTotalAttributeCount() - attributes.size());
        for (EventData event : span.getEvents()) {
            int eventMessage = out.startMessage(EVENTS);
            out.fixed64(EVENT_TIME, event.getEpochNanos());
            out.string(EVENT_NAME, event.getName());
            attributes(out, EVENT_ATTRIBUTES, event.getAttributes());
            out.uint(EVENT_DROPPED_ATTRIBUTES, event.getTotalAttributeCount() - event.getAttributes().size());
            out.endMessage(eventMessage);
        }
        out.uint(DROPPED_EVENTS, span.getTotalRecordedEvents() - span.getEvents().size());
        for (LinkData link : span.getLinks()) {
            int linkMessage = out.startMessage(LINKS);
            SpanContext linked = link.getSpanContext();
            out.hexId(LINK_TRACE_ID, linked.getTraceId());
            out.hexId(LINK_SPAN_ID, linked.getSpanId());
            traceState(out, LINK_TRACE_STATE, linked.getTraceState());
            attributes(out, LINK_ATTRIBUTES, link.getAttributes());
            out.uint(LINK_DROPPED_ATTRIBUTES, link.getTotalAttributeCount() - link.getAttributes().size());
            out.fixed32(LINK_FLAGS, flags(linked, linked.isRemote()));
            out.endMessage(linkMessage);
        }
        out.uint(DROPPED_LINKS, span.getTotalRecordedLinks() - span.getLinks().size());
        int status = out.startMessage(STATUS);
        out.string(STATUS_MESSAGE, span.getStatus().getDescription());
        out.uint(STATUS_CODE, statusCode(span.getStatus().getStatusCode()));
        out.endMessage(status);
        out.fixed32(FLAGS, flags(context, parent.isRemote()));
        out.endMessage(message);
    }

    private static int kind(SpanKind kind) {
        return switch (kind) {
            case INTERNAL -> 1;
            case SERVER -> 2;
            case CLIENT -> 3;
            case PRODUCER -> 4;
            case CONSUMER -> 5;
        };
    }

    private static int flags(SpanContext context, boolean remote) {
        return (context.getTraceFlags().asByte() & 0xff) | HAS_IS_REMOTE | (remote ? IS_REMOTE : 0);
    }

    private static int statusCode(StatusCode code) {
        return switch (code) {
            case UNSET -> 0;
            case OK -> 1;
            case ERROR -> 2;
        };
    }

    /** W3C's {@code key=value,key=value}. */
    private static void traceState(ProtoWriter out, int field, TraceState state) {
        if (state.isEmpty()) {
            return;
        }
        StringBuilder text = new StringBuilder();
        state.forEach((key, value) -> text.append(text.length() == 0 ? "" : ",").append(key).append('=').append(value));
        out.string(field, text.toString());
    }

    private static void attributes(ProtoWriter out, int field, Attributes attributes) {
        attributes.forEach((key, value) -> {
            int keyValue = out.startMessage(field);
            out.string(KEY, key.getKey());
            int anyValue = out.startMessage(VALUE);
            attributeValue(out, key, value);
            out.endMessage(anyValue);
            out.endMessage(keyValue);
        });
    }

    /** The inside of an AnyValue: one field of its {@code oneof}. */
    private static void attributeValue(ProtoWriter out, AttributeKey<?> key, Object value) {
        switch (key.getType()) {
            case STRING, BOOLEAN, LONG, DOUBLE -> scalar(out, value);
            case STRING_ARRAY, BOOLEAN_ARRAY, LONG_ARRAY, DOUBLE_ARRAY -> {
                int array = out.startMessage(ARRAY_VALUE);
                for (Object element : (List<?>) value) {
                    int item = out.startMessage(VALUES);
                    scalar(out, element);
                    out.endMessage(item);
                }
                out.endMessage(array);
            }
            case VALUE -> anyValue(out, (Value<?>) value);
        }
    }

    private static void scalar(ProtoWriter out, Object value) {
        if (value instanceof String text) {
            out.alwaysString(STRING_VALUE, text);
        } else if (value instanceof Boolean flag) {
            out.alwaysUint(BOOL_VALUE, flag ? 1 : 0);
        } else if (value instanceof Long number) {
            out.alwaysUint(INT_VALUE, number);
        } else {
            out.alwaysFixed64(DOUBLE_VALUE, Double.doubleToRawLongBits((Double) value));
        }
    }

    private static void anyValue(ProtoWriter out, Value<?> value) {
        switch (value.getType()) {
            case STRING, BOOLEAN, LONG, DOUBLE -> scalar(out, value.getValue());
            case BYTES -> {
                ByteBuffer bytes = ((ByteBuffer) value.getValue()).duplicate();
                byte[] copy = new byte[bytes.remaining()];
                bytes.get(copy);
                out.alwaysBytes(BYTES_VALUE, copy);
            }
            case ARRAY -> {
                int array = out.startMessage(ARRAY_VALUE);
                for (Object element : (List<?>) value.getValue()) {
                    int item = out.startMessage(VALUES);
                    anyValue(out, (Value<?>) element);
                    out.endMessage(item);
                }
                out.endMessage(array);
            }
            case KEY_VALUE_LIST -> {
                int list = out.startMessage(KVLIST_VALUE);
                for (Object element : (List<?>) value.getValue()) {
                    KeyValue entry = (KeyValue) element;
                    int keyValue = out.startMessage(VALUES);
                    out.string(KEY, entry.getKey());
                    int inner = out.startMessage(VALUE);
                    anyValue(out, entry.getValue());
                    out.endMessage(inner);
                    out.endMessage(keyValue);
                }
                out.endMessage(list);
            }
            case EMPTY -> {
                // An AnyValue with no field set.
            }
        }
    }

    private static String orEmpty(String text) {
        return text == null ? "" : text;
    }
}
