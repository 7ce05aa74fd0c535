package org.thespian.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link Config#calls}, {@link Config#placedCalls}, {@link Config#peers} and {@link Config#functions} reach every
 * depth.
 */
class ConfigWalkTest {

    /** B calls inside a concurrent group inside a function inside a concurrent group; C calls at its top. */
    private static final String NESTED = """
            {'grpc_method_b': {'tracing_name': 'b', 'operations': [
               {'Action': {'Sleep': {'tracing_name': 's', 'duration_ms': 1}}},
               {'ConcurrentActions': [
                  {'Cpu': {'tracing_name': 'c', 'duration_ms': 1}},
                  {'Function': {'tracing_name': 'outer', 'operations': [
                     {'Action': {'Function': {'tracing_name': 'inner', 'rate_limit': {'per_second': 5},
                        'operations': [
                           {'ConcurrentActions': [
                              {'Memory': {'tracing_name': 'm', 'megabytes': 1, 'hold_ms': 1}},
                              {'CallService': {'service_address': 'deep', 'service_port': 7001,
                                               'grpc_method': 'A'}}]}]}}}]}}]}]},
             'grpc_method_c': {'tracing_name': 'c', 'operations': [
               {'Action': {'CallService': {'service_address': 'top', 'service_port': 7002, 'grpc_method': 'B'}}}]}}""";

    @Test
    void everyCallIsFoundWithItsPathAtAnyDepthInTheMethodsOrder() throws ConfigException {
        Config config = ConfigParser.parse(NESTED.replace('\'', '"'));

        assertEquals(List.of(
                "grpc_method_b.operations[1].ConcurrentActions[1].Function.operations[0].Action.Function.operations[0]"
                        + ".ConcurrentActions[1]",
                "grpc_method_c.operations[0].Action"),
                config.placedCalls().stream().map(Config.Placed::path).toList());
        assertEquals(List.of("http://deep:7001", "http://top:7002"),
                config.calls().stream().map(call -> call.peer().display()).toList());
        assertEquals(List.of("http://deep:7001", "http://top:7002"),
                config.peers().stream().map(Peer::display).toList());
    }

    @Test
    void everyFunctionIsFoundTheMethodsOwnIncluded() throws ConfigException {
        Config config = ConfigParser.parse(NESTED.replace('\'', '"'));

        assertEquals(List.of("b", "outer", "inner", "c"),
                config.functions().stream().map(Function::tracingName).toList());
        assertEquals(new RateLimit(5, 5, "grpc_method_b.operations[1].ConcurrentActions[1].Function.operations[0]"
                + ".Action.Function.rate_limit"), config.functions().get(2).rateLimit().orElseThrow());
    }
}
