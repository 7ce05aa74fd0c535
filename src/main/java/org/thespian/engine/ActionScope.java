package org.thespian.engine;

import java.util.function.Supplier;

/**
 * One running action as an {@link ActionListener} sees it. The engine reports the outcome exactly once, and
 * starts the action's work through {@link #enter} so that, for example, a span can be current while a peer
 * call is being started.
 */
public interface ActionScope {

    <T> T enter(Supplier<T> work);

    void succeeded();

    void failed(ActionFailure failure);

    /** A sleep with a failure chance drew {@code roll}; it fails when the roll is below the chance. */
    default void rolled(double chance, double roll) {
    }

    /** A scope that observes nothing: the engine without telemetry. */
    ActionScope NONE = new ActionScope() {
        @Override
        public <T> T enter(Supplier<T> work) {
            return work.get();
        }

        @Override
        public void succeeded() {
        }

        @Override
        public void failed(ActionFailure failure) {
        }
    };
}
