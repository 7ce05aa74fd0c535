package org.thespian.engine;

import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.thespian.common.DropReport;

/**
 * One member's fire-and-forget calls in flight, counted against the process's cap (THESPIAN_MAX_BACKGROUND_CALLS)
 * and the member's own, if lower: past either a new call is dropped, counted, reported (the metric), and the count
 * logged at most once a minute for the whole process, so a flood cannot flood the log.
 */
final class BackgroundCalls {

    private static final Logger LOG = LoggerFactory.getLogger("thespian.background");

    /** The process's: its cap, and its drops for the log. */
    static final class Pool {
        private final Quota inFlight;
        private final DropReport drops = new DropReport();

        Pool(int max) {
            this.inFlight = new Quota(max);
        }

        private void dropped() {
            drops.add(1);
            drops.due(System.nanoTime()).ifPresent(due -> LOG.warn("Dropped {} fire-and-forget calls in the last"
                    + " minute: {} of at most {} were in flight in this process (THESPIAN_MAX_BACKGROUND_CALLS, or a"
                    + " member's own if lower); {} dropped since start", due.total(), inFlight.used(), inFlight.max(),
                    drops.total()));
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
