package org.thespian.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.StatusRuntimeException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.thespian.proto.Nothing;
import org.thespian.testsupport.InProcessThespian;
import org.thespian.testsupport.Loopback;
import org.thespian.testsupport.ThespianProcess;

/** How the jar starts, refuses to start, and stops, seen from outside the process. */
@Execution(ExecutionMode.CONCURRENT) // each test starts processes of its own
class StartupIT {

    private static final Duration EXIT = Duration.ofSeconds(20);

    @Test
    void aBadConfigExitsWithCode2BeforeBindingAnyPort() throws Exception {
        try (ThespianProcess thespian = ThespianProcess.launch(Map.of("CONFIG_JSON", """
                {"grpc_method_a": {"tracing_name": "checkout", "operations": [
                  {"Action": {"Sleep": {"tracing_name": "wait", "duration_ms": -5}}}]}}"""))) {
            assertEquals(2, thespian.awaitExit(EXIT));
            assertEquals("thespian: CONFIG_JSON: grpc_method_a.operations[0].Action.Sleep.duration_ms:"
                    + " expected a non-negative integer, got -5", thespian.stderr());
            assertFalse(Loopback.listening(thespian.port()), "the port was bound");
        }
    }

    @Test
    void aJsonSyntaxErrorNamesLineAndColumn() throws Exception {
        try (ThespianProcess thespian = ThespianProcess.launch(Map.of("CONFIG_JSON", "{\n  \"grpc_method_a\": nul\n}"))) {
            assertEquals(2, thespian.awaitExit(EXIT));
            assertTrue(thespian.stderr().matches("thespian: CONFIG_JSON: .*invalid JSON at line 2, column \\d+: .*"),
                    thespian.stderr());
            assertNoStackTrace(thespian);
        }
    }

    @ParameterizedTest
    @CsvSource({
        "PORT, abc, 'thespian: PORT must be a whole number from 1 to 65535, got \"abc\"'",
        "PORT, 70000, 'thespian: PORT must be a whole number from 1 to 65535, got \"70000\"'",
        "THESPIAN_SEED, x1, 'thespian: THESPIAN_SEED must be a whole number, got \"x1\"'",
        "THESPIAN_LOG_LEVEL, loud, 'thespian: THESPIAN_LOG_LEVEL must be DEBUG, INFO, WARN or ERROR, got \"loud\"'",
        "LOKI_ADDRESS, localhost:3100, 'thespian: LOKI_ADDRESS must be an http:// or https:// URL with a host,"
                + " such as http://localhost:3100, got \"localhost:3100\"'",
        "THESPIAN_ADMIN_TOKEN, s3cret, 'thespian: THESPIAN_ADMIN_TOKEN must be at least 16 characters (e.g. openssl"
                + " rand -hex 16), got \"<hidden, length 6>\"'",
    })
    void aBadVariableExitsWithCode2AndNamesIt(String variable, String value, String message) throws Exception {
        try (ThespianProcess thespian = ThespianProcess.launch(Map.of(variable, value))) {
            assertEquals(2, thespian.awaitExit(EXIT));
            assertEquals(message, thespian.stderr());
        }
    }

    @Test
    void aPortInUseIsAClearErrorNotAStackTrace() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("0.0.0.0", 0));
            try (ThespianProcess thespian = ThespianProcess.launch(Map.of("PORT", Integer.toString(taken.getLocalPort())))) {
                assertEquals(1, thespian.awaitExit(EXIT));
                assertTrue(thespian.stderr().startsWith("thespian: cannot listen on port " + taken.getLocalPort()),
                        thespian.stderr());
                assertNoStackTrace(thespian);
            }
        }
    }

    @Test
    void withNoConfigurationItServesMethodsThatDoNothingAndSaysHowToConfigure() {
        try (ThespianProcess thespian = ThespianProcess.start(Map.of())) {
            thespian.blockingStub().a(Nothing.getDefaultInstance());
            thespian.blockingStub().b(Nothing.getDefaultInstance());
            thespian.blockingStub().c(Nothing.getDefaultInstance());
            String logs = String.join("\n", thespian.stdout());
            assertTrue(logs.contains("serving thespian.Thespian on port " + thespian.port()), logs);
            assertTrue(logs.contains("Set CONFIG_JSON"), logs);
        }
    }

    @Test
    void aTokenWithoutTheAdminServiceIsAStartupWarning() throws InterruptedException {
        try (ThespianProcess thespian = ThespianProcess.start(Map.of("THESPIAN_ADMIN_TOKEN", "0123456789abcdef"))) {
            List<String> lines = thespian.awaitStdout(all -> all.stream().anyMatch(line -> line.contains(
                    "THESPIAN_ADMIN_TOKEN is set but THESPIAN_ADMIN is not true")), EXIT);
            String warning = lines.stream().filter(line -> line.contains("THESPIAN_ADMIN_TOKEN is set")).findFirst()
                    .orElseThrow(() -> new AssertionError("no warning in " + lines));
            assertTrue(warning.contains("\"level\":\"WARN\""), warning);
            assertFalse(warning.contains("0123456789abcdef"), "the token was logged: " + warning);
        }
    }

    @Test
    void logLevelWarnKeepsOnlyTheLinesOfFailures() throws InterruptedException {
        try (ThespianProcess thespian = ThespianProcess.start(Map.of("THESPIAN_LOG_LEVEL", "warn", "CONFIG_JSON", """
                {"grpc_method_a": null,
                 "grpc_method_b": {"tracing_name": "broken", "operations": [
                   {"Action": {"Sleep": {"tracing_name": "fail", "duration_ms": 0, "failure_chance": 1}}}]}}"""))) {
            thespian.blockingStub().a(Nothing.getDefaultInstance());
            try {
                thespian.blockingStub().b(Nothing.getDefaultInstance());
            } catch (StatusRuntimeException expected) {
                // its WARN and ERROR lines are what must remain
            }
            List<String> levels = awaitLines(thespian, 2).stream()
                    .map(line -> line.replaceAll(".*\"level\":\"([A-Z]+)\".*", "$1")).sorted().toList();
            assertEquals(List.of("ERROR", "WARN"), levels, thespian.stdout().toString());
        }
    }

    private static List<String> awaitLines(ThespianProcess thespian, int count) throws InterruptedException {
        return thespian.awaitStdout(lines -> lines.size() >= count, EXIT);
    }

    @Test
    void sigtermLetsCallsInFlightFinishThenExitsZero() throws Exception {
        try (ThespianProcess thespian = ThespianProcess.start(Map.of("CONFIG_JSON", """
                {"grpc_method_a": {"tracing_name": "slow", "operations": [
                  {"Action": {"Sleep": {"tracing_name": "work", "duration_ms": 1000}}}]}}"""))) {
            var inFlight = org.thespian.proto.ThespianGrpc.newFutureStub(thespian.channel()).a(Nothing.getDefaultInstance());
            Thread.sleep(300);
            thespian.terminate();
            inFlight.get(); // completes OK despite the SIGTERM
            assertEquals(0, thespian.awaitExit(EXIT));
            assertFalse(Loopback.listening(thespian.port()));
        }
    }

    @Test
    void healthcheckSubcommandReportsServingAndFailsWhenNothingListens() throws Exception {
        try (InProcessThespian thespian = InProcessThespian.start(Map.of())) {
            String port = Integer.toString(thespian.port());
            try (ThespianProcess check = ThespianProcess.launch(Map.of("PORT", port), "healthcheck")) {
                assertEquals(0, check.awaitExit(EXIT));
                assertEquals("SERVING", String.join("\n", check.stdout()));
            }
        }
        try (ThespianProcess check = ThespianProcess.launch(Map.of("PORT", Integer.toString(ThespianProcess.freePort())),
                "healthcheck")) {
            assertEquals(1, check.awaitExit(EXIT));
        }
    }

    private static void assertNoStackTrace(ThespianProcess thespian) {
        assertFalse(thespian.stderr().contains("\tat "), thespian.stderr());
        assertFalse(thespian.stderr().contains("Exception"), thespian.stderr());
    }
}
