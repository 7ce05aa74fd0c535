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
        JsonValue codes = sleep.get("failure_codes");
        JsonValue failAt = sleep.get("fail_at");
        Map<FailureCode, Double> weights = codes.isAbsent() ? Map.of() : codeWeights(codes);
        Optional<String> message = sleep.get("failure_message").optionalNonBlankString();
        boolean atStart = !failAt.isAbsent() && failAt.oneOf(List.of("start", "end")).equals("start");
        // Without a chance the others describe a failure that never happens: checked, allowed (as the schema
        // allows them), and of no effect.
        return chance.isAbsent() ? Optional.empty()
                : Optional.of(new FailureChance(chance.fraction(), weights, message, atStart));
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
