package org.thespian.config;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Set;

/** The keys of a {@code CallService} beyond the original's: {@code timeout_ms}, {@code retries}, {@code probability}, {@code repeat}, {@code wait}. */
final class CallPolicyParser {

    private static final List<String> RETRIES_KEYS = List.of("max_attempts", "backoff_ms", "retry_on");
    private static final List<String> REPEAT_KEYS = List.of("times", "concurrent");
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
        return new CallPolicy(
                timeout.isAbsent() ? OptionalLong.empty() : OptionalLong.of(timeout.wholeNumber(1, Integer.MAX_VALUE)),
                retries(call.get("retries")),
                probability.isAbsent() ? OptionalDouble.empty() : OptionalDouble.of(probability.fraction()),
                repeat(call.get("repeat")),
                wait.isAbsent() || wait.bool());
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
