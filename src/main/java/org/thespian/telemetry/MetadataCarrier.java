package org.thespian.telemetry;

import io.grpc.Metadata;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapSetter;

/** Lets the OpenTelemetry propagators read and write W3C headers (traceparent, tracestate, baggage) in gRPC metadata. */
enum MetadataCarrier implements TextMapGetter<Metadata>, TextMapSetter<Metadata> {
    INSTANCE;

    @Override
    public Iterable<String> keys(Metadata metadata) {
        return metadata.keys();
    }

    @Override
    public String get(Metadata metadata, String key) {
        if (metadata == null || key.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
            return null;
        }
        return metadata.get(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER));
    }

    @Override
    public void set(Metadata metadata, String key, String value) {
        if (metadata != null) {
            metadata.put(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER), value);
        }
    }
}
