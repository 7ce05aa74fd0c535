package org.thespian.engine;

import java.util.concurrent.atomic.AtomicLong;

/**
 * What is left of a trace's budget of actions and peer calls (THESPIAN_MAX_ACTIONS_PER_TRACE) to one request.
 * Hop limits bound how deep calls go, not how wide: a service that calls itself three times, fire-and-forget,
 * makes 3^16 calls before the hop limit, each one a new request with an action budget of its own. A trace
 * budget travels with the calls instead, so the whole trace spends one budget.
 *
 * <p>The rule. Every action and every peer call costs its request one unit, and a request with no units left
 * starts nothing more (RESOURCE_EXHAUSTED). A request that starts a trace gets the whole budget. A call lends
 * its callee all that its request has left (the {@code thespian-budget} header); the callee answers with what
 * it did not spend (the {@code thespian-budget} trailer), and the request is charged the difference. A
 * fire-and-forget call outlives its request's answer, so it takes half of what the request has left for
 * itself, once, and its calls (repetitions, retries) spend from that half; what it does not spend is lost.
 * A call that ends without the callee's account (refused on admission, a deadline, a peer that is not a
 * Thespian) costs its one unit.
 *
 * <p>The bound. Calls made one after another share the budget exactly, and every unit given to
 * fire-and-forget work is taken from its request: a cycle of calls, however it fans out through calls made in
 * turn or fire-and-forget, starts at most the budget's worth of actions and calls in all. A service that calls
 * itself in a chain spends three units a hop (its function, its call action, the call), so a budget of 10,000
 * lets a chain reach the hop limit. Only calls a request waits for concurrently (a {@code ConcurrentActions}
 * group, a concurrent {@code repeat}) each start with what is left, so together they can overspend it, by at
 * most one budget per call in flight at once: THESPIAN_MAX_ACTIONS_IN_FLIGHT bounds those.
 */
public final class TraceBudget {

    /** No budget: the engine without a server around it. */
    public static final TraceBudget UNLIMITED = new TraceBudget(Long.MAX_VALUE);

    private final AtomicLong left;

    public TraceBudget(long units) {
        this.left = new AtomicLong(units);
    }

    /** Spends one unit on an action; false when none was left. */
    boolean spend() {
        return this == UNLIMITED || left.getAndDecrement() > 0;
    }

    /** Starts a call: spends its unit and returns what the callee may spend, all that is left. */
    public long lend() {
        return Math.max(0, left.decrementAndGet());
    }

    /** The callee answered: of the {@code lent} units, it did not spend {@code unspent}. */
    public void settle(long lent, long unspent) {
        left.addAndGet(-(lent - Math.min(lent, unspent)));
    }

    /** Half of what is left, taken from this budget for work that outlives the request (fire-and-forget). */
    public TraceBudget split() {
        while (true) {
            long now = left.get();
            long half = Math.max(0, now) / 2;
            if (left.compareAndSet(now, now - half)) {
                return new TraceBudget(half);
            }
        }
    }

    /** The request has answered: what is left goes back to its caller, and nothing more can be spent here. */
    public long giveBack() {
        return Math.max(0, left.getAndSet(0));
    }
}
