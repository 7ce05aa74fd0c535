package org.thespian.engine;

import java.util.function.Supplier;

/**
 * One running action (or request, call or wait) as an {@link ActionListener} sees it. The engine begins the scope of
 * each step inside its parent's ({@link #begin}) and reports the outcome exactly once. Work that reads the current
 * context runs through {@link #enter}: a peer call is started (and its answer handled) there, so its span is current
 * when the call's headers are written. Nothing else needs it, and a sleep or a function starts without it.
 */
public interface ActionScope {

    /** The scope of {@code step}, begun within this one. */
    ActionScope begin(Step step);

    <T> T enter(Supplier<T> work);

    void succeeded();

    void failed(ActionFailure failure);

    /** A sleep with a failure chance drew {@code roll}; it fails when the roll is below the chance. */
    default void rolled(double chance, double roll) {
    }

    /** A Sleep or Cpu action drew {@code millis} from its latency. */
    default void drew(double millis) {
    }

    /** A call with a {@code probability} rolled against it and was not made. */
    default void skipped() {
    }

    /** A call with a circuit breaker found it in {@code state}: let through (closed, half-open) or refused (open). */
    default void circuit(CircuitState state) {
    }

    /** A scope that observes nothing: the engine without telemetry. Its steps need no scope of their own. */
    ActionScope NONE = new ActionScope() {
        @Override
        public ActionScope begin(Step step) {
            return this;
        }

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
