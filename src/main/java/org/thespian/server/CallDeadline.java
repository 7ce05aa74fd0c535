package org.thespian.server;

import io.grpc.CallOptions;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.thespian.config.Action.CallService;
import org.thespian.engine.Execution;

/**
 * The deadline of one peer call: the sooner of the request's deadline and the action's {@code timeout_ms}, or
 * THESPIAN_PEER_TIMEOUT when neither applies. Which one it is decides what a missed deadline means: the
 * caller's passing ends the whole request, the others fail this action.
 */
record CallDeadline(long nanosFromNow, Source source, String missed) {

    enum Source { CALLER, TIMEOUT_MS, PEER_TIMEOUT }

    static final String CALLERS_DEADLINE_PASSED = Execution.DEADLINE_PASSED;

    static CallDeadline of(CallService action, Execution execution, Duration peerTimeout) {
        long now = System.nanoTime();
        OptionalLong callers = execution.deadlineNanos();
        OptionalLong timeoutMs = action.policy().timeoutMs();
        if (timeoutMs.isPresent()) {
            long timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMs.getAsLong());
            if (callers.isEmpty() || timeoutNanos < callers.getAsLong() - now) {
                return new CallDeadline(timeoutNanos, Source.TIMEOUT_MS, "within timeout_ms " + timeoutMs.getAsLong());
            }
        }
        if (callers.isPresent()) {
            return new CallDeadline(callers.getAsLong() - now, Source.CALLER, "before the caller's deadline");
        }
        return new CallDeadline(peerTimeout.toNanos(), Source.PEER_TIMEOUT, "within THESPIAN_PEER_TIMEOUT ("
                + peerTimeout.toMillis() + " ms; the request came without a deadline)");
    }

    CallOptions options() {
        return CallOptions.DEFAULT.withDeadlineAfter(nanosFromNow, TimeUnit.NANOSECONDS);
    }

    boolean isCallers() {
        return source == Source.CALLER;
    }

    /**
     * Whether the request's own deadline has passed: a peer may also answer DEADLINE_EXCEEDED of its own accord (a
     * config's failure code, or a deadline further down), which fails this call but leaves the request to answer.
     */
    static boolean callersPassed(Execution execution) {
        return execution.deadlineNanos().stream().anyMatch(deadline -> System.nanoTime() - deadline >= 0);
    }
}
