package org.thespian.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.thespian.testsupport.Loopback;
import org.thespian.testsupport.ThespianProcess;

/** {@code java -jar thespian.jar load} as a separate process: its exit codes and what it prints. */
@Execution(ExecutionMode.CONCURRENT) // each test starts processes of its own
class LoadCommandIT {

    private static final Duration EXIT = Duration.ofSeconds(60);

    @Test
    void loadWithJsonPrintsOneDocumentOnStdoutAndExits0() throws Exception {
        try (ScriptedServer server = new ScriptedServer((number, answer) -> answer.ok());
                ThespianProcess load = ThespianProcess.launch(Map.of(), "load", "--target",
                        "127.0.0.1:" + server.port(), "--method", "A", "--rate", "50/s", "--duration", "1s",
                        "--timeout", "2s", "-H", "thespian-fault=none", "--json")) {
            assertEquals(0, load.awaitExit(EXIT), load.stderr());

            assertEquals(1, load.stdout().size(), String.join("\n", load.stdout()));
            JsonNode report = new ObjectMapper().readTree(load.stdout().get(0));
            // every call due is counted, finished or (on a starved machine) not
            assertEquals(50, report.get("calls").asLong() + report.get("unfinished").asLong(), report.toString());
            assertEquals(report.get("calls").asLong(), report.get("status_codes").get("OK").asLong());
            assertTrue(server.calls() >= report.get("calls").asLong());
            assertTrue(report.get("latency_ms").get("p99").asDouble() > 0, report.toString());
            assertEquals("", load.stderr(), "no progress lines when stderr is not a terminal");
        }
    }

    @Test
    void reportEveryStreamsOneJsonLineAnIntervalThroughThePipeWhileTheRunGoesOn() throws Exception {
        try (ScriptedServer server = new ScriptedServer((number, answer) -> answer.ok());
                ThespianProcess load = ThespianProcess.launch(Map.of(), "load", "--target",
                        "127.0.0.1:" + server.port(), "--rate", "100/s", "--duration", "4s", "--report-every", "500ms",
                        "--timeout", "2s", "--json")) {
            load.awaitStdout(lines -> !lines.isEmpty(), EXIT);
            // the first interval ends half a second into a 4 s run: its line is out long before the process ends
            assertTrue(load.isAlive() && !load.stdout().isEmpty(), "no interval line while the run went on: "
                    + load.stdout());
            assertEquals(0, load.awaitExit(EXIT), load.stderr());

            List<String> lines = load.stdout();
            assertEquals(9, lines.size(), String.join("\n", lines));
            ObjectMapper json = new ObjectMapper();
            long calls = 0;
            for (int i = 0; i < 8; i++) {
                JsonNode interval = json.readTree(lines.get(i));
                assertEquals(i + 1, interval.get("interval").asLong(), interval.toString());
                assertEquals(0.5, interval.get("interval_s").asDouble(), interval.toString());
                calls += interval.get("calls").asLong() + interval.get("unfinished").asLong();
            }
            JsonNode whole = json.readTree(lines.get(8));
            assertEquals(400, whole.get("calls").asLong() + whole.get("unfinished").asLong(), whole.toString());
            assertEquals(400, calls);
        }
    }

    @Test
    void aTargetThatRefusesConnectionsIsOneLineOnStderrAndExit1() throws Exception {
        int port = Loopback.closedPort().getPort();
        try (ThespianProcess load = ThespianProcess.launch(Map.of(), "load", "--target", "127.0.0.1:" + port,
                "--duration", "30s", "--json")) {
            assertEquals(1, load.awaitExit(EXIT));

            assertEquals("thespian load: cannot reach 127.0.0.1:" + port + ": Connection refused", load.stderr());
            assertEquals(List.of(), load.stdout(), "no report, no log lines");
        }
    }

    @Test
    void aTargetThatDoesNotResolveIsOneLineOnStderrAndExit1() throws Exception {
        try (ThespianProcess load = ThespianProcess.launch(Map.of(), "load", "--target", "no-such-host.invalid:6379",
                "--duration", "30s", "--report-every", "1s", "--json")) {
            assertEquals(1, load.awaitExit(EXIT));

            assertTrue(load.stderr().matches("thespian load: cannot reach no-such-host\\.invalid:6379: unknown host"
                    + " \\([^\n]*\\)"), load.stderr());
            assertEquals(List.of(), load.stdout(), "no report and no grpc log line with a stack trace");
        }
    }

    @Test
    void aBadFlagExitsWith2AndOneLineOnStderr() throws Exception {
        try (ThespianProcess load = ThespianProcess.launch(Map.of(), "load", "--target", "127.0.0.1:1",
                "--rate", "lots")) {
            assertEquals(2, load.awaitExit(EXIT));

            assertEquals("thespian load: --rate must be calls per second from more than 0 to 1000000, such as 500/s,"
                    + " got \"lots\"", load.stderr());
            assertEquals(List.of(), load.stdout());
        }
    }
}
