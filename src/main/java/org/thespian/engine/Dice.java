package org.thespian.engine;

import java.nio.charset.StandardCharsets;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Where failure rolls come from. Seeded, a roll depends only on the seed, the service's name, the request's sequence
 * number and the action's place in the config, never on timing, so concurrent actions roll the same on every run,
 * and services with the same config and seed do not fail in lockstep.
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

    /** The dice of the service {@code serviceName}: the seed mixed with the name, so each service rolls its own. */
    public static Dice of(OptionalLong seed, String serviceName) {
        return of(seed.isEmpty() ? seed : OptionalLong.of(seed.getAsLong() ^ fingerprint(serviceName)));
    }

    /** FNV-1a over the name's UTF-8 bytes: the same on every JVM and run, unlike an identity hash. */
    private static long fingerprint(String name) {
        long hash = 0xCBF29CE484222325L;
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            hash = (hash ^ (b & 0xFF)) * 0x100000001B3L;
        }
        return hash;
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
