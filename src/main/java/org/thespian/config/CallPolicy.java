package org.thespian.config;

import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Set;

/**
 * How a {@code CallService} calls: the deadline it sets, how it retries or hedges, how often it calls at all, how
 * many times, whether it waits for the answer, and whether a circuit breaker guards it. {@link #PLAIN} is the
 * original's one call, waited for.
 *
 * @param timeoutMs      a deadline on each outgoing call, never later than the incoming one
 * @param probability    the chance that the call happens at all; skipped calls succeed at once
 * @param waitForAnswer  false for fire-and-forget: the caller continues at once
 * @param circuitBreaker the breaker this instance keeps for the call's peer and method, if any
 * @param hedge          another attempt while the first is slow; never together with {@code retries}
 */
public record CallPolicy(OptionalLong timeoutMs, Retries retries, OptionalDouble probability, Repeat repeat,
        boolean waitForAnswer, Optional<CircuitBreaker> circuitBreaker, Optional<Hedge> hedge) {

    public static final CallPolicy PLAIN =
            new CallPolicy(OptionalLong.empty(), Retries.NONE, OptionalDouble.empty(), Repeat.ONCE, true);

    /** A policy without a circuit breaker or hedging. */
    public CallPolicy(OptionalLong timeoutMs, Retries retries, OptionalDouble probability, Repeat repeat,
            boolean waitForAnswer) {
        this(timeoutMs, retries, probability, repeat, waitForAnswer, Optional.empty(), Optional.empty());
    }

    /** Whether the call is one call, waited for: its action span is then the call's CLIENT span itself. */
    public boolean isSingleCall() {
        return retries.maxAttempts() == 1 && repeat.times() == 1 && waitForAnswer && hedge.isEmpty();
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

    /**
     * {@code "circuit_breaker": {"failure_rate": 0.5, "min_calls": 10, "window_ms": 10000, "open_ms": 5000,
     * "half_open_calls": 1}}: once at least {@code minCalls} calls in the last {@code windowMs} failed at
     * {@code failureRate} or more, calls fail at once for {@code openMs}; then {@code halfOpenCalls} probe calls
     * decide whether it closes again.
     */
    public record CircuitBreaker(double failureRate, int minCalls, long windowMs, long openMs, int halfOpenCalls) {
        /** The values a {@code "circuit_breaker": {}} takes. */
        public static final CircuitBreaker DEFAULT = new CircuitBreaker(0.5, 10, 10_000, 5_000, 1);
    }

    /**
     * {@code "hedge": {"delay_ms": 20, "max_attempts": 2}}: while no attempt has answered, another starts every
     * {@code delayMs}, up to {@code maxAttempts} in all; the first OK answer wins.
     */
    public record Hedge(long delayMs, int maxAttempts) {
    }
}
