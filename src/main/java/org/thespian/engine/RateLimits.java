package org.thespian.engine;

import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.thespian.config.FailureCode;
import org.thespian.config.Function;
import org.thespian.config.RateLimit;

/**
 * An instance's token buckets, one per rate-limited function. A limit is told apart by its place in the config
 * as well as its rate, so a config change that keeps a function's limit keeps its bucket; buckets the running
 * config no longer has are dropped.
 */
final class RateLimits {

    private final ConcurrentHashMap<RateLimit, TokenBucket> buckets = new ConcurrentHashMap<>();
    private final LongSupplier clock;

    RateLimits(LongSupplier clock) {
        this.clock = clock;
    }

    /** Nothing when {@code function} may run now (a token is taken); otherwise why not. */
    Optional<ActionFailure> refusal(Function function) {
        if (function.rateLimit().isEmpty()) {
            return Optional.empty();
        }
        RateLimit limit = function.rateLimit().get();
        if (buckets.computeIfAbsent(limit, key -> new TokenBucket(key, clock)).tryTake()) {
            return Optional.empty();
        }
        return Optional.of(ActionFailure.at(function, FailureCode.RESOURCE_EXHAUSTED,
                "rate limited: over the limit of " + limit.describe() + " (" + limit.where() + ")"));
    }

    /** Keeps the buckets of {@code running} and drops the others. */
    void declare(Set<RateLimit> running) {
        buckets.keySet().retainAll(running);
    }
}
