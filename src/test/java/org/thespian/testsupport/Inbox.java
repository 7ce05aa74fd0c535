package org.thespian.testsupport;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/** What a receiver has been sent so far, in arrival order, and a way to wait for enough of it. */
final class Inbox<T> {

    private final String what;
    private final List<T> items = new ArrayList<>();

    Inbox(String what) {
        this.what = what;
    }

    synchronized void addAll(Collection<? extends T> received) {
        items.addAll(received);
        notifyAll();
    }

    synchronized List<T> snapshot() {
        return List.copyOf(items);
    }

    /** Returns the first snapshot {@code until} accepts; fails listing everything received if none does in time. */
    synchronized List<T> await(Predicate<List<T>> until, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<T> snapshot = List.copyOf(items);
            if (until.test(snapshot)) {
                return snapshot;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("Timed out after " + timeout + " waiting for " + what + "; received "
                        + snapshot.size() + describe(snapshot));
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("Interrupted while waiting for " + what, e);
            }
        }
    }

    private static String describe(List<?> items) {
        return items.stream().map(item -> "\n  " + item).collect(Collectors.joining("", ":", ""));
    }
}
