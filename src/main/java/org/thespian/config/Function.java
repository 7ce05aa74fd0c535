package org.thespian.config;

import java.util.List;

/** A named sequence of operations; the first that fails stops the function. Nested, it is an action itself. */
public record Function(String tracingName, List<Operation> operations) implements Action {
    public Function {
        operations = List.copyOf(operations);
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
        return visitor.function(this);
    }
}
