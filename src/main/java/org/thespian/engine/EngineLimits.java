package org.thespian.engine;

/**
 * Bounds on the work requests may cause, so that no config, however large or self-multiplying, can take the
 * process down.
 *
 * @param maxActionsPerRequest actions one request may start before it fails with RESOURCE_EXHAUSTED
 * @param maxBackgroundCalls   fire-and-forget calls in flight at once; past it, new ones are dropped
 */
public record EngineLimits(int maxActionsPerRequest, int maxBackgroundCalls) {

    public static final int DEFAULT_MAX_ACTIONS_PER_REQUEST = 100_000;
    public static final int DEFAULT_MAX_BACKGROUND_CALLS = 10_000;

    public static final EngineLimits DEFAULT =
            new EngineLimits(DEFAULT_MAX_ACTIONS_PER_REQUEST, DEFAULT_MAX_BACKGROUND_CALLS);

    public EngineLimits {
        if (maxActionsPerRequest < 1 || maxBackgroundCalls < 0) {
            throw new IllegalArgumentException("limits out of range: " + maxActionsPerRequest + ", "
                    + maxBackgroundCalls);
        }
    }
}
