package org.thespian.config;

import java.util.List;
import java.util.Map;

/**
 * Parses a {@code latency} object, e.g. {@code {"lognormal": {"median_ms": 50, "p99_ms": 400}}}: exactly one
 * distribution with all of its parameters (see docs/config.md).
 */
final class LatencyParser {

    /** The distributions, named as the config writes them, in the order messages list them. */
    private enum Distribution { uniform, normal, exponential, lognormal, percentiles }

    private LatencyParser() {
    }

    static Latency parse(JsonValue latency) throws ConfigException {
        Map.Entry<Distribution, JsonValue> distribution = latency.variant("latency distribution", Distribution.class);
        JsonValue parameters = distribution.getValue();
        try {
            return switch (distribution.getKey()) {
                case uniform -> {
                    requireKeys(parameters, "min_ms", "max_ms");
                    yield new Latency.Uniform(
                            parameters.get("min_ms").nonNegativeNumber(), parameters.get("max_ms").nonNegativeNumber());
                }
                case normal -> {
                    requireKeys(parameters, "mean_ms", "stddev_ms");
                    yield new Latency.Normal(
                            parameters.get("mean_ms").nonNegativeNumber(), parameters.get("stddev_ms").positiveNumber());
                }
                case exponential -> {
                    requireKeys(parameters, "mean_ms");
                    yield new Latency.Exponential(parameters.get("mean_ms").positiveNumber());
                }
                case lognormal -> {
                    requireKeys(parameters, "median_ms", "p99_ms");
                    yield new Latency.LogNormal(
                            parameters.get("median_ms").positiveNumber(), parameters.get("p99_ms").positiveNumber());
                }
                case percentiles -> {
                    requireKeys(parameters, "p50_ms", "p90_ms", "p99_ms", "max_ms");
                    yield new Latency.Percentiles(parameters.get("p50_ms").nonNegativeNumber(),
                            parameters.get("p90_ms").nonNegativeNumber(), parameters.get("p99_ms").nonNegativeNumber(),
                            parameters.get("max_ms").nonNegativeNumber());
                }
            };
        } catch (IllegalArgumentException e) {
            // Each number is fine on its own (checked above, with its own path); their relation is not.
            throw parameters.error(e.getMessage());
        }
    }

    /** Every parameter of a distribution is required, and nothing else is allowed. */
    private static void requireKeys(JsonValue parameters, String... keys) throws ConfigException {
        parameters.checkObject(List.of(keys), List.of(keys));
    }
}
