package org.thespian.engine;

import java.util.function.Function;
import org.thespian.config.Action;

/**
 * The seam through which telemetry follows the engine: it is told when each action begins (with the scope of
 * its parent) and how it ended, and never changes what the engine does.
 */
public interface ActionListener {

    /** The scope of the request being handled on the calling thread; the parent of the method's function. */
    ActionScope requestScope();

    ActionScope begin(ActionScope parent, Action action);

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
