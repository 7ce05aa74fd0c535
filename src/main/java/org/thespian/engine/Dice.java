package org.thespian.engine;

import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Where failure rolls come from. Seeded, a roll depends only on the seed, the request's sequence number and
 * the action's place in the config, never on timing, so concurrent actions roll the same on every run.
 */
public final class Dice {

    private final OptionalLong seed;
    private final AtomicLong requests = new AtomicLong();

    private Dice(OptionalLong seed) {
        this.seed = seed;
    }

    public static Dice of(OptionalLong seed) {
        return new Dice(seed);
    }

    /** The rolls of the next request: a uniform number in [0,1) per action key. */
    public Rolls nextRequest() {
        if (seed.isEmpty()) {
            return actionKey -> ThreadLocalRandom.current().nextDouble();
        }
        long requestSeed = new SplittableRandom(seed.getAsLong() + requests.getAndIncrement()).nextLong();
        return actionKey -> new SplittableRandom(requestSeed ^ actionKey).nextDouble();
    }

    @FunctionalInterface
    public interface Rolls {
        double roll(long actionKey);
    }
}
