package org.thespian.config;

import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Set;

/**
 * How a {@code CallService} calls: the deadline it sets, how it retries, how often it calls at all, how many
 * times, and whether it waits for the answer. {@link #PLAIN} is the original's one call, waited for.
 *
 * @param timeoutMs     a deadline on each outgoing call, never later than the incoming one
 * @param probability   the chance that the call happens at all; skipped calls succeed at once
 * @param waitForAnswer false for fire-and-forget: the caller continues at once
 */
public record CallPolicy(OptionalLong timeoutMs, Retries retries, OptionalDouble probability, Repeat repeat,
        boolean waitForAnswer) {

    public static final CallPolicy PLAIN =
            new CallPolicy(OptionalLong.empty(), Retries.NONE, OptionalDouble.empty(), Repeat.ONCE, true);

    /** Whether the call is one call, waited for: its action span is then the call's CLIENT span itself. */
    public boolean isSingleCall() {
        return retries.maxAttempts() == 1 && repeat.times() == 1 && waitForAnswer;
    }

    /**
     * {@code "retries": {"max_attempts": 3, "backoff_ms": 50, "retry_on": ["UNAVAILABLE"]}}: up to
     * {@code maxAttempts} calls in all, {@code backoffMs} apart, while the call fails with a code in
     * {@code retryOn}.
     */
    public record Retries(int maxAttempts, long backoffMs, Set<FailureCode> retryOn) {
        public static final Retries NONE = new Retries(1, 0, Set.of());

        public Retries {
            retryOn = Set.copyOf(retryOn);
        }
    }

    /** {@code "repeat": {"times": 5, "concurrent": true}}: the call made {@code times} times. */
    public record Repeat(int times, boolean concurrent) {
        public static final Repeat ONCE = new Repeat(1, false);
    }
}
