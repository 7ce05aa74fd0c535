package org.thespian.config;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The keys of a {@code CallService} beyond the original's: {@code timeout_ms}, {@code retries}, {@code probability},
 * {@code repeat}, {@code wait}, {@code circuit_breaker}, {@code hedge}.
 */
final class CallPolicyParser {

    private static final List<String> RETRIES_KEYS = List.of("max_attempts", "backoff_ms", "retry_on");
    private static final List<String> REPEAT_KEYS = List.of("times", "concurrent");
    private static final List<String> BREAKER_KEYS =
            List.of("failure_rate", "min_calls", "window_ms", "open_ms", "half_open_calls");
    private static final List<String> HEDGE_KEYS = List.of("delay_ms", "max_attempts");
    /** Attempts of a hedged call when {@code max_attempts} is not given: the first and one hedge. */
    private static final int DEFAULT_HEDGE_ATTEMPTS = 2;
    /** What a retry policy retries when it does not say: the code gRPC's own retry examples use. */
    private static final Set<FailureCode> DEFAULT_RETRY_ON = Set.of(FailureCode.UNAVAILABLE);
    /** Far more than any simulation needs, and few enough that one call cannot start a million. */
    private static final int MAX_ATTEMPTS = 100;
    private static final int MAX_REPEAT = 10_000;

    private CallPolicyParser() {
    }

    static CallPolicy policy(JsonValue call) throws ConfigException {
        JsonValue timeout = call.get("timeout_ms");
        JsonValue probability = call.get("probability");
        JsonValue wait = call.get("wait");
        JsonValue retries = call.get("retries");
        JsonValue hedge = call.get("hedge");
        if (!retries.isAbsent() && !hedge.isAbsent()) {
            throw call.error("\"hedge\" and \"retries\" cannot be combined: a hedged call already makes several"
                    + " attempts (keep one of the two)");
        }
        return new CallPolicy(
                timeout.isAbsent() ? OptionalLong.empty() : OptionalLong.of(timeout.wholeNumber(1, Integer.MAX_VALUE)),
                retries(retries),
                probability.isAbsent() ? OptionalDouble.empty() : OptionalDouble.of(probability.fraction()),
                repeat(call.get("repeat")),
                wait.isAbsent() || wait.bool(),
                circuitBreaker(call.get("circuit_breaker")),
                hedge(hedge));
    }

    private static Optional<CallPolicy.CircuitBreaker> circuitBreaker(JsonValue breaker) throws ConfigException {
        if (breaker.isAbsent()) {
            return Optional.empty();
        }
        breaker.checkObject(BREAKER_KEYS, List.of());
        CallPolicy.CircuitBreaker defaults = CallPolicy.CircuitBreaker.DEFAULT;
        JsonValue rate = breaker.get("failure_rate");
        double failureRate = rate.isAbsent() ? defaults.failureRate() : rate.fraction();
        if (failureRate == 0) {
            throw rate.expected("a number above 0 and at most 1");
        }
        return Optional.of(new CallPolicy.CircuitBreaker(failureRate,
                optionalWholeNumber(breaker.get("min_calls"), 1, Integer.MAX_VALUE, defaults.minCalls()),
                optionalWholeNumber(breaker.get("window_ms"), 1, Integer.MAX_VALUE, (int) defaults.windowMs()),
                optionalWholeNumber(breaker.get("open_ms"), 1, Integer.MAX_VALUE, (int) defaults.openMs()),
                optionalWholeNumber(breaker.get("half_open_calls"), 1, Integer.MAX_VALUE, defaults.halfOpenCalls())));
    }

    private static Optional<CallPolicy.Hedge> hedge(JsonValue hedge) throws ConfigException {
        if (hedge.isAbsent()) {
            return Optional.empty();
        }
        hedge.checkObject(HEDGE_KEYS, List.of("delay_ms"));
        return Optional.of(new CallPolicy.Hedge(hedge.get("delay_ms").wholeNumber(0, Integer.MAX_VALUE),
                optionalWholeNumber(hedge.get("max_attempts"), 1, MAX_ATTEMPTS, DEFAULT_HEDGE_ATTEMPTS)));
    }

    /** A whole number from {@code min} to {@code max}, or {@code otherwise} when it is absent. */
    private static int optionalWholeNumber(JsonValue value, int min, int max, int otherwise) throws ConfigException {
        return value.isAbsent() ? otherwise : value.wholeNumber(min, max);
    }

    private static CallPolicy.Retries retries(JsonValue retries) throws ConfigException {
        if (retries.isAbsent()) {
            return CallPolicy.Retries.NONE;
        }
        retries.checkObject(RETRIES_KEYS, List.of("max_attempts"));
        JsonValue backoff = retries.get("backoff_ms");
        JsonValue retryOn = retries.get("retry_on");
        return new CallPolicy.Retries(
                retries.get("max_attempts").wholeNumber(1, MAX_ATTEMPTS),
                backoff.isAbsent() ? 0 : backoff.wholeNumber(0, Integer.MAX_VALUE),
                retryOn.isAbsent() ? DEFAULT_RETRY_ON : codes(retryOn));
    }

    private static Set<FailureCode> codes(JsonValue codes) throws ConfigException {
        Set<FailureCode> set = new LinkedHashSet<>();
        for (String name : codes.elements(code -> code.oneOf(FailureCode.names()))) {
            set.add(FailureCode.valueOf(name));
        }
        return set;
    }

    private static CallPolicy.Repeat repeat(JsonValue repeat) throws ConfigException {
        if (repeat.isAbsent()) {
            return CallPolicy.Repeat.ONCE;
        }
        repeat.checkObject(REPEAT_KEYS, List.of("times"));
        JsonValue concurrent = repeat.get("concurrent");
        return new CallPolicy.Repeat(repeat.get("times").wholeNumber(1, MAX_REPEAT),
                !concurrent.isAbsent() && concurrent.bool());
    }
}
