package org.thespian.engine;

/**
 * Bounds on the work one request may cause, so that no config, however large or self-multiplying, can take
 * the process down.
 *
 * @param maxActionsPerRequest actions one request may start before it fails with RESOURCE_EXHAUSTED
 */
public record EngineLimits(int maxActionsPerRequest) {

    public static final int DEFAULT_MAX_ACTIONS_PER_REQUEST = 100_000;

    public static final EngineLimits DEFAULT = new EngineLimits(DEFAULT_MAX_ACTIONS_PER_REQUEST);

    public EngineLimits {
        if (maxActionsPerRequest < 1) {
            throw new IllegalArgumentException("maxActionsPerRequest must be positive: " + maxActionsPerRequest);
        }
    }
}
