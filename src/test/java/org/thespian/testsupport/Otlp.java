package org.thespian.testsupport;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;

/** Turns OTLP protobuf values into plain Java ones for assertions. */
final class Otlp {

    private Otlp() {
    }

    /** Pairs each item of an export with its resource: exports nest items in scopes, and scopes in resources. */
    static <G, S, I, T> List<T> flatten(List<G> resourceGroups, Function<G, Resource> resource,
            Function<G, List<S>> scopes, Function<S, List<I>> items, BiFunction<Resource, I, T> convert) {
        return resourceGroups.stream()
                .flatMap(group -> scopes.apply(group).stream()
                        .flatMap(scope -> items.apply(scope).stream())
                        .map(item -> convert.apply(resource.apply(group), item)))
                .toList();
    }

    /** Attributes as string, long, double or boolean values (lists and maps for nested ones), in wire order. */
    static Map<String, Object> attributes(List<KeyValue> keyValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        keyValues.forEach(kv -> map.put(kv.getKey(), value(kv.getValue())));
        return Collections.unmodifiableMap(map);
    }

    static Object value(AnyValue value) {
        return switch (value.getValueCase()) {
            case STRING_VALUE -> value.getStringValue();
            case BOOL_VALUE -> value.getBoolValue();
            case INT_VALUE -> value.getIntValue();
            case DOUBLE_VALUE -> value.getDoubleValue();
            case ARRAY_VALUE -> value.getArrayValue().getValuesList().stream().map(Otlp::value).toList();
            case KVLIST_VALUE -> attributes(value.getKvlistValue().getValuesList());
            case BYTES_VALUE -> hex(value.getBytesValue());
            // Unset (and profiles' dictionary references): "" keeps the maps null-free, comparable with Map.of(...).
            default -> "";
        };
    }

    static String serviceName(Resource resource) {
        return String.valueOf(attributes(resource.getAttributesList()).getOrDefault("service.name", ""));
    }

    /** Trace and span ids as lowercase hex; an absent id is "". */
    static String hex(ByteString bytes) {
        return HexFormat.of().formatHex(bytes.toByteArray());
    }

    /** "SPAN_KIND_SERVER" without its "SPAN_KIND_" is "SERVER". */
    static String enumName(Enum<?> value, String prefix) {
        String name = value.name();
        return name.startsWith(prefix) ? name.substring(prefix.length()) : name;
    }
}
