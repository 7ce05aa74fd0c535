package org.thespian.engine;

import org.thespian.config.Action;
import org.thespian.config.Action.CallService;
import org.thespian.config.Resource;

/**
 * What a new {@link ActionScope} is begun for. The engine alone decides which work gets a scope of its own (every
 * action, every call of a CallService that calls more than once or does not wait, every wait for a resource's permit);
 * an observer handles each kind through {@link Visitor}, so a kind it forgets does not compile.
 */
public sealed interface Step permits Step.Act, Step.Calls, Step.Attempt, Step.Waiting {

    <R> R accept(Visitor<R> visitor);

    /** One method per kind of step: adding a kind adds a method every observer must implement. */
    interface Visitor<R> {
        R act(Action action);

        R calls(CallService call);

        R attempt(Attempt attempt);

        R waiting(Resource resource);
    }

    /** An action of the config. A CallService begun this way is one call, waited for: the action is the call. */
    record Act(Action action) implements Step {
        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.act(action);
        }
    }

    /** A CallService that calls more than once or does not wait for the answer: each call is an {@link Attempt}. */
    record Calls(CallService call) implements Step {
        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.calls(call);
        }
    }

    /** One call of a {@link Calls}: repetition {@code repetition} (from 1), attempt {@code number} (from 1). */
    record Attempt(CallService call, int repetition, int number) implements Step {
        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.attempt(this);
        }
    }

    /** A function waiting for a permit of {@code resource}: the scope ends when it got one, or gave up. */
    record Waiting(Resource resource) implements Step {
        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.waiting(resource);
        }
    }
}
