package org.thespian.engine;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.thespian.config.Action.CallService;
import org.thespian.config.Action.Sleep;
import org.thespian.config.Method;
import org.thespian.config.Peer;

/** Small actions and outcome checks shared by the engine's tests. */
final class EngineFixtures {

    private EngineFixtures() {
    }

    static Sleep sleep(String name, long ms) {
        return new Sleep(name, ms, OptionalDouble.empty());
    }

    static CallService call(String name) {
        return new CallService(name, new Peer("localhost", 1, false), Method.B);
    }

    static Execution unseededExecution() {
        return new Execution(Dice.of(OptionalLong.empty()).nextRequest(), OptionalLong.empty());
    }

    /** The failure {@code outcome} ended with; fails the test if it succeeded. */
    static ActionFailure failureOf(CompletableFuture<Void> outcome) {
        try {
            outcome.join();
        } catch (CompletionException e) {
            return assertInstanceOf(ActionFailure.class, e.getCause());
        }
        throw new AssertionError("expected a failure");
    }
}
