package org.thespian.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.thespian.testsupport.ThespianProcess;

/** Exit code 2 and exactly one line on stderr, for mistakes the SDK or the file system would otherwise hit. */
@Execution(ExecutionMode.CONCURRENT) // each test starts processes of its own
class StartupContractIT {

    private static final Duration EXIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "OTEL_TRACES_SAMPLER | bogus",
        "OTEL_EXPORTER_OTLP_PROTOCOL | bogus",
        "OTEL_EXPORTER_OTLP_ENDPOINT | garbage",
        "OTEL_RESOURCE_ATTRIBUTES | '=,=,%zz'",
        "OTEL_BACKEND_ADDRESS | http://127.0.0.1:99999",
        "OTEL_METRIC_EXPORT_INTERVAL | often",
    })
    void aBadStandardVariableExitsWithCode2AndOneLineNamingIt(String variable, String value) throws Exception {
        try (ThespianProcess thespian = ThespianProcess.launch(Map.of(variable, value))) {
            assertEquals(2, thespian.awaitExit(EXIT));
            assertEquals(1, thespian.stderr().lines().count(), thespian.stderr());
            assertEquals("thespian: " + variable + " must be", thespian.stderr().substring(0,
                    ("thespian: " + variable + " must be").length()), thespian.stderr());
        }
    }

    @Test
    void aConfigFileOnAFifoExitsWithCode2InsteadOfBlocking() throws Exception {
        Path fifo = dir.resolve("config.json");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        try (ThespianProcess thespian = ThespianProcess.launch(Map.of("CONFIG_FILE", fifo.toString()))) {
            assertEquals(2, thespian.awaitExit(EXIT));
            assertEquals("thespian: CONFIG_FILE " + fifo + ": not a regular file (a FIFO, device or directory"
                    + " cannot be a config)", thespian.stderr());
        }
    }

    @Test
    void whatOnlyTheSdkChecksStillEndsInOneLineAndCode2() throws Exception {
        Path missing = dir.resolve("no-such-ca.pem");
        try (ThespianProcess thespian = ThespianProcess.launch(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT",
                "http://127.0.0.1:4317", "OTEL_EXPORTER_OTLP_CERTIFICATE", missing.toString()))) {
            assertEquals(2, thespian.awaitExit(EXIT));
            // The SDK's own INFO line about the failure goes wherever java.util.logging goes; ours is the one line.
            List<String> ours = thespian.stderr().lines().filter(line -> line.startsWith("thespian:")).toList();
            assertEquals(1, ours.size(), thespian.stderr());
            assertTrue(ours.get(0).startsWith("thespian: OpenTelemetry ")
                    && ours.get(0).endsWith("Invalid OTLP certificate/key path: " + missing), ours.get(0));
            assertFalse(thespian.stderr().contains("\tat "), thespian.stderr());
        }
    }
}
