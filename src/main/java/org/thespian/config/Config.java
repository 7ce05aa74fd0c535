package org.thespian.config;

import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/**
 * A parsed, validated CONFIG_JSON document.
 *
 * @param serviceName the optional top-level {@code service_name}
 * @param methods     the function behind each method; a method that is absent (or {@code null} in JSON) does nothing
 */
public record Config(Optional<String> serviceName, Map<Method, Function> methods) {

    public Config {
        EnumMap<Method, Function> copy = new EnumMap<>(Method.class);
        copy.putAll(methods);
        methods = java.util.Collections.unmodifiableMap(copy);
    }

    /** A config whose three methods do nothing: what Thespian runs with no configuration at all. */
    public static Config empty() {
        return new Config(Optional.empty(), Map.of());
    }

    public Optional<Function> function(Method method) {
        return Optional.ofNullable(methods.get(method));
    }
}
