package org.thespian.telemetry;

import io.grpc.Metadata;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapSetter;

/** Lets the OpenTelemetry propagators read and write W3C headers (traceparent, tracestate, baggage) in gRPC metadata. */
enum MetadataCarrier implements TextMapGetter<Metadata>, TextMapSetter<Metadata> {
    INSTANCE;

    /**
     * The propagators ask for the same few names (their fields) on every call: a key checks and copies its name when
     * made, so each is made once. Past this many names (none of OTEL_PROPAGATORS' choices asks for more) keys are
     * made afresh, so the map stays small whatever is asked.
     */
    private static final int MAX_KEYS = 32;
    private final Map<String, Metadata.Key<String>> keys = new ConcurrentHashMap<>();

    private Metadata.Key<String> key(String name) {
        Metadata.Key<String> known = keys.get(name);
        if (known != null) {
            return known;
        }
        Metadata.Key<String> made = Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER);
        if (keys.size() < MAX_KEYS) {
            keys.putIfAbsent(name, made);
        }
        return made;
    }

    @Override
    public Iterable<String> keys(Metadata metadata) {
        return metadata.keys();
    }

    @Override
    public String get(Metadata metadata, String key) {
        if (metadata == null || key.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
            return null;
        }
        return metadata.get(key(key));
    }

    @Override
    public void set(Metadata metadata, String key, String value) {
        if (metadata != null) {
            metadata.put(key(key), value);
        }
    }
}
