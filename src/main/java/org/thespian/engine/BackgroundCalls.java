package org.thespian.engine;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts fire-and-forget calls in flight and refuses new ones past the cap (THESPIAN_MAX_BACKGROUND_CALLS):
 * a dropped call is counted, and the count logged at most once a minute, so a flood cannot flood the log.
 */
final class BackgroundCalls {

    private static final Logger LOG = LoggerFactory.getLogger("thespian.background");
    private static final long LOG_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final int max;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong droppedSinceLog = new AtomicLong();
    private final AtomicLong lastLogNanos = new AtomicLong(System.nanoTime() - LOG_INTERVAL_NANOS);

    BackgroundCalls(int max) {
        this.max = max;
    }

    /** Takes a place for one more call, or counts it as dropped. */
    boolean tryStart() {
        if (inFlight.incrementAndGet() <= max) {
            return true;
        }
        inFlight.decrementAndGet();
        dropped.incrementAndGet();
        droppedSinceLog.incrementAndGet();
        long last = lastLogNanos.get();
        long now = System.nanoTime();
        if (now - last >= LOG_INTERVAL_NANOS && lastLogNanos.compareAndSet(last, now)) {
            LOG.warn("Dropped {} fire-and-forget calls in the last minute: {} were in flight"
                    + " (THESPIAN_MAX_BACKGROUND_CALLS); {} dropped since start",
                    droppedSinceLog.getAndSet(0), max, dropped.get());
        }
        return false;
    }

    void finished() {
        inFlight.decrementAndGet();
    }

    long dropped() {
        return dropped.get();
    }
}
