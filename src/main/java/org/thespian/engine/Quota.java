package org.thespian.engine;

import java.util.concurrent.atomic.AtomicLong;

/** An amount in use that never passes its maximum, however many threads take from it at once. */
final class Quota {

    private final long max;
    private final AtomicLong used = new AtomicLong();

    Quota(long max) {
        this.max = max;
    }

    /** Takes {@code amount} if it fits under the maximum; false, and nothing taken, if it does not. */
    boolean take(long amount) {
        long now;
        do {
            now = used.get();
            if (amount > max - now) {
                return false;
            }
        } while (!used.compareAndSet(now, now + amount));
        return true;
    }

    void giveBack(long amount) {
        used.addAndGet(-amount);
    }

    long used() {
        return used.get();
    }

    long max() {
        return max;
    }
}
