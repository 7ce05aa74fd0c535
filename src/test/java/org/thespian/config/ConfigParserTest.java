package org.thespian.config;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigParserTest {

    private static final String A0 = "grpc_method_a.operations[0]";

    @Test
    void parsesTheContractExample() throws ConfigException {
        Config expected = new Config(Optional.empty(), Map.of(
                Method.A, new Function("checkout", List.of(
                        single(sleep("validate cart", 20)),
                        new Operation.Concurrent(List.of(
                                new Action.Sleep("reserve stock", 50, OptionalDouble.of(0.05)),
                                new Action.CallService("charge card", new Peer("localhost", 6380, false), Method.B),
                                new Function("notify", List.of(single(sleep("render email", 10)))))))),
                Method.B, new Function("charge", List.of(
                        single(new Action.Sleep("talk to bank", 120, OptionalDouble.of(0.02)))))));

        assertEquals(expected, ConfigParser.parse(Examples.read(Examples.file("original-example.json"))));
    }

    @Test
    void parsesEveryConstruct() throws ConfigException {
        Config config = ConfigParser.parse(json("""
                // a comment line, as at the top of .jsonc files
                {
                  'service_name': 'shop',
                  'grpc_method_b': { 'tracing_name': 'b', 'operations': [
                    { 'Action': { 'Sleep': { 'tracing_name': 's', 'duration_ms': 0, 'failure_chance': null } } },
                    { 'Action': { 'Sleep': { 'tracing_name': 'f', 'duration_ms': 7, 'failure_chance': 1 } } },
                    { 'ConcurrentActions': [] },
                    { 'ConcurrentActions': [ { 'Function': { 'tracing_name': 'nested', 'operations': [] } } ] },
                    { 'Action': { 'CallService': { 'service_address': 'db', 'service_port': 5432, 'grpc_method': 'C',
                                                    'tracing_name': null } } }
                  ] },
                  'grpc_method_c': null
                }"""));

        assertEquals(new Config(Optional.of("shop"), Map.of(Method.B, new Function("b", List.of(
                single(sleep("s", 0)),
                single(new Action.Sleep("f", 7, OptionalDouble.of(1))),
                new Operation.Concurrent(List.of()),
                new Operation.Concurrent(List.of(new Function("nested", List.of()))),
                single(new Action.CallService("call C on db:5432", new Peer("db", 5432, false), Method.C)))))),
                config);
    }

    @ParameterizedTest
    @ValueSource(strings = {"{}", "{'grpc_method_a': null, 'grpc_method_b': null, 'grpc_method_c': null}",
            "{'service_name': null}", "// only a comment before\n{}"})
    void missingAndNullMethodsDoNothing(String text) throws ConfigException {
        assertEquals(Config.empty(), ConfigParser.parse(json(text)));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            localhost               | '6380' | localhost       | 6380  | false
            http://localhost        | '6380' | localhost       | 6380  | false
            http://server_thespian/ | 6379   | server_thespian | 6379  | false
            https://api.example.com | '443'  | api.example.com | 443   | true
            HTTPS://10.0.0.7        | 1      | 10.0.0.7        | 1     | true
            http://[::1]            | 65535  | [::1]           | 65535 | false
            """)
    void acceptsEveryAddressAndPortForm(String address, String port, String host, int expectedPort, boolean tls)
            throws ConfigException {
        Action.CallService call = (Action.CallService) onlyAction(ConfigParser.parse(callService(
                "'service_address': '" + address + "', 'service_port': " + port + ", 'grpc_method': 'B'")));

        assertEquals(new Peer(host, expectedPort, tls), call.peer());
        assertEquals("call B on " + host + ":" + expectedPort, call.tracingName());
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("invalidConfigs")
    void reportsWhatIsWrongAndWhere(String text, String path, String message) {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigParser.parse(text));

        assertEquals(path, e.path());
        assertEquals(message, e.getMessage());
    }

    static Stream<Arguments> invalidConfigs() {
        String sleep = A0 + ".Action.Sleep";
        String call = A0 + ".Action.CallService";
        String address = call + ".service_address";
        String expectedAddress = "; expected \"host\", \"http://host\" or \"https://host\", with the port in service_port";
        String expectedPort = "expected a port from 1 to 65535, as a string like \"6379\" or an integer, got ";
        return Stream.of(
                // the top level
                error("", "", "the configuration is empty (expected a JSON object)"),
                error(" \n// nothing but a comment\n", "", "the configuration is empty (expected a JSON object)"),
                error("[]", "", "expected a JSON object at the top level, got an array"),
                error(json("{'grpc_method_d': null}"), "", "unknown key \"grpc_method_d\""
                        + " (expected one of: $schema, service_name, resources, grpc_method_a, grpc_method_b, grpc_method_c)"),
                error(json("{'service_name': ' '}"), "service_name", "expected a non-blank string, got \" \""),
                error(json("{'grpc_method_a': 5}"), "grpc_method_a", "expected an object, got 5"),
                // functions
                error(json("{'grpc_method_a': {'tracing_name': 'a'}}"), "grpc_method_a",
                        "missing required key \"operations\""),
                error(json("{'grpc_method_a': {'tracing_name': 'a', 'operations': null}}"),
                        "grpc_method_a.operations", "expected an array, got null"),
                error(json("{'grpc_method_a': {'tracing_name': null, 'operations': []}}"),
                        "grpc_method_a.tracing_name", "expected a non-blank string, got null"),
                // operations
                error(json("{'grpc_method_a': {'tracing_name': 'a', 'operations': [{'Action': {'Function':"
                                + " {'tracing_name': 'f', 'operations': []}}}, {'ConcurrentActions': []}, {'Actoin': {}}]}}"),
                        "grpc_method_a.operations[2]",
                        "unknown operation \"Actoin\" (expected \"Action\" or \"ConcurrentActions\")"),
                error(operation("{}"), A0,
                        "an operation must have exactly one key (\"Action\" or \"ConcurrentActions\"), found none"),
                error(operation("{'Action': null, 'ConcurrentActions': []}"), A0, "an operation must have exactly one key"
                        + " (\"Action\" or \"ConcurrentActions\"), found 2: \"Action\", \"ConcurrentActions\""),
                error(operation("{'ConcurrentActions': {}}"), A0 + ".ConcurrentActions", "expected an array, got an object"),
                error(operation("{'ConcurrentActions': [{'Sleep': {'tracing_name': 's', 'duration_ms': 1}}, {'Slep': {}}]}"),
                        A0 + ".ConcurrentActions[1]",
                        "unknown action \"Slep\" (expected one of \"Sleep\", \"CallService\", \"Function\", \"Cpu\", \"Memory\")"),
                // actions
                error(json("{'grpc_method_b': {'tracing_name': 'b', 'operations': [{'Action':"
                                + " {'Sleep': {}, 'Function': {}}}]}}"), "grpc_method_b.operations[0].Action",
                        "an action must have exactly one key (one of \"Sleep\", \"CallService\", \"Function\", \"Cpu\", \"Memory\"),"
                                + " found 2: \"Sleep\", \"Function\""),
                error(action("null"), A0 + ".Action", "expected an object, got null"),
                error(action("{'Function': {'tracing_name': 'f', 'operations': [{'Action': {'Sleep': []}}]}}"),
                        A0 + ".Action.Function.operations[0].Action.Sleep", "expected an object, got an array"),
                // Sleep
                error(action("{'Sleep': {'tracing_name': 's', 'duraton_ms': 5}}"), sleep,
                        "unknown key \"duraton_ms\" (expected one of: tracing_name, duration_ms, latency, failure_chance,"
                                + " failure_codes, failure_message, fail_at, attributes)"),
                error(action("{'Sleep': {'tracing_name': 's'}}"), sleep,
                        "missing required key \"duration_ms\" (or \"latency\")"),
                error(action("{'Sleep': {'tracing_name': 's', 'duration_ms': -5}}"), sleep + ".duration_ms",
                        "expected a non-negative integer, got -5"),
                error(action("{'Sleep': {'tracing_name': 's', 'duration_ms': '20'}}"), sleep + ".duration_ms",
                        "expected a non-negative integer, got \"20\""),
                error(action("{'Sleep': {'tracing_name': 's', 'duration_ms': 20.0}}"), sleep + ".duration_ms",
                        "expected a non-negative integer, got 20.0"),
                error(action("{'Sleep': {'tracing_name': 's', 'duration_ms': 100000000000000000000}}"),
                        sleep + ".duration_ms", "expected a non-negative integer of at most 9223372036854775807,"
                                + " got 100000000000000000000"),
                error(action("{'Sleep': {'tracing_name': 's', 'duration_ms': null}}"), sleep + ".duration_ms",
                        "expected a non-negative integer, got null"),
                error(action("{'Sleep': {'tracing_name': 's', 'duration_ms': 1, 'failure_chance': 1.5}}"),
                        sleep + ".failure_chance", "expected a number from 0 to 1, got 1.5"),
                error(action("{'Sleep': {'tracing_name': 's', 'duration_ms': 1, 'failure_chance': '0.5'}}"),
                        sleep + ".failure_chance", "expected a number from 0 to 1, got \"0.5\""),
                error(action("{'Sleep': {'tracing_name': '" + "x".repeat(100) + "', 'duration_ms': 1, 'failure_chance': -1e400}}"),
                        sleep + ".failure_chance", "expected a number from 0 to 1, got -1E+400"),
                // CallService
                error(callService("'service_address': 'h', 'service_port': '1'"), call,
                        "missing required key \"grpc_method\""),
                error(callService("'service_address': 'h', 'service_port': '1', 'grpc_method': 'b'"),
                        call + ".grpc_method", "expected one of \"A\", \"B\", \"C\", got \"b\""),
                error(callService("'service_address': 'h', 'service_port': '1', 'grpc_method': 'B', 'tracing_name': ''"),
                        call + ".tracing_name", "expected a non-blank string, got \"\""),
                error(callService("'service_address': 'localhost:6380', 'service_port': '6380', 'grpc_method': 'B'"),
                        address, "unexpected port in \"localhost:6380\"" + expectedAddress),
                error(callService("'service_address': 'http://[::1]:1', 'service_port': '1', 'grpc_method': 'B'"),
                        address, "unexpected port in \"http://[::1]:1\"" + expectedAddress),
                error(callService("'service_address': 'grpc://localhost', 'service_port': '1', 'grpc_method': 'B'"),
                        address, "unsupported scheme \"grpc\" in \"grpc://localhost\"" + expectedAddress),
                error(callService("'service_address': 'http://localhost/api', 'service_port': '1', 'grpc_method': 'B'"),
                        address, "unexpected path in \"http://localhost/api\"" + expectedAddress),
                error(callService("'service_address': 'https://', 'service_port': '1', 'grpc_method': 'B'"),
                        address, "missing host in \"https://\"" + expectedAddress),
                error(callService("'service_address': 'my host', 'service_port': '1', 'grpc_method': 'B'"),
                        address, "invalid host in \"my host\"" + expectedAddress),
                error(callService("'service_address': 6380, 'service_port': '1', 'grpc_method': 'B'"),
                        address, "expected a non-blank string, got 6380"),
                error(callService("'service_address': 'h', 'service_port': '0', 'grpc_method': 'B'"),
                        call + ".service_port", expectedPort + "\"0\""),
                error(callService("'service_address': 'h', 'service_port': 65536, 'grpc_method': 'B'"),
                        call + ".service_port", expectedPort + "65536"),
                error(callService("'service_address': 'h', 'service_port': ' 80', 'grpc_method': 'B'"),
                        call + ".service_port", expectedPort + "\" 80\""),
                error(callService("'service_address': 'h', 'service_port': 80.0, 'grpc_method': 'B'"),
                        call + ".service_port", expectedPort + "80.0"),
                error(callService("'service_address': 'h', 'service_port': null, 'grpc_method': 'B'"),
                        call + ".service_port", expectedPort + "null"),
                // syntax
                error("{\n  \"grpc_method_a\": {\n    \"tracing_name\": \"x\",,\n", "grpc_method_a.tracing_name",
                        "invalid JSON at line 3, column 25: Unexpected character (',' (code 44)):"
                                + " was expecting double-quote to start field name"),
                error("{} {}", "", "invalid JSON at line 1, column 4: unexpected content after the end of the document"),
                error("{\"service_name\": \"a\",}", "",
                        "invalid JSON at line 1, column 21: trailing comma (JSON allows no comma after the last member)"),
                error("{\n  \"grpc_method_a\": {\"tracing_name\": \"x\", \"operations\": [\n    {\"Action\": null},"
                        + "  // the last one\n  ]}\n}", "grpc_method_a.operations",
                        "invalid JSON at line 3, column 21: trailing comma (JSON allows no comma after the last element)"),
                error("{\"service_name\": \"a // b\",\n}", "",
                        "invalid JSON at line 1, column 26: trailing comma (JSON allows no comma after the last member)"),
                error("{\n  service_name: \"a\"}", "",
                        "invalid JSON at line 2, column 3: the name service_name is not in double quotes"
                                + " (write \"service_name\")"),
                error("{}\n}", "", "invalid JSON at line 2, column 1: Unexpected close marker '}':"
                        + " no open Object to close"),
                error(json("{'service_name': 'a', 'service_name': 'b'}"), "service_name",
                        "invalid JSON at line 1, column 37: Duplicate field 'service_name'"),
                error(json("{'grpc_method_a': {'operations': [{'Action': {'Sleep': {'duration_ms': 2x}}}]}}"),
                        "grpc_method_a.operations[0].Action.Sleep.duration_ms",
                        "invalid JSON at line 1, column 73: Unexpected character ('x' (code 120)):"
                                + " was expecting comma to separate Object entries"));
    }

    @Test
    void nestingIsLimitedButRoomy() throws ConfigException {
        assertEquals(45, depth(ConfigParser.parse(nestedFunctions(45)).function(Method.A).orElseThrow()));

        ConfigException tooDeep = assertThrows(ConfigException.class, () -> ConfigParser.parse(nestedFunctions(60)));
        assertTrue(tooDeep.getMessage().contains("invalid JSON at line 1, column "), tooDeep.getMessage());
        assertTrue(tooDeep.getMessage().contains("nesting depth"), tooDeep.getMessage());

        ConfigException pathological = assertThrows(ConfigException.class,
                () -> ConfigParser.parse("[".repeat(1_000_000)));
        assertTrue(pathological.getMessage().contains(": invalid JSON at line 1, column 202: Document nesting depth"),
                pathological.getMessage());
    }

    /** Method A with {@code levels} Functions nested in one another, built as a tree to leave quoting to Jackson. */
    private static String nestedFunctions(int levels) {
        ObjectNode function = JsonNodeFactory.instance.objectNode().put("tracing_name", "f0");
        function.putArray("operations");
        for (int level = 1; level < levels; level++) {
            ObjectNode outer = JsonNodeFactory.instance.objectNode().put("tracing_name", "f" + level);
            outer.putArray("operations").addObject().putObject("Action").set("Function", function);
            function = outer;
        }
        return JsonNodeFactory.instance.objectNode().set("grpc_method_a", function).toString();
    }

    private static int depth(Function function) {
        return function.operations().stream()
                .map(operation -> ((Operation.Single) operation).action())
                .mapToInt(action -> depth((Function) action))
                .sum() + 1;
    }

    private static Arguments error(String text, String path, String problem) {
        return Arguments.of(text, path, path.isEmpty() ? problem : path + ": " + problem);
    }

    /** JSON written with single quotes, to keep the test data readable. */
    private static String json(String singleQuoted) {
        return singleQuoted.replace('\'', '"');
    }

    /** A config whose method A has the single operation {@code operation}. */
    private static String operation(String operation) {
        return json("{'grpc_method_a': {'tracing_name': 'a', 'operations': [" + operation + "]}}");
    }

    private static String action(String action) {
        return operation("{'Action': " + action + "}");
    }

    private static String callService(String fields) {
        return action("{'CallService': {" + fields + "}}");
    }

    private static Action onlyAction(Config config) {
        return ((Operation.Single) config.function(Method.A).orElseThrow().operations().get(0)).action();
    }

    private static Operation single(Action action) {
        return new Operation.Single(action);
    }

    private static Action.Sleep sleep(String tracingName, long durationMs) {
        return new Action.Sleep(tracingName, durationMs, OptionalDouble.empty());
    }
}
