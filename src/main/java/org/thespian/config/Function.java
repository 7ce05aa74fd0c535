package org.thespian.config;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A named sequence of operations; the first that fails stops the function. Nested, it is an action itself.
 * With a {@code resource}, it holds one of the resource's permits while it runs; with a {@code rateLimit}, a call
 * over the limit fails before it starts.
 */
public record Function(String tracingName, List<Operation> operations, Optional<Resource> resource,
        Map<String, String> attributes, Optional<RateLimit> rateLimit) implements Action {

    public Function {
        operations = List.copyOf(operations);
        attributes = Attributes.copy(attributes);
    }

    public Function(String tracingName, List<Operation> operations) {
        this(tracingName, operations, Optional.empty(), Map.of());
    }

    /** A function without a rate limit. */
    public Function(String tracingName, List<Operation> operations, Optional<Resource> resource,
            Map<String, String> attributes) {
        this(tracingName, operations, resource, attributes, Optional.empty());
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
        return visitor.function(this);
    }
}
