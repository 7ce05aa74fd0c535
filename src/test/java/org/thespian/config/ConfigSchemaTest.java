package org.thespian.config;

import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * docs/config.schema.json, checked by a real draft 2020-12 validator: it is a valid schema, every example config
 * passes it, and it agrees with {@link ConfigParser} on documents that either accepts or rejects.
 */
class ConfigSchemaTest {

    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
    private static final Schema SCHEMA = REGISTRY.getSchema(read(schemaFile()));

    @Test
    void isAValidDraft202012Schema() {
        Schema metaSchema = REGISTRY.getSchema(SchemaLocation.of("https://json-schema.org/draft/2020-12/schema"));

        assertEquals(List.of(), messages(metaSchema.validate(read(schemaFile()), InputFormat.JSON)));
    }

    @TestFactory
    Stream<DynamicTest> everyExampleConfigPassesTheSchema() {
        return Examples.allBelow().stream().map(file -> DynamicTest.dynamicTest(
                Examples.directory().relativize(file).toString(),
                () -> assertEquals(List.of(), schemaErrors(Examples.read(file)))));
    }

    /** The original format (config-format.md): the schema accepts exactly what the parser accepts. */
    @Test
    void agreesWithTheParserOnTheOriginalSyntax() {
        assertAgreement(List.of(
                "{}",
                "{'service_name': 'shop', 'grpc_method_a': null, 'grpc_method_b': null, 'grpc_method_c': null}",
                function("{'Action': {'Sleep': {'tracing_name': 's', 'duration_ms': 0, 'failure_chance': null}}}"),
                function("{'Action': {'Sleep': {'tracing_name': 's', 'duration_ms': 20, 'failure_chance': 1}}}"),
                function("{'ConcurrentActions': []}",
                        "{'ConcurrentActions': [{'Function': {'tracing_name': 'n', 'operations': []}}]}"),
                function(call("'service_address': 'http://localhost', 'service_port': '6380', 'grpc_method': 'B'")),
                function(call("'service_address': 'HTTPS://10.0.0.7/', 'service_port': 443, 'grpc_method': 'C',"
                        + " 'tracing_name': null")),
                function(call("'service_address': '[::1]', 'service_port': '00080', 'grpc_method': 'A',"
                        + " 'tracing_name': 'charge card'")),
                function(call("'service_address': 'server_thespian', 'service_port': '65535', 'grpc_method': 'A'"))
        ), List.of(
                "[]",
                "{'grpc_method_d': null}",
                "{'service_name': '  '}",
                "{'service_name': 5}",
                "{'grpc_method_a': {'tracing_name': 'a'}}",
                "{'grpc_method_a': {'tracing_name': ' ', 'operations': []}}",
                "{'grpc_method_a': {'tracing_name': 'a', 'operations': {}}}",
                "{'grpc_method_a': {'tracing_name': 'a', 'operations': [], 'steps': []}}",
                function("{}"),
                function("{'Actoin': {'Sleep': {'tracing_name': 's', 'duration_ms': 1}}}"),
                function("{'Action': {'Sleep': {'tracing_name': 's', 'duration_ms': 1}}, 'ConcurrentActions': []}"),
                function("{'Action': {'Sleeep': {'tracing_name': 's', 'duration_ms': 1}}}"),
                function("{'Action': {}}"),
                function("{'Action': {'Sleep': {'tracing_name': 's', 'duration_ms': -5}}}"),
                function("{'Action': {'Sleep': {'tracing_name': 's', 'duration_ms': '20'}}}"),
                function("{'Action': {'Sleep': {'tracing_name': 's', 'duration_ms': 20.5}}}"),
                function("{'Action': {'Sleep': {'tracing_name': 's', 'duration_ms': null}}}"),
                function("{'Action': {'Sleep': {'tracing_name': 's'}}}"),
                function("{'Action': {'Sleep': {'duration_ms': 1}}}"),
                function("{'Action': {'Sleep': {'tracing_name': 's', 'duraton_ms': 1}}}"),
                function("{'Action': {'Sleep': {'tracing_name': 's', 'duration_ms': 1, 'failure_chance': 1.5}}}"),
                function("{'Action': {'Sleep': {'tracing_name': 's', 'duration_ms': 1, 'failure_chance': '0.5'}}}"),
                function("{'ConcurrentActions': [{'Sleep': {'tracing_name': 's', 'duration_ms': 1, 'x': 1}}]}"),
                function(call("'service_address': 'localhost', 'service_port': '70000', 'grpc_method': 'A'")),
                function(call("'service_address': 'localhost', 'service_port': 0, 'grpc_method': 'A'")),
                function(call("'service_address': 'localhost', 'service_port': '6380 ', 'grpc_method': 'A'")),
                function(call("'service_address': 'localhost', 'service_port': '000080', 'grpc_method': 'A'")),
                function(call("'service_address': 'grpc://payments', 'service_port': 1, 'grpc_method': 'A'")),
                function(call("'service_address': 'localhost:6380', 'service_port': 1, 'grpc_method': 'A'")),
                function(call("'service_address': 'http://host/api', 'service_port': 1, 'grpc_method': 'A'")),
                function(call("'service_address': 'http://', 'service_port': 1, 'grpc_method': 'A'")),
                function(call("'service_address': '', 'service_port': 1, 'grpc_method': 'A'")),
                function(call("'service_address': 'localhost', 'service_port': 1, 'grpc_method': 'a'")),
                function(call("'service_address': 'localhost', 'service_port': 1, 'grpc_method': 'D'")),
                function(call("'service_port': 1, 'grpc_method': 'A'")),
                function(call("'service_address': 'localhost', 'service_port': 1, 'grpc_method': 'A', 'method': 'A'"))));
    }

    /** The behaviours beyond the original's vocabulary, in their documented syntax. */
    @Test
    void agreesWithTheParserOnTheNewSyntax() {
        assertAgreement(List.of(
                "{'$schema': '../docs/config.schema.json', 'grpc_method_a': null}",
                sleep("'latency': {'uniform': {'min_ms': 10, 'max_ms': 30}}"),
                sleep("'latency': {'normal': {'mean_ms': 50, 'stddev_ms': 10}}"),
                sleep("'latency': {'exponential': {'mean_ms': 40}}"),
                sleep("'duration_ms': 7, 'latency': null"),
                sleep("'latency': {'lognormal': {'median_ms': 50, 'p99_ms': 400}}"),
                sleep("'latency': {'percentiles': {'p50_ms': 20, 'p90_ms': 60, 'p99_ms': 250, 'max_ms': 900}}"),
                sleep("'duration_ms': 5, 'failure_chance': 0.1, 'failure_codes': {'UNAVAILABLE': 0.7,"
                        + " 'DEADLINE_EXCEEDED': 0.3}, 'failure_message': 'payments are down', 'fail_at': 'start'"),
                sleep("'duration_ms': 5, 'failure_chance': 0.5, 'fail_at': 'end', 'failure_codes': {'ABORTED': 0,"
                        + " 'INTERNAL': 2}, 'attributes': {'db.system': 'postgresql', 'tenant': 'acme'}"),
                sleep("'duration_ms': 5, 'failure_chance': null, 'failure_codes': null, 'fail_at': null,"
                        + " 'attributes': {'retries': 3, 'cached': false, '': 'any key'}"),
                function("{'Action': {'Cpu': {'tracing_name': 'hash', 'duration_ms': 30}}}"),
                function("{'Action': {'Cpu': {'tracing_name': 'hash', 'latency': {'exponential': {'mean_ms': 5}}}}}"),
                function("{'Action': {'Memory': {'tracing_name': 'cache fill', 'megabytes': 50, 'hold_ms': 2000}}}"),
                function("{'Action': {'Memory': {'tracing_name': 'leak', 'megabytes': 1, 'hold_ms': 'forever'}}}"),
                function(call("'service_address': 'localhost', 'service_port': '6380', 'grpc_method': 'B',"
                        + " 'timeout_ms': 200, 'retries': {'max_attempts': 3, 'backoff_ms': 50,"
                        + " 'retry_on': ['UNAVAILABLE', 'DEADLINE_EXCEEDED']}, 'probability': 0.3,"
                        + " 'repeat': {'times': 5, 'concurrent': true}, 'wait': false, 'attributes': {'peer': 'b'}")),
                function(call("'service_address': 'localhost', 'service_port': 1, 'grpc_method': 'A', 'timeout_ms': null,"
                        + " 'retries': {'max_attempts': 100, 'retry_on': []}, 'repeat': {'times': 10000}, 'wait': true")),
                "{'resources': {'db': {'max_concurrent': 8, 'queue': 64}}, 'grpc_method_a': {'tracing_name': 'q',"
                        + " 'resource': 'db', 'attributes': {'tier': 'gold'}, 'operations': []}}",
                "{'resources': {'pool': {'max_concurrent': 1}}, 'grpc_method_b': null}",
                "{'resources': null, '$schema': null}",
                function(call("'service_address': 'pay', 'service_port': 1, 'grpc_method': 'B', 'circuit_breaker':"
                        + " {'failure_rate': 0.5, 'min_calls': 10, 'window_ms': 10000, 'open_ms': 5000, 'half_open_calls': 1},"
                        + " 'hedge': {'delay_ms': 20, 'max_attempts': 2}")),
                function(call("'service_address': 'pay', 'service_port': 1, 'grpc_method': 'B', 'circuit_breaker': {},"
                        + " 'hedge': {'delay_ms': 0, 'max_attempts': null}, 'retries': null")),
                function(call("'service_address': 'pay', 'service_port': 1, 'grpc_method': 'B', 'circuit_breaker': null,"
                        + " 'hedge': null, 'retries': {'max_attempts': 3}")),
                "{'grpc_method_a': {'tracing_name': 'a', 'rate_limit': {'per_second': 100, 'burst': 20}, 'operations': []}}",
                "{'grpc_method_a': {'tracing_name': 'a', 'rate_limit': {'per_second': 0.5, 'burst': null}, 'operations': []}}",
                "{'grpc_method_a': {'tracing_name': 'a', 'rate_limit': null, 'operations': []}}"
        ), List.of(
                "{'$schema': ' '}",
                sleep("'duration_ms': 5, 'fail_at': 'start'"),
                sleep("'duration_ms': 5, 'failure_chance': null, 'failure_codes': {'UNAVAILABLE': 1}"),
                sleep("'duration_ms': 5, 'failure_message': 'down'"),
                sleep("'duration_ms': 5, 'failure_chance': 0.5, 'failure_codes': {}"),
                sleep("'duration_ms': 5, 'failure_chance': 0.5, 'failure_codes': {'UNAVAILABLE': 0, 'ABORTED': 0.0}"),
                sleep("'duration_ms': 5, 'failure_chance': 0.5, 'failure_message': ' '"),
                function(call("'service_address': 'localhost', 'service_port': 1, 'grpc_method': 'A', 'timeout_ms': 0")),
                function(call("'service_address': 'localhost', 'service_port': 1, 'grpc_method': 'A',"
                        + " 'retries': {'max_attempts': 101}")),
                function(call("'service_address': 'localhost', 'service_port': 1, 'grpc_method': 'A',"
                        + " 'retries': {'backoff_ms': 10}")),
                function(call("'service_address': 'localhost', 'service_port': 1, 'grpc_method': 'A',"
                        + " 'repeat': {'times': 0}")),
                "{'resources': {'db': {'max_concurrent': 0, 'queue': 64}}}",
                "{'resources': {'db': {'queue': 64}}}",
                "{'resources': {'db': null}}",
                sleep("'duration_ms': 5, 'latency': {'exponential': {'mean_ms': 40}}"),
                sleep("'failure_chance': 0.5"),
                sleep("'duration_ms': null, 'latency': {'exponential': {'mean_ms': 40}}"),
                sleep("'duration_ms': null"),
                sleep("'latency': {'gamma': {'k': 2}}"),
                sleep("'latency': {'uniform': {'min_ms': 10}}"),
                sleep("'latency': {'uniform': {'min_ms': 10, 'max_ms': 30, 'mode_ms': 20}}"),
                sleep("'latency': {'normal': {'mean_ms': 50, 'stddev_ms': 0}}"),
                sleep("'latency': {'exponential': {'mean_ms': 40}, 'lognormal': {'median_ms': 1, 'p99_ms': 2}}"),
                sleep("'duration_ms': 5, 'failure_chance': 0.5, 'failure_codes': {'OK': 1}"),
                sleep("'duration_ms': 5, 'failure_chance': 0.5, 'failure_codes': {'UNAVAILABLE': -1}"),
                sleep("'duration_ms': 5, 'failure_chance': 0.5, 'fail_at': 'middle'"),
                sleep("'duration_ms': 5, 'attributes': {'tenant': {'name': 'acme'}}"),
                function("{'Action': {'Cpu': {'tracing_name': 'hash'}}}"),
                function("{'Action': {'Cpu': {'tracing_name': 'hash', 'duration_ms': 30, 'threads': 2}}}"),
                function("{'Action': {'Memory': {'tracing_name': 'm', 'megabytes': 50, 'hold_ms': 'never'}}}"),
                function("{'Action': {'Memory': {'tracing_name': 'm', 'megabytes': 0, 'hold_ms': 10}}}"),
                function("{'Action': {'Memory': {'tracing_name': 'm', 'megabytes': -1, 'hold_ms': 10}}}"),
                function("{'Action': {'Memory': {'tracing_name': 'm', 'hold_ms': 10}}}"),
                function(call("'service_address': 'localhost', 'service_port': 1, 'grpc_method': 'A', 'timeout_ms': '1s'")),
                function(call("'service_address': 'localhost', 'service_port': 1, 'grpc_method': 'A',"
                        + " 'retries': {'max_attempts': 3, 'retry_on': ['OK']}")),
                function(call("'service_address': 'localhost', 'service_port': 1, 'grpc_method': 'A', 'probability': 2")),
                function(call("'service_address': 'localhost', 'service_port': 1, 'grpc_method': 'A',"
                        + " 'repeat': {'times': 2, 'parallel': true}")),
                function(call("'service_address': 'localhost', 'service_port': 1, 'grpc_method': 'A', 'wait': 'no'")),
                "{'resources': {'db': {'max_concurrent': '8', 'queue': 64}}}",
                "{'resources': {'db': {'max_concurrent': 8, 'queue': 64, 'timeout_ms': 5}}}",
                function(call("'service_address': 'pay', 'service_port': 1, 'grpc_method': 'B',"
                        + " 'hedge': {'delay_ms': 20}, 'retries': {'max_attempts': 3}")),
                function(call("'service_address': 'pay', 'service_port': 1, 'grpc_method': 'B',"
                        + " 'circuit_breaker': {'failure_rate': 0}")),
                function(call("'service_address': 'pay', 'service_port': 1, 'grpc_method': 'B',"
                        + " 'circuit_breaker': {'min_calls': 0}")),
                function(call("'service_address': 'pay', 'service_port': 1, 'grpc_method': 'B',"
                        + " 'circuit_breaker': {'open': 5}")),
                function(call("'service_address': 'pay', 'service_port': 1, 'grpc_method': 'B',"
                        + " 'hedge': {'max_attempts': 2}")),
                function(call("'service_address': 'pay', 'service_port': 1, 'grpc_method': 'B',"
                        + " 'hedge': {'delay_ms': -1}")),
                function(call("'service_address': 'pay', 'service_port': 1, 'grpc_method': 'B',"
                        + " 'hedge': {'delay_ms': 1, 'max_attempts': 101}")),
                "{'grpc_method_a': {'tracing_name': 'a', 'rate_limit': {'burst': 20}, 'operations': []}}",
                "{'grpc_method_a': {'tracing_name': 'a', 'rate_limit': {'per_second': 0}, 'operations': []}}",
                "{'grpc_method_a': {'tracing_name': 'a', 'rate_limit': {'per_second': 5, 'burst': 0}, 'operations': []}}",
                "{'grpc_method_a': {'tracing_name': 'a', 'rate_limit': {'per_second': 5, 'refill': 1}, 'operations': []}}"));
    }

    /** What no JSON Schema can say (relations between values, references by name) only the parser checks. */
    @Test
    void theParserAloneChecksRelationsAndReferences() {
        List<String> beyondTheSchema = List.of(
                sleep("'latency': {'uniform': {'min_ms': 30, 'max_ms': 10}}"),
                sleep("'latency': {'lognormal': {'median_ms': 400, 'p99_ms': 50}}"),
                sleep("'latency': {'percentiles': {'p50_ms': 20, 'p90_ms': 10, 'p99_ms': 250, 'max_ms': 900}}"),
                "{'grpc_method_a': {'tracing_name': 'q', 'resource': 'db', 'operations': []}}",
                function(call("'service_address': 'pay', 'service_port': 1, 'grpc_method': 'B', 'circuit_breaker':"
                        + " {'min_calls': 3}"), call("'service_address': 'pay', 'service_port': 1, 'grpc_method': 'B',"
                        + " 'circuit_breaker': {'min_calls': 4}")));
        for (String document : beyondTheSchema) {
            assertEquals(List.of(), schemaErrors(json(document)), document);
            assertNotNull(parserError(json(document)), "the parser rejects " + document);
        }
    }

    private static void assertAgreement(List<String> valid, List<String> invalid) {
        List<String> disagreements = new ArrayList<>();
        for (String document : valid) {
            String text = json(document);
            List<String> schemaErrors = schemaErrors(text);
            String parserError = parserError(text);
            if (!schemaErrors.isEmpty() || parserError != null) {
                disagreements.add("valid " + text + ": schema says " + schemaErrors + ", parser says " + parserError);
            }
        }
        for (String document : invalid) {
            String text = json(document);
            if (schemaErrors(text).isEmpty()) {
                disagreements.add("invalid " + text + ": the schema accepts it");
            }
            if (parserError(text) == null) {
                disagreements.add("invalid " + text + ": the parser accepts it");
            }
        }
        assertEquals(List.of(), disagreements);
    }

    /** The schema's complaints about a config; comment lines are dropped first, as the parser ignores them. */
    private static List<String> schemaErrors(String config) {
        String plainJson;
        try {
            plainJson = JsonDocument.read(config).node().toString();
        } catch (ConfigException e) {
            throw new AssertionError("not JSON: " + e.getMessage(), e);
        }
        return messages(SCHEMA.validate(plainJson, InputFormat.JSON));
    }

    private static String parserError(String config) {
        try {
            ConfigParser.parse(config);
            return null;
        } catch (ConfigException e) {
            return e.getMessage();
        }
    }

    private static List<String> messages(List<Error> errors) {
        return errors.stream().map(Error::toString).toList();
    }

    private static String function(String... operations) {
        return "{'grpc_method_a': {'tracing_name': 'a', 'operations': [" + String.join(", ", operations) + "]}}";
    }

    private static String sleep(String keys) {
        return function("{'Action': {'Sleep': {'tracing_name': 's', " + keys + "}}}");
    }

    private static String call(String keys) {
        return "{'Action': {'CallService': {" + keys + "}}}";
    }

    private static String json(String singleQuoted) {
        return singleQuoted.replace('\'', '"');
    }

    static Path schemaFile() {
        return Examples.directory().resolveSibling("docs").resolve("config.schema.json");
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
