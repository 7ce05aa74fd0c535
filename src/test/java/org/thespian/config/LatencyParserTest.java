package org.thespian.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The {@code latency} object in its documented syntax, and its errors with their paths. */
class LatencyParserTest {

    private static final Map<String, Latency> CONTRACT_EXAMPLES = Map.of(
            "{'uniform': {'min_ms': 10, 'max_ms': 30}}", new Latency.Uniform(10, 30),
            "{'normal': {'mean_ms': 50, 'stddev_ms': 10}}", new Latency.Normal(50, 10),
            "{'exponential': {'mean_ms': 40}}", new Latency.Exponential(40),
            "{'lognormal': {'median_ms': 50, 'p99_ms': 400}}", new Latency.LogNormal(50, 400),
            "{'percentiles': {'p50_ms': 20, 'p90_ms': 60, 'p99_ms': 250, 'max_ms': 900}}",
            new Latency.Percentiles(20, 60, 250, 900),
            "{'uniform': {'min_ms': 0.5, 'max_ms': 2.25}}", new Latency.Uniform(0.5, 2.25),
            "{'normal': {'mean_ms': 0, 'stddev_ms': 1e1}}", new Latency.Normal(0, 10),
            "{'percentiles': {'p50_ms': 5, 'p90_ms': 5, 'p99_ms': 5, 'max_ms': 5}}", new Latency.Percentiles(5, 5, 5, 5));

    @Test
    void parsesEveryDistributionOfTheContract() throws ConfigException {
        for (Map.Entry<String, Latency> example : CONTRACT_EXAMPLES.entrySet()) {
            assertEquals(example.getValue(), parse(example.getKey()), example.getKey());
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            {}                                                  | latency: a latency distribution must have exactly one key (one of "uniform", "normal", "exponential", "lognormal", "percentiles"), found none
            {'gamma': {'k': 2}}                                 | latency: unknown latency distribution "gamma" (expected one of "uniform", "normal", "exponential", "lognormal", "percentiles")
            {'uniform': {'min_ms': 1, 'max_ms': 2}, 'normal': {}} | latency: a latency distribution must have exactly one key (one of "uniform", "normal", "exponential", "lognormal", "percentiles"), found 2: "uniform", "normal"
            20                                                  | latency: expected an object, got 20
            {'uniform': [10, 30]}                               | latency.uniform: expected an object, got an array
            {'uniform': {'min_ms': 10}}                         | latency.uniform: missing required key "max_ms"
            {'uniform': {'min_ms': 10, 'max_ms': 30, 'mode_ms': 20}} | latency.uniform: unknown key "mode_ms" (expected one of: min_ms, max_ms)
            {'uniform': {'min_ms': -1, 'max_ms': 30}}          | latency.uniform.min_ms: expected a number of at least 0, got -1
            {'uniform': {'min_ms': '10', 'max_ms': 30}}        | latency.uniform.min_ms: expected a number of at least 0, got "10"
            {'uniform': {'min_ms': 10, 'max_ms': null}}        | latency.uniform.max_ms: expected a number of at least 0, got null
            {'uniform': {'min_ms': 30, 'max_ms': 10}}          | latency.uniform: min_ms (30) must not exceed max_ms (10)
            {'uniform': {'min_ms': 0, 'max_ms': 1e400}}        | latency.uniform.max_ms: expected a number of at least 0, got 1E+400
            {'normal': {'mean_ms': 50, 'stddev_ms': 0}}        | latency.normal.stddev_ms: expected a number above 0, got 0
            {'normal': {'mean_ms': -5, 'stddev_ms': 1}}        | latency.normal.mean_ms: expected a number of at least 0, got -5
            {'exponential': {'mean_ms': 0}}                     | latency.exponential.mean_ms: expected a number above 0, got 0
            {'exponential': {'mean_ms': 40, 'median_ms': 20}}   | latency.exponential: unknown key "median_ms" (expected one of: mean_ms)
            {'lognormal': {'median_ms': 400, 'p99_ms': 50}}     | latency.lognormal: median_ms (400) must be less than p99_ms (50)
            {'lognormal': {'median_ms': 0, 'p99_ms': 50}}       | latency.lognormal.median_ms: expected a number above 0, got 0
            {'lognormal': {'p99_ms': 50}}                       | latency.lognormal: missing required key "median_ms"
            {'percentiles': {'p50_ms': 20, 'p90_ms': 60, 'p99_ms': 250}} | latency.percentiles: missing required key "max_ms"
            {'percentiles': {'p50_ms': 20, 'p90_ms': 10, 'p99_ms': 250, 'max_ms': 900}} | latency.percentiles: p50_ms (20) must not exceed p90_ms (10)
            {'percentiles': {'p50_ms': 20, 'p90_ms': 60, 'p99_ms': 250, 'max_ms': 200}} | latency.percentiles: p99_ms (250) must not exceed max_ms (200)
            """)
    void rejectsWithThePathAndTheProblem(String latency, String message) {
        assertEquals(message, assertThrows(ConfigException.class, () -> parse(latency)).getMessage());
    }

    private static Latency parse(String latency) throws ConfigException {
        return LatencyParser.parse(document("latency", latency));
    }

    /** {@code value} under {@code key}, so that error paths start with the key; single quotes stand for double. */
    private static JsonValue document(String key, String value) throws ConfigException {
        return JsonDocument.read(("{'" + key + "': " + value + "}").replace('\'', '"')).get(key);
    }
}
