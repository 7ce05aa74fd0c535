package org.thespian.engine;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.thespian.config.RateLimit;

/**
 * {@code burst} tokens, refilled at {@code per_second}; each call takes one or, finding none, is refused. It
 * starts full, so the first {@code burst} calls always pass. Time comes from {@code clock} (nanoseconds).
 */
final class TokenBucket {

    private final double capacity;
    private final double tokensPerNano;
    private final LongSupplier clock;
    private double tokens;
    private long refilledAt;

    TokenBucket(RateLimit limit, LongSupplier clock) {
        this.capacity = limit.burst();
        this.tokensPerNano = limit.perSecond() / TimeUnit.SECONDS.toNanos(1);
        this.clock = clock;
        this.tokens = capacity;
        this.refilledAt = clock.getAsLong();
    }

    synchronized boolean tryTake() {
        long now = clock.getAsLong();
        tokens = Math.min(capacity, tokens + (now - refilledAt) * tokensPerNano);
        refilledAt = now;
        if (tokens < 1) {
            return false;
        }
        tokens -= 1;
        return true;
    }
}
