package org.thespian.engine;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One member's fire-and-forget calls in flight, counted against the process's cap (THESPIAN_MAX_BACKGROUND_CALLS)
 * and the member's own, if lower: past either a new call is dropped, counted, reported (the metric), and the count
 * logged at most once a minute for the whole process, so a flood cannot flood the log.
 */
final class BackgroundCalls {

    private static final Logger LOG = LoggerFactory.getLogger("thespian.background");
    private static final long LOG_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);

    /** The process's: its cap, and its drops for the log. */
    static final class Pool {
        private final Quota inFlight;
        private final AtomicLong dropped = new AtomicLong();
        private final AtomicLong droppedSinceLog = new AtomicLong();
        private final AtomicLong lastLogNanos = new AtomicLong(System.nanoTime() - LOG_INTERVAL_NANOS);

        Pool(int max) {
            this.inFlight = new Quota(max);
        }

        private void dropped() {
            dropped.incrementAndGet();
            droppedSinceLog.incrementAndGet();
            long last = lastLogNanos.get();
            long now = System.nanoTime();
            if (now - last >= LOG_INTERVAL_NANOS && lastLogNanos.compareAndSet(last, now)) {
                LOG.warn("Dropped {} fire-and-forget calls in the last minute: {} of at most {} were in flight in this"
                        + " process (THESPIAN_MAX_BACKGROUND_CALLS, or a member's own if lower); {} dropped since start",
                        droppedSinceLog.getAndSet(0), inFlight.used(), inFlight.max(), dropped.get());
            }
        }
    }

    private final Pool pool;
    /** This member's own cap, when lower than the process's. */
    private final Quota own;
    private final Runnable onDrop;
    private final AtomicLong dropped = new AtomicLong();

    BackgroundCalls(Pool pool, int ownMax, Runnable onDrop) {
        this.pool = pool;
        this.own = new Quota(Math.min(ownMax, pool.inFlight.max()));
        this.onDrop = onDrop;
    }

    /** Takes a place for one more call, or counts it as dropped. */
    boolean tryStart() {
        if (pool.inFlight.take(1)) {
            if (own.take(1)) {
                return true;
            }
            pool.inFlight.giveBack(1);
        }
        dropped.incrementAndGet();
        onDrop.run();
        pool.dropped();
        return false;
    }

    void finished() {
        own.giveBack(1);
        pool.inFlight.giveBack(1);
    }

    /** This member's calls dropped so far. */
    long dropped() {
        return dropped.get();
    }
}
