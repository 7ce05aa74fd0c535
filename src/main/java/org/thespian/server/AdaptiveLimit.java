package org.thespian.server;

import java.time.Duration;

/**
 * How many calls of new work (calls from outside, not hops of requests already admitted) a server takes at
 * once while its process falls behind. Each {@link ProcessLag} window: when the process ran later than the
 * target in this window and the one before (one late window is a GC pause or a neighbour's burst, not overload),
 * or four times later in this one alone, the limit drops to what was in flight times the target over the lag,
 * between a tenth and 80% of it: the later the process runs, the deeper the cut. When the process kept up and the
 * limit was nearly reached, the limit grows: it doubles if the window was late by a quarter of the target or less
 * and the limit is below half of what was in flight when the process last fell behind (at a cut that found no more
 * calls in flight than the limit allowed), and grows by its square root otherwise; once
 * the process kept up for a second without the limit nearly reached, the limit is lifted (to
 * THESPIAN_MAX_IN_FLIGHT). Past it, a call is refused at once with RESOURCE_EXHAUSTED ({@link Shedding}), which
 * costs a fraction of serving it: under an open-loop load beyond capacity the server keeps answering most of what
 * it can, instead of working for callers whose deadlines pass while their calls wait in a queue.
 *
 * <p>Why the growth follows the lateness and the last cut, as TCP's slow start stops at half the window of its last
 * loss and Vegas and Netflix's Gradient2 follow the queue they estimate: a window on time but near the target says
 * the calls in flight barely fit, not that twice as many would, and the lateness of a backlog shows a window or two
 * after the calls that make it were let in. Doubling up to where the process last fell behind let a backlog in
 * every second (measured, a three-member chain at twice its capacity: the limit went from 34 to 4,632 in 2.4 s of
 * on-time windows, the next window was 197 ms late, and the calls in that backlog timed out). Growing by the square
 * root, the allowance for a queue Vegas and Gradient2 add, probes with a few calls more (10% at 100 in flight, 3%
 * at 1,000): the next window sees a small backlog and cuts before it is deep. Below half of the last cut's calls in
 * flight, and with a window hardly late at all, the limit doubles, because a closed-loop client whose refused calls
 * come straight back turns every call the limit lacks into a stream of refusals (measured: 64 clients at a bare
 * Thespian got a fifth or less of the OK calls of a build that doubled back, and 37,000-39,000 refusals in 6 s,
 * when the limit grew only by the square root). The deep cut of a window far behind is what a backlog needs: at
 * half a second late, halving the limit each window left it in the thousands for seconds, with every call in it
 * timing out. The limit is lifted rather than grown on when it is not what holds the load back, so a burst after a
 * quiet second is not shed by a limit left from an old overload.
 */
final class AdaptiveLimit {

    /** A floor that keeps some new work going whatever the lag says (a long GC pause, say). */
    static final int MIN_LIMIT = 8;
    /** What a window late by ten times the target or more leaves of the calls in flight, ... */
    private static final double DEEPEST_CUT = 0.1;
    /** ... and one barely late. */
    private static final double SHALLOWEST_CUT = 0.8;
    /** On-time windows, one after another with the limit not nearly reached, after which it is lifted: a second. */
    static final int WINDOWS_TO_LIFT = 10;

    private final int max;
    private final long targetLagNanos;
    private volatile int limit;
    private volatile long lagNanos;
    private boolean lateBefore;
    private int idleWindows;
    /** Below it, a window hardly late at all doubles the limit: half of what was in flight at the last cut. */
    private int doublingBelow;

    /** @param targetLag lateness the process may run at before new work is limited; zero turns the limit off */
    AdaptiveLimit(int max, Duration targetLag) {
        this.max = max;
        this.targetLagNanos = targetLag.toNanos();
        this.limit = max;
        this.doublingBelow = max;
    }

    boolean isOn() {
        return targetLagNanos > 0;
    }

    /**
     * Whether new work may start with {@code inFlight} calls already running; at THESPIAN_MAX_IN_FLIGHT (and while
     * the limit is off) admission's own cap decides, and its refusal names it.
     */
    boolean admits(int inFlight) {
        int current = limit;
        return inFlight < current || current == max;
    }

    void onWindow(long worstLagNanos, int inFlight) {
        lagNanos = worstLagNanos;
        int current = limit;
        boolean late = worstLagNanos > targetLagNanos;
        boolean behind = late && (lateBefore || worstLagNanos >= 4 * targetLagNanos);
        lateBefore = late;
        boolean nearlyReached = inFlight >= current * 0.8;
        idleWindows = late || nearlyReached ? 0 : idleWindows + 1;
        if (behind) {
            double cut = Math.max(DEEPEST_CUT, Math.min(SHALLOWEST_CUT, (double) targetLagNanos / worstLagNanos));
            limit = Math.max(MIN_LIMIT, (int) (Math.min(current, inFlight) * cut));
            if (inFlight <= current) {
                // More in flight than the limit are calls let in before an earlier cut of this backlog: the process
                // fell behind with those, not with what this cut leaves.
                doublingBelow = Math.max(MIN_LIMIT, inFlight / 2);
            }
        } else if (!late && nearlyReached) {
            long byRoot = current + Math.max(1, (long) Math.sqrt(current));
            long grown = worstLagNanos <= targetLagNanos / 4 && current < doublingBelow
                    ? Math.max(byRoot, Math.min(2L * current, doublingBelow)) : byRoot;
            limit = (int) Math.min(max, grown);
        } else if (idleWindows >= WINDOWS_TO_LIFT) {
            limit = max;
            doublingBelow = max;
        }
    }

    int limit() {
        return limit;
    }

    /** Why a call was refused, for its status. */
    String describe(int inFlight) {
        return "overloaded: this process runs " + Math.round(lagNanos / 1e6) + " ms behind (more than "
                + Math.round(targetLagNanos / 1e6) + " ms, THESPIAN_OVERLOAD_LAG_MS), so new calls are limited to "
                + limit + " in flight and " + inFlight + " are; try again later";
    }
}
