package org.thespian.config;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/**
 * How a Sleep fails by chance: a roll below {@code chance} fails it, with a status drawn from
 * {@code codeWeights} (INTERNAL when there are none, as the original), the message the user chose if any,
 * at the start (before sleeping) or at the end (after, the default, as the original).
 */
public record FailureChance(double chance, Map<FailureCode, Double> codeWeights, Optional<String> message,
        boolean atStart) {

    public FailureChance {
        EnumMap<FailureCode, Double> copy = new EnumMap<>(FailureCode.class);
        copy.putAll(codeWeights);
        codeWeights = Collections.unmodifiableMap(copy);
    }

    /** The original's {@code failure_chance}: INTERNAL, the engine's own message, at the end. */
    public static FailureChance of(double chance) {
        return new FailureChance(chance, Map.of(), Optional.empty(), false);
    }

    /** The code for a second, independent roll {@code u} in [0,1): each code as likely as its weight. */
    public FailureCode code(double u) {
        double total = codeWeights.values().stream().mapToDouble(Double::doubleValue).sum();
        double target = u * total;
        FailureCode chosen = FailureCode.INTERNAL;
        for (Map.Entry<FailureCode, Double> weighted : codeWeights.entrySet()) {
            chosen = weighted.getKey();
            target -= weighted.getValue();
            if (target < 0) {
                break;
            }
        }
        return chosen;
    }
}
