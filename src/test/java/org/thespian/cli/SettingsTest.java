package org.thespian.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.thespian.config.ConfigException;
import org.thespian.server.ServerLimits;

/** The startup contract: every variable checked before anything starts, each mistake named in one line. */
class SettingsTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "PORT | +80 | PORT must be a whole number from 1 to 65535, got \"+80\"",
        "PORT | \u0668\u0660 | PORT must be a whole number from 1 to 65535, got \"\u0668\u0660\"",
        "PORT | 8 0 | PORT must be a whole number from 1 to 65535, got \"8 0\"",
        "PORT | 0x50 | PORT must be a whole number from 1 to 65535, got \"0x50\"",
        "THESPIAN_SHUTDOWN_GRACE_SECONDS | -1 | THESPIAN_SHUTDOWN_GRACE_SECONDS must be a whole number from 0 to 3600, got \"-1\"",
        "THESPIAN_SHUTDOWN_DELAY_SECONDS | 5s | THESPIAN_SHUTDOWN_DELAY_SECONDS must be a whole number from 0 to 3600, got \"5s\"",
        "THESPIAN_MAX_IN_FLIGHT | 0 | THESPIAN_MAX_IN_FLIGHT must be a whole number from 1 to 100000000, got \"0\"",
        "THESPIAN_PEER_TIMEOUT | 0s | THESPIAN_PEER_TIMEOUT must be a duration from 1ms to 1h such as 30s, 500ms or 2m, got \"0s\"",
        "THESPIAN_PEER_TIMEOUT | 2h | THESPIAN_PEER_TIMEOUT must be a duration from 1ms to 1h such as 30s, 500ms or 2m, got \"2h\"",
        "SERVICE_NAME | \u200B\u200B | SERVICE_NAME must be a name with a visible character, got \"\u200B\u200B\"",
        "OTEL_SERVICE_NAME | \u3164 | OTEL_SERVICE_NAME must be a name with a visible character, got \"\u3164\"",
        "OTEL_BACKEND_ADDRESS | http://127.0.0.1:99999 | OTEL_BACKEND_ADDRESS must be an http:// or https:// URL with a host, such as http://localhost:4317, got \"http://127.0.0.1:99999\"",
        "OTEL_TRACES_SAMPLER | bogus | OTEL_TRACES_SAMPLER must be one of always_off, always_on, parentbased_always_off, parentbased_always_on, parentbased_traceidratio, traceidratio, got \"bogus\"",
        "OTEL_TRACES_SAMPLER_ARG | 1.5 | OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1, got \"1.5\"",
        "OTEL_EXPORTER_OTLP_PROTOCOL | bogus | OTEL_EXPORTER_OTLP_PROTOCOL must be one of grpc, http/protobuf, got \"bogus\"",
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL | http/json | OTEL_EXPORTER_OTLP_TRACES_PROTOCOL must be one of grpc, http/protobuf, got \"http/json\"",
        "OTEL_EXPORTER_OTLP_ENDPOINT | garbage | OTEL_EXPORTER_OTLP_ENDPOINT must be an http:// or https:// URL with a host and a port up to 65535, such as http://localhost:4317, got \"garbage\"",
        "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT | http://x:0 | OTEL_EXPORTER_OTLP_METRICS_ENDPOINT must be an http:// or https:// URL with a host and a port up to 65535, such as http://localhost:4317, got \"http://x:0\"",
        "OTEL_RESOURCE_ATTRIBUTES | '=,=,%zz' | OTEL_RESOURCE_ATTRIBUTES must be comma-separated key=value pairs with percent-encoded values, got \"=,=,%zz\"",
        "OTEL_RESOURCE_ATTRIBUTES | a=%zz | OTEL_RESOURCE_ATTRIBUTES must be comma-separated key=value pairs with percent-encoded values, got \"a=%zz\"",
        "OTEL_EXPORTER_OTLP_HEADERS | novalue | OTEL_EXPORTER_OTLP_HEADERS must be comma-separated key=value pairs with percent-encoded values, got \"novalue\"",
        "OTEL_TRACES_EXPORTER | zipkin | OTEL_TRACES_EXPORTER must be a comma-separated list of console, logging, logging-otlp, none, otlp, got \"zipkin\"",
        "OTEL_PROPAGATORS | b3 | OTEL_PROPAGATORS must be a comma-separated list of baggage, none, tracecontext, got \"b3\"",
        "OTEL_BSP_SCHEDULE_DELAY | soon | OTEL_BSP_SCHEDULE_DELAY must be milliseconds or a duration such as 10s, got \"soon\"",
        "OTEL_BSP_MAX_QUEUE_SIZE | -1 | OTEL_BSP_MAX_QUEUE_SIZE must be a whole number, got \"-1\"",
        "OTEL_EXPORTER_OTLP_COMPRESSION | zip | OTEL_EXPORTER_OTLP_COMPRESSION must be one of gzip, none, got \"zip\"",
        "OTEL_SDK_DISABLED | maybe | OTEL_SDK_DISABLED must be one of false, true, got \"maybe\"",
        "THESPIAN_WARMUP | later | THESPIAN_WARMUP must be true or false, got \"later\"",
    })
    void aBadVariableIsNamedWithWhatWasExpected(String variable, String value, String message) {
        Settings.InvalidSetting error = assertThrows(Settings.InvalidSetting.class,
                () -> Settings.from(Map.of(variable, value)));
        assertEquals(message, error.getMessage());
    }

    @Test
    void goodValuesOfTheStandardVariablesPass() throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("OTEL_TRACES_SAMPLER", "parentbased_traceidratio");
        env.put("OTEL_TRACES_SAMPLER_ARG", "0.25");
        env.put("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf");
        env.put("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318");
        env.put("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=dev, team=a%20b");
        env.put("OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer%20x");
        env.put("OTEL_TRACES_EXPORTER", "otlp,console");
        env.put("OTEL_PROPAGATORS", "tracecontext,baggage");
        env.put("OTEL_BSP_SCHEDULE_DELAY", "500ms");
        env.put("OTEL_BSP_MAX_QUEUE_SIZE", "65536");
        env.put("PORT", " 8080 ");
        env.put("THESPIAN_PEER_TIMEOUT", "1500ms");
        env.put("THESPIAN_MAX_IN_FLIGHT", "500");
        env.put("THESPIAN_SHUTDOWN_DELAY_SECONDS", "5");
        Settings settings = Settings.from(env);
        assertEquals(8080, settings.port());
        assertEquals(ServerLimits.of(500, Duration.ofMillis(1500)).withOverloadLag(ServerLimits.DEFAULT_OVERLOAD_LAG),
                settings.limits());
        assertEquals(Duration.ofSeconds(5), settings.shutdownDelay());
    }

    @Test
    void theDefaultsAreDocumented() throws Exception {
        Settings settings = Settings.from(Map.of());
        assertEquals(Duration.ZERO, settings.shutdownDelay());
        assertEquals(Duration.ofSeconds(30), settings.limits().peerTimeout());
        assertEquals(ServerLimits.defaultMaxInFlight(Runtime.getRuntime().maxMemory()), settings.limits().maxInFlight());
        assertEquals("thespian", Settings.from(Map.of("SERVICE_NAME", " ")).serviceName());
    }

    @Test
    void theWarmUpIsOnUnlessTurnedOff() throws Exception {
        assertTrue(Settings.from(Map.of()).warmup());
        assertTrue(Settings.from(Map.of("THESPIAN_WARMUP", "on")).warmup());
        assertFalse(Settings.from(Map.of("THESPIAN_WARMUP", "off")).warmup());
        assertFalse(Settings.from(Map.of("THESPIAN_WARMUP", "false")).warmup());
    }

    @Test
    void theInFlightDefaultFollowsTheHeap() {
        assertEquals(2_048, ServerLimits.defaultMaxInFlight(64L << 20));
        assertEquals(14_336, ServerLimits.defaultMaxInFlight(256L << 20));
        assertEquals(260_096, ServerLimits.defaultMaxInFlight(4L << 30));
        assertEquals(64, ServerLimits.defaultMaxInFlight(32L << 20));
        assertEquals(3_584, ServerLimits.defaultMaxInFlight(256L << 20, 4), "a cast of four shares the heap");
        assertEquals(64, ServerLimits.defaultMaxInFlight(64L << 20, 100));
    }

    @Test
    void aConfigFileThatIsAFifoIsRefusedWithoutBlocking() throws Exception {
        Path fifo = dir.resolve("config.json");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assertEquals(0, mkfifo.waitFor());
        assertConfigError("CONFIG_FILE " + fifo + ": not a regular file (a FIFO, device or directory cannot be a config)",
                fifo);
    }

    @Test
    void aConfigFileLinkedToDevZeroIsRefused() throws Exception {
        Path link = Files.createSymbolicLink(dir.resolve("zero.json"), Path.of("/dev/zero"));
        assertConfigError("CONFIG_FILE " + link + ": not a regular file (a FIFO, device or directory cannot be a config)",
                link);
    }

    @Test
    void aConfigFileOverTheCapIsRefused() throws Exception {
        Path big = dir.resolve("big.json");
        try (RandomAccessFile file = new RandomAccessFile(big.toFile(), "rw")) {
            file.setLength((64L << 20) + 1); // sparse: no disk, no time
        }
        assertConfigError("CONFIG_FILE " + big + ": the file is larger than the limit of 64 MB", big);
    }

    @Test
    void aTracingNameOfInvisibleCharactersIsRefusedLikeABlankOne() {
        ConfigException error = assertThrows(ConfigException.class, () -> Settings.from(Map.of("CONFIG_JSON", """
                {"grpc_method_a": {"tracing_name": "\u200B\uFEFF\u2060", "operations": []}}""")));
        assertEquals("CONFIG_JSON: grpc_method_a.tracing_name: expected a non-blank string, got \"\u200B\uFEFF\u2060\"",
                error.getMessage());
    }

    @Test
    void theSdksPropertyNamesBecomeVariableNames() {
        assertEquals("Invalid value for property OTEL_TRACES_SAMPLER_ARG=x. Must be a double.",
                Main.inEnvironmentTerms("Invalid value for property otel.traces.sampler.arg=x. Must be a double.\nmore"));
    }

    private static void assertConfigError(String message, Path file) throws IOException {
        ConfigException error = assertThrows(ConfigException.class,
                () -> Settings.from(Map.of("CONFIG_FILE", file.toString())));
        assertEquals(message, error.getMessage());
    }
}
