package org.thespian.engine;

import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import org.thespian.config.Action;

/**
 * The seam through which telemetry follows the engine: it is told when each action begins (with the scope of
 * its parent) and how it ended, and never changes what the engine does.
 */
public interface ActionListener {

    /** The scope of the request being handled on the calling thread; the parent of the method's function. */
    ActionScope requestScope();

    ActionScope begin(ActionScope parent, Action action);

    /**
     * A circuit breaker of this instance went from {@code from} to {@code circuit}'s state, for the reason
     * {@code why}; the scope of the call that moved it is entered.
     */
    default void circuitChanged(Circuit circuit, CircuitState from, String why) {
    }

    /** How to read the circuit breakers of the engine that reports to this listener, whenever it wants to. */
    default void watchCircuits(Supplier<List<Circuit>> circuits) {
    }

    ActionListener NONE = scopes(action -> ActionScope.NONE);

    /** A listener with no request scope of its own that gives each action the scope {@code scopeOf} makes. */
    static ActionListener scopes(Function<Action, ActionScope> scopeOf) {
        return new ActionListener() {
            @Override
            public ActionScope requestScope() {
                return ActionScope.NONE;
            }

            @Override
            public ActionScope begin(ActionScope parent, Action action) {
                return scopeOf.apply(action);
            }
        };
    }
}
