package org.thespian.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The behaviours beyond the original's vocabulary: parsed into the model, or refused with their path. */
class BehaviourConfigTest {

    private static final String A0 = "grpc_method_a.operations[0].Action";

    @Test
    void parsesEveryBehaviourKey() throws ConfigException {
        Config config = ConfigParser.parse(json("""
                {'$schema': 'https://example.com/thespian.schema.json',
                 'resources': {'db': {'max_concurrent': 8, 'queue': 64}},
                 'grpc_method_a': {'tracing_name': 'a', 'resource': 'db', 'attributes': {'tier': 'gold'}, 'operations': [
                   {'Action': {'Sleep': {'tracing_name': 's', 'duration_ms': 5, 'failure_chance': 0.1,
                       'failure_codes': {'UNAVAILABLE': 0.7, 'DEADLINE_EXCEEDED': 0.3}, 'failure_message': 'down',
                       'fail_at': 'start', 'attributes': {'db.system': 'postgresql', 'rows': 12, 'cached': false}}}},
                   {'Action': {'CallService': {'service_address': 'pay', 'service_port': 7000, 'grpc_method': 'B',
                       'tracing_name': 'charge', 'timeout_ms': 300, 'probability': 0.3, 'wait': false,
                       'retries': {'max_attempts': 3, 'backoff_ms': 50, 'retry_on': ['UNAVAILABLE', 'DEADLINE_EXCEEDED']},
                       'repeat': {'times': 5, 'concurrent': true}}}}]}}"""));

        Resource db = new Resource("db", 8, 64);
        assertEquals(Map.of("db", db), config.resources());
        Action.Sleep sleep = new Action.Sleep("s", new Latency.Fixed(5), Optional.of(new FailureChance(0.1,
                Map.of(FailureCode.UNAVAILABLE, 0.7, FailureCode.DEADLINE_EXCEEDED, 0.3), Optional.of("down"), true)),
                Map.of("db.system", "postgresql", "rows", "12", "cached", "false"));
        Action.CallService call = new Action.CallService("charge", new Peer("pay", 7000, false), Method.B,
                new CallPolicy(OptionalLong.of(300),
                        new CallPolicy.Retries(3, 50, Set.of(FailureCode.UNAVAILABLE, FailureCode.DEADLINE_EXCEEDED)),
                        OptionalDouble.of(0.3), new CallPolicy.Repeat(5, true), false),
                Map.of());
        assertEquals(new Function("a", List.of(new Operation.Single(sleep), new Operation.Single(call)),
                Optional.of(db), Map.of("tier", "gold")), config.function(Method.A).orElseThrow());
    }

    @Test
    void leftOutKeysMeanTheOriginalBehaviour() throws ConfigException {
        Config config = ConfigParser.parse(json("""
                {'grpc_method_a': {'tracing_name': 'a', 'operations': [
                   {'Action': {'CallService': {'service_address': 'pay', 'service_port': 7000, 'grpc_method': 'B',
                       'retries': {'max_attempts': 2}, 'repeat': {'times': 2}}}}]}}"""));
        Action.CallService call = (Action.CallService)
                config.function(Method.A).orElseThrow().operations().get(0).actions().get(0);
        assertEquals(new CallPolicy(OptionalLong.empty(), new CallPolicy.Retries(2, 0, Set.of(FailureCode.UNAVAILABLE)),
                OptionalDouble.empty(), new CallPolicy.Repeat(2, false), true), call.policy());
    }

    @Test
    void parsesLatencyCpuAndMemory() throws ConfigException {
        Config config = ConfigParser.parse(json(function("'attributes': {}", """
                [{'Action': {'Sleep': {'tracing_name': 'tail', 'latency': {'lognormal': {'median_ms': 50, 'p99_ms': 400}}}}},
                 {'Action': {'Cpu': {'tracing_name': 'hash', 'duration_ms': 30}}},
                 {'Action': {'Cpu': {'tracing_name': 'sort', 'latency': {'uniform': {'min_ms': 1, 'max_ms': 3}}}}},
                 {'Action': {'Memory': {'tracing_name': 'cache fill', 'megabytes': 50, 'hold_ms': 2000}}},
                 {'Action': {'Memory': {'tracing_name': 'leak', 'megabytes': 1, 'hold_ms': 'forever'}}}]""")));
        assertEquals(List.of(
                new Action.Sleep("tail", new Latency.LogNormal(50, 400), Optional.empty(), Map.of()),
                new Action.Cpu("hash", new Latency.Fixed(30), Map.of()),
                new Action.Cpu("sort", new Latency.Uniform(1, 3), Map.of()),
                new Action.Memory("cache fill", 50, OptionalLong.of(2000), Map.of()),
                new Action.Memory("leak", 1, OptionalLong.empty(), Map.of())),
                config.function(Method.A).orElseThrow().operations().stream()
                        .flatMap(operation -> operation.actions().stream()).toList());
    }

    @Test
    void failureCodesAreDrawnByWeight() {
        FailureChance chance = new FailureChance(1, Map.of(FailureCode.UNAVAILABLE, 3.0, FailureCode.ABORTED, 1.0),
                Optional.empty(), false);
        assertEquals(FailureCode.ABORTED, chance.code(0.0)); // ABORTED comes first in gRPC's numbering
        assertEquals(FailureCode.ABORTED, chance.code(0.2499));
        assertEquals(FailureCode.UNAVAILABLE, chance.code(0.25));
        assertEquals(FailureCode.UNAVAILABLE, chance.code(0.9999));
        assertEquals(FailureCode.INTERNAL, FailureChance.of(1).code(0.5));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("invalid")
    void refusesWithThePath(String config, String message) {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigParser.parse(json(config)));
        assertEquals(message, e.getMessage());
    }

    static Stream<Arguments> invalid() {
        return Stream.of(
                Arguments.of("{'$schema': 5}", "$schema: expected a non-blank string, got 5"),
                Arguments.of("{'resources': {'db': {'queue': 4}}}", "resources.db: missing required key \"max_concurrent\""),
                Arguments.of("{'resources': {'db': {'max_concurrent': 0}}}",
                        "resources.db.max_concurrent: expected a whole number from 1 to 2147483647, got 0"),
                Arguments.of(function("'resource': 'db'", "[]"),
                        "grpc_method_a.resource: unknown resource \"db\" (the top-level \"resources\" define none)"),
                Arguments.of(function("'attributes': {'a': {}}", "[]"),
                        "grpc_method_a.attributes.a: expected a string, number or boolean, got an object"),
                Arguments.of(sleep("'failure_codes': {'UNAVAILABLE': 1}"), A0 + ".Sleep.failure_codes: needs"
                        + " \"failure_chance\" beside it: it says how a failure looks, \"failure_chance\" how often one happens"),
                Arguments.of(sleep("'failure_chance': 1, 'failure_codes': {'UNAVAILABLE': 'often'}"), A0
                        + ".Sleep.failure_codes.UNAVAILABLE: expected a weight: a number of at least 0, got \"often\""),
                Arguments.of(sleep("'failure_chance': 1, 'failure_codes': {'OK': 1}"), A0 + ".Sleep.failure_codes: unknown"
                        + " status code \"OK\" (expected one of: " + String.join(", ", FailureCode.names()) + ")"),
                Arguments.of(sleep("'failure_chance': 1, 'failure_codes': {'ABORTED': 0}"),
                        A0 + ".Sleep.failure_codes: expected at least one status code with a weight above 0"),
                Arguments.of(sleep("'failure_chance': 1, 'failure_codes': {'ABORTED': -1}"),
                        A0 + ".Sleep.failure_codes.ABORTED: expected a weight: a number of at least 0, got -1"),
                Arguments.of(sleep("'failure_chance': 1, 'fail_at': 'middle'"),
                        A0 + ".Sleep.fail_at: expected \"start\" or \"end\", got \"middle\""),
                Arguments.of(call("'timeout_ms': 0"), A0 + ".CallService.timeout_ms: expected a whole number from 1 to"
                        + " 2147483647, got 0"),
                Arguments.of(call("'retries': {'max_attempts': 3, 'retry_on': ['SLOW']}"), A0
                        + ".CallService.retries.retry_on[0]: expected one of " + quoted(FailureCode.names()) + ", got \"SLOW\""),
                Arguments.of(call("'retries': {'backoff_ms': 3}"),
                        A0 + ".CallService.retries: missing required key \"max_attempts\""),
                Arguments.of(call("'repeat': {'times': 0}"),
                        A0 + ".CallService.repeat.times: expected a whole number from 1 to 10000, got 0"),
                Arguments.of(call("'probability': 2"), A0 + ".CallService.probability: expected a number from 0 to 1, got 2"),
                Arguments.of(sleep("'latency': {'exponential': {'mean_ms': 5}}"),
                        A0 + ".Sleep: expected either \"duration_ms\" or \"latency\", not both"),
                Arguments.of(function("'attributes': {}", "[{'Action': {'Cpu': {'tracing_name': 'c'}}}]"),
                        A0 + ".Cpu: missing required key \"duration_ms\" (or \"latency\")"),
                Arguments.of(function("'attributes': {}", "[{'Action': {'Memory': {'tracing_name': 'm', 'megabytes': 1,"
                        + " 'hold_ms': 'sometimes'}}}]"), A0 + ".Memory.hold_ms: expected a whole number of milliseconds"
                        + " or \"forever\", got \"sometimes\""),
                Arguments.of(function("'attributes': {}", "[{'Action': {'Memory': {'tracing_name': 'm', 'megabytes': 0,"
                        + " 'hold_ms': 1}}}]"), A0 + ".Memory.megabytes: expected a whole number from 1 to 2147483647, got 0"),
                Arguments.of(call("'wait': 'no'"), A0 + ".CallService.wait: expected true or false, got \"no\""));
    }

    private static String quoted(List<String> names) {
        return String.join(", ", names.stream().map(name -> "\"" + name + "\"").toList());
    }

    private static String function(String extra, String operations) {
        return "{'grpc_method_a': {'tracing_name': 'a', " + extra + ", 'operations': " + operations + "}}";
    }

    private static String sleep(String extra) {
        return function("'attributes': {}", "[{'Action': {'Sleep': {'tracing_name': 's', 'duration_ms': 1, " + extra
                + "}}}]");
    }

    private static String call(String extra) {
        return function("'attributes': {}", "[{'Action': {'CallService': {'service_address': 'b', 'service_port': 1,"
                + " 'grpc_method': 'B', " + extra + "}}}]");
    }

    private static String json(String singleQuoted) {
        return singleQuoted.replace('\'', '"');
    }
}
