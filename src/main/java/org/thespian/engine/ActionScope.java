package org.thespian.engine;

import java.util.function.Supplier;

/**
 * One running action as an {@link ActionListener} sees it. The engine reports the outcome exactly once. Work
 * that reads the current context runs through {@link #enter}: a peer call is started (and its answer handled)
 * there, so its span is current when the call's headers are written. Nothing else needs it, and a sleep or a
 * function starts without it.
 */
public interface ActionScope {

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

    /**
     * One call made by a CallService that calls more than once or does not wait for the answer: repetition
     * {@code repetition} (from 1), attempt {@code attempt} (from 1). The returned scope ends exactly once.
     */
    default ActionScope attempt(int repetition, int attempt) {
        return Quiet.within(this);
    }

    /** A function waiting for a permit of {@code resource}; the returned scope ends when it got one, or gave up. */
    default ActionScope waiting(String resource) {
        return Quiet.within(this);
    }

    /** A scope that observes nothing: the engine without telemetry. */
    ActionScope NONE = new Quiet(ActionScope::enterDirectly);

    private static <T> T enterDirectly(Supplier<T> work) {
        return work.get();
    }

    /** Observes nothing itself; enters through whatever scope it was made in. */
    final class Quiet implements ActionScope {
        private final Entrance entrance;

        private Quiet(Entrance entrance) {
            this.entrance = entrance;
        }

        static ActionScope within(ActionScope parent) {
            return new Quiet(parent::enter);
        }

        @Override
        public <T> T enter(Supplier<T> work) {
            return entrance.enter(work);
        }

        @Override
        public void succeeded() {
        }

        @Override
        public void failed(ActionFailure failure) {
        }

        private interface Entrance {
            <T> T enter(Supplier<T> work);
        }
    }
}
