package org.thespian.config;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A Sleep's {@code failure_chance} and what goes with it: {@code failure_codes}, {@code failure_message}, {@code fail_at}. */
final class FailureParser {

    private FailureParser() {
    }

    static Optional<FailureChance> failure(JsonValue sleep) throws ConfigException {
        JsonValue chance = sleep.get("failure_chance");
        if (chance.isAbsent()) {
            for (String dependent : new String[] {"failure_codes", "failure_message", "fail_at"}) {
                if (!sleep.get(dependent).isAbsent()) {
                    throw sleep.get(dependent).error("needs \"failure_chance\" beside it: it says how a failure"
                            + " looks, \"failure_chance\" how often one happens");
                }
            }
            return Optional.empty();
        }
        JsonValue codes = sleep.get("failure_codes");
        JsonValue failAt = sleep.get("fail_at");
        return Optional.of(new FailureChance(
                chance.fraction(),
                codes.isAbsent() ? Map.of() : codeWeights(codes),
                sleep.get("failure_message").optionalNonBlankString(),
                !failAt.isAbsent() && failAt.oneOf(List.of("start", "end")).equals("start")));
    }

    /** {@code {"UNAVAILABLE": 0.7, "DEADLINE_EXCEEDED": 0.3}}: relative weights, at least one above 0. */
    private static Map<FailureCode, Double> codeWeights(JsonValue codes) throws ConfigException {
        Map<FailureCode, Double> weights = new EnumMap<>(FailureCode.class);
        for (Map.Entry<String, Double> entry : codes.entries(FailureParser::weight).entrySet()) {
            if (!FailureCode.names().contains(entry.getKey())) {
                throw codes.error("unknown status code " + JsonValue.quote(entry.getKey()) + " (expected one of: "
                        + String.join(", ", FailureCode.names()) + ")");
            }
            weights.put(FailureCode.valueOf(entry.getKey()), entry.getValue());
        }
        if (weights.values().stream().noneMatch(weight -> weight > 0)) {
            throw codes.error("expected at least one status code with a weight above 0");
        }
        return weights;
    }

    private static double weight(JsonValue weight) throws ConfigException {
        if (!weight.node().isNumber() || !Double.isFinite(weight.node().doubleValue())
                || weight.node().doubleValue() < 0) {
            throw weight.expected("a weight: a number of at least 0");
        }
        return weight.node().doubleValue();
    }
}
