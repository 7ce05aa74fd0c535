package org.thespian.config;

/**
 * {@code "rate_limit": {"per_second": 100, "burst": 20}} on a function: a token bucket of {@code burst} tokens,
 * refilled at {@code perSecond}; a call that finds it empty fails at once.
 *
 * @param where the JSON path of the limit, which tells one function's bucket from another's
 */
public record RateLimit(double perSecond, int burst, String where) {

    /** {@code 100 calls a second, burst 20}. */
    public String describe() {
        String rate = perSecond == Math.rint(perSecond) && perSecond < Long.MAX_VALUE
                ? Long.toString((long) perSecond) : Double.toString(perSecond);
        return rate + (perSecond == 1 ? " call" : " calls") + " a second, burst " + burst;
    }
}
