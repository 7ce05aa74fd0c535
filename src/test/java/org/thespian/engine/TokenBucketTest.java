package org.thespian.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.thespian.config.RateLimit;

/** The token bucket, on a clock the test moves. */
class TokenBucketTest {

    private long now = 5_000_000_000L;

    @Test
    void startsFullWithTheBurst() {
        TokenBucket bucket = new TokenBucket(new RateLimit(100, 20, "f.rate_limit"), () -> now);
        assertEquals(20, taken(bucket, 30));
    }

    @Test
    void refillsAtTheRateUpToTheBurst() {
        TokenBucket bucket = new TokenBucket(new RateLimit(100, 20, "f.rate_limit"), () -> now);
        taken(bucket, 20);
        advance(50);
        assertEquals(5, taken(bucket, 30), "100 a second is 5 in 50 ms");
        advance(10_000);
        assertEquals(20, taken(bucket, 30), "never more than the burst");
    }

    @Test
    void keepsFractionsOfATokenBetweenCalls() {
        TokenBucket bucket = new TokenBucket(new RateLimit(0.5, 1, "f.rate_limit"), () -> now);
        assertTrue(bucket.tryTake());
        advance(1_000);
        assertFalse(bucket.tryTake(), "half a token after a second");
        advance(1_000);
        assertTrue(bucket.tryTake(), "one token after two seconds");
    }

    private static int taken(TokenBucket bucket, int tries) {
        int taken = 0;
        for (int i = 0; i < tries; i++) {
            taken += bucket.tryTake() ? 1 : 0;
        }
        return taken;
    }

    private void advance(long millis) {
        now += TimeUnit.MILLISECONDS.toNanos(millis);
    }
}
