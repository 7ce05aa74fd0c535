package org.thespian.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code circuit_breaker}, {@code hedge} and {@code rate_limit}, in the contract's syntax: parsed, defaulted, or refused with their path. */
class ResilienceConfigTest {

    private static final String A0 = "grpc_method_a.operations[0].Action.CallService";

    @Test
    void parsesTheContractsSyntax() throws ConfigException {
        Config config = ConfigParser.parse(json("""
                {'grpc_method_a': {'tracing_name': 'api', 'rate_limit': {'per_second': 100, 'burst': 20}, 'operations': [
                   {'Action': {'CallService': {'service_address': 'pay', 'service_port': 7000, 'grpc_method': 'B',
                       'circuit_breaker': {'failure_rate': 0.5, 'min_calls': 10, 'window_ms': 10000, 'open_ms': 5000,
                           'half_open_calls': 1},
                       'hedge': {'delay_ms': 20, 'max_attempts': 2}}}},
                   {'Action': {'Function': {'tracing_name': 'inner', 'rate_limit': {'per_second': 0.5}, 'operations': []}}}]}}"""));

        Function api = config.function(Method.A).orElseThrow();
        assertEquals(Optional.of(new RateLimit(100, 20, "grpc_method_a.rate_limit")), api.rateLimit());
        CallPolicy policy = ((Action.CallService) api.operations().get(0).actions().get(0)).policy();
        assertEquals(Optional.of(new CallPolicy.CircuitBreaker(0.5, 10, 10_000, 5_000, 1)), policy.circuitBreaker());
        assertEquals(Optional.of(new CallPolicy.Hedge(20, 2)), policy.hedge());
        Function inner = (Function) api.operations().get(1).actions().get(0);
        assertEquals(Optional.of(new RateLimit(0.5, 1, "grpc_method_a.operations[1].Action.Function.rate_limit")),
                inner.rateLimit(), "burst defaults to a second's worth, at least 1");
    }

    @Test
    void leftOutKeysTakeTheirDefaults() throws ConfigException {
        Config config = ConfigParser.parse(json("""
                {'grpc_method_a': {'tracing_name': 'a', 'rate_limit': {'per_second': 7.5}, 'operations': [
                   {'Action': {'CallService': {'service_address': 'pay', 'service_port': 7000, 'grpc_method': 'B',
                       'circuit_breaker': {}, 'hedge': {'delay_ms': 0}, 'retries': null}}}]}}"""));
        Function a = config.function(Method.A).orElseThrow();
        assertEquals(8, a.rateLimit().orElseThrow().burst());
        CallPolicy policy = ((Action.CallService) a.operations().get(0).actions().get(0)).policy();
        assertEquals(new CallPolicy(OptionalLong.empty(), CallPolicy.Retries.NONE, OptionalDouble.empty(),
                CallPolicy.Repeat.ONCE, true, Optional.of(CallPolicy.CircuitBreaker.DEFAULT),
                Optional.of(new CallPolicy.Hedge(0, 2))), policy);
    }

    @Test
    void callsToOnePeerAndMethodMayShareOneBreaker() throws ConfigException {
        String breaker = "'circuit_breaker': {'min_calls': 3}";
        ConfigParser.parse(json(function(call("B", breaker) + ", " + call("B", breaker) + ", " + call("C",
                "'circuit_breaker': {'min_calls': 4}") + ", " + call("B", "'timeout_ms': 5"))));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("invalid")
    void refusesWithThePath(String config, String message) {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigParser.parse(json(config)));
        assertEquals(message, e.getMessage());
    }

    static Stream<Arguments> invalid() {
        return Stream.of(
                Arguments.of(function(call("B", "'hedge': {'delay_ms': 20}, 'retries': {'max_attempts': 3}")), A0
                        + ": \"hedge\" and \"retries\" cannot be combined: a hedged call already makes several attempts"
                        + " (keep one of the two)"),
                Arguments.of(function(call("B", "'circuit_breaker': {'failure_rate': 0.5, 'min_call': 10}")), A0
                        + ".circuit_breaker: unknown key \"min_call\" (expected one of: failure_rate, min_calls,"
                        + " window_ms, open_ms, half_open_calls)"),
                Arguments.of(function(call("B", "'circuit_breaker': {'failure_rate': 0}")),
                        A0 + ".circuit_breaker.failure_rate: expected a number above 0 and at most 1, got 0"),
                Arguments.of(function(call("B", "'circuit_breaker': {'failure_rate': 1.5}")),
                        A0 + ".circuit_breaker.failure_rate: expected a number from 0 to 1, got 1.5"),
                Arguments.of(function(call("B", "'circuit_breaker': {'open_ms': 0}")),
                        A0 + ".circuit_breaker.open_ms: expected a whole number from 1 to 2147483647, got 0"),
                Arguments.of(function(call("B", "'circuit_breaker': {'half_open_calls': '1'}")),
                        A0 + ".circuit_breaker.half_open_calls: expected a whole number from 1 to 2147483647, got \"1\""),
                Arguments.of(function(call("B", "'circuit_breaker': true")),
                        A0 + ".circuit_breaker: expected an object, got true"),
                Arguments.of(function(call("B", "'circuit_breaker': {'min_calls': 3}") + ", "
                        + call("B", "'circuit_breaker': {'min_calls': 4}")), "grpc_method_a.operations[1].Action.CallService"
                        + ".circuit_breaker: differs from " + A0 + ".circuit_breaker, a breaker of the same peer and"
                        + " method (http://pay:7000 B): an instance keeps one breaker per peer and method, so give them"
                        + " the same settings"),
                Arguments.of(function(call("B", "'hedge': {'max_attempts': 2}")),
                        A0 + ".hedge: missing required key \"delay_ms\""),
                Arguments.of(function(call("B", "'hedge': {'delay_ms': 20, 'max_attempts': 101}")),
                        A0 + ".hedge.max_attempts: expected a whole number from 1 to 100, got 101"),
                Arguments.of(function(call("B", "'hedge': {'delay_ms': 20, 'attempts': 2}")), A0
                        + ".hedge: unknown key \"attempts\" (expected one of: delay_ms, max_attempts)"),
                Arguments.of("{'grpc_method_a': {'tracing_name': 'a', 'rate_limit': {'burst': 20}, 'operations': []}}",
                        "grpc_method_a.rate_limit: missing required key \"per_second\""),
                Arguments.of("{'grpc_method_a': {'tracing_name': 'a', 'rate_limit': {'per_second': 0}, 'operations': []}}",
                        "grpc_method_a.rate_limit.per_second: expected a number above 0, got 0"),
                Arguments.of("{'grpc_method_a': {'tracing_name': 'a', 'rate_limit': {'per_second': 5, 'burst': 0},"
                        + " 'operations': []}}",
                        "grpc_method_a.rate_limit.burst: expected a whole number from 1 to 2147483647, got 0"),
                Arguments.of("{'grpc_method_a': {'tracing_name': 'a', 'rate_limit': {'per_second': 5, 'per_minute': 2},"
                        + " 'operations': []}}",
                        "grpc_method_a.rate_limit: unknown key \"per_minute\" (expected one of: per_second, burst)"),
                Arguments.of(function(call("B", "'rate_limit': {'per_second': 5}")), A0 + ": unknown key"
                        + " \"rate_limit\" (expected one of: service_address, service_port, grpc_method, tracing_name,"
                        + " timeout_ms, retries, probability, repeat, wait, attributes, circuit_breaker, hedge)"));
    }

    private static String function(String operations) {
        return "{'grpc_method_a': {'tracing_name': 'a', 'operations': [" + operations + "]}}";
    }

    private static String call(String method, String extra) {
        return "{'Action': {'CallService': {'service_address': 'pay', 'service_port': 7000, 'grpc_method': '" + method
                + "', " + extra + "}}}";
    }

    private static String json(String singleQuoted) {
        return singleQuoted.replace('\'', '"');
    }
}
