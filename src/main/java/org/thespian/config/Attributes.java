package org.thespian.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** Span attributes as the config wrote them: an unmodifiable copy that keeps the written order. */
final class Attributes {

    private Attributes() {
    }

    static Map<String, String> copy(Map<String, String> attributes) {
        return attributes.isEmpty() ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(attributes));
    }
}
