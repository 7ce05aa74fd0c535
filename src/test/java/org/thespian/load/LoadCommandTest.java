package org.thespian.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.thespian.cli.Commands;

/** The load command's output and its answers to bad flags, in this JVM. */
class LoadCommandTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @Test
    void jsonIsOneDocumentWithCountsByStatusAndPercentiles() throws Exception {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        try (ScriptedServer server = new ScriptedServer(
                (number, answer) -> timer.schedule(answer::ok, 2, TimeUnit.MILLISECONDS))) {
            assertEquals(0, run("--target", "127.0.0.1:" + server.port(), "--rate", "100/s", "--duration", "1s",
                    "--timeout", "2s", "--json"));

            JsonNode report = new ObjectMapper().readTree(out.toString(StandardCharsets.UTF_8));
            assertEquals("open", report.get("mode").asText());
            assertEquals(100, report.get("calls").asLong());
            assertEquals(100, report.get("status_codes").get("OK").asLong());
            assertEquals(0, report.get("errors").asLong());
            assertEquals(2.0, report.get("timeout_s").asDouble());
            JsonNode latency = report.get("latency_ms");
            for (String name : List.of("p50", "p90", "p99", "p99.9", "max")) {
                assertTrue(latency.get(name).asDouble() >= 2, name + " = " + latency.get(name));
            }
            assertTrue(latency.get("p50").asDouble() <= latency.get("p99").asDouble());
            assertEquals("", err.toString(StandardCharsets.UTF_8), "no progress lines without a terminal");
        } finally {
            timer.shutdownNow();
        }
    }

    @Test
    void theTextReportNamesTheLoopAndEachStatusCode() throws Exception {
        try (ScriptedServer server = new ScriptedServer((number, answer) -> answer.ok())) {
            assertEquals(0, run("--target", "localhost:" + server.port(), "--concurrency", "2", "--duration", "300ms"));

            String text = out.toString(StandardCharsets.UTF_8);
            assertTrue(text.startsWith("target      localhost:" + server.port()
                    + " thespian.Thespian/A, closed loop, 2 in flight\n"), text);
            assertTrue(text.contains("\nstatus      OK "), text);
            assertTrue(text.contains("\nlatency     p50 "), text);
        }
    }

    @Test
    void reportEveryWithJsonPrintsAJsonLineAnIntervalThenTheWholeRunsReport() throws Exception {
        try (ScriptedServer server = new ScriptedServer((number, answer) -> answer.ok())) {
            assertEquals(0, run("--target", "127.0.0.1:" + server.port(), "--rate", "100/s", "--duration", "1s",
                    "--report-every", "400ms", "--timeout", "2s", "--json"));

            List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
            assertEquals(4, lines.size(), String.join("\n", lines));
            ObjectMapper json = new ObjectMapper();
            List<JsonNode> intervals = new ArrayList<>();
            for (String line : lines.subList(0, 3)) {
                intervals.add(json.readTree(line));
            }
            JsonNode whole = json.readTree(lines.get(3));
            assertTrue(whole.get("interval") == null && whole.get("interval_s") == null, whole.toString());
            assertEquals(100, whole.get("calls").asLong());
            long calls = 0;
            for (int i = 0; i < intervals.size(); i++) {
                JsonNode interval = intervals.get(i);
                assertEquals(i + 1, interval.get("interval").asLong());
                assertEquals(i < 2 ? 0.4 : 0.2, interval.get("interval_s").asDouble(), 1e-9);
                assertEquals(interval.get("interval_s").asDouble(), interval.get("elapsed_s").asDouble(), 1e-9);
                assertEquals(interval.get("calls").asLong(), interval.get("status_codes").get("OK").asLong());
                assertTrue(interval.get("latency_ms").get("p99").isNumber(), interval.toString());
                calls += interval.get("calls").asLong();
                List<String> fields = new ArrayList<>();
                interval.fieldNames().forEachRemaining(fields::add);
                List<String> wholeFields = new ArrayList<>(List.of("interval", "interval_s"));
                whole.fieldNames().forEachRemaining(wholeFields::add);
                assertEquals(wholeFields, fields, "the run's fields, after interval and interval_s");
            }
            assertEquals(List.of(40L, 40L, 20L), intervals.stream().map(node -> node.get("calls").asLong()).toList());
            assertEquals(whole.get("calls").asLong(), calls);
        }
    }

    @Test
    void reportEveryWithTextPrintsALineAnIntervalBeforeTheFourLineReport() throws Exception {
        try (ScriptedServer server = new ScriptedServer((number, answer) -> answer.ok())) {
            assertEquals(0, run("--target", "127.0.0.1:" + server.port(), "--rate", "50/s", "--duration", "1s",
                    "--report-every", "500ms"));

            List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
            assertEquals(6, lines.size(), String.join("\n", lines));
            assertTrue(lines.get(0).matches("interval 1  0-0\\.5 s  25 calls  50\\.0 calls/s  OK 25  p50 .* max .* ms"),
                    lines.get(0));
            assertTrue(lines.get(1).startsWith("interval 2  0.5-1 s  25 calls  50.0 calls/s  OK 25  p50 "),
                    lines.get(1));
            assertTrue(lines.get(2).startsWith("target "), lines.get(2));
            assertTrue(lines.get(3).startsWith("calls       50 in "), lines.get(3));
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--duration 1s | --target HOST:PORT is required, e.g. --target 127.0.0.1:6379",
        "--target localhost | --target must be HOST:PORT such as 127.0.0.1:6379, got \"localhost\"",
        "--target h:99999 | --target's port must be a whole number from 1 to 65535, got \"99999\"",
        "--target h:1 --method D | --method must be one of A, B, C (methods of thespian.Thespian), got \"D\"",
        "--target h:1 --rate fast | --rate must be calls per second from more than 0 to 1000000, such as 500/s, got \"fast\"",
        "--target h:1 --rate 0/s | --rate must be calls per second from more than 0 to 1000000, such as 500/s, got \"0/s\"",
        "--target h:1 --concurrency 0 | --concurrency must be a whole number from 1 to 100000, got \"0\"",
        "--target h:1 --concurrency 4 --rate 10 | --concurrency (closed loop) and --rate (open loop) exclude each other: give one",
        "--target h:1 --duration 30 | --duration must be a duration such as 500ms, 30s, 10m or 1h, got \"30\"",
        "--target h:1 --duration 0s | --duration must be more than 0",
        "--target h:1 --timeout -1s | --timeout must be a duration such as 500ms, 30s, 10m or 1h, got \"-1s\"",
        "--target h:1 -H novalue | -H must be key=value, got \"novalue\"",
        "--target h:1 -H bad\\key=1 | -H bad\\key: not a valid metadata key (lower-case letters, digits, - _ .)",
        "--target h:1 -H trace-bin=AAA | -H trace-bin: binary (-bin) metadata is not supported",
        "--target h:1 --report-every 50ms | --report-every must be at least 100ms, got \"50ms\"",
        "--target h:1 --report-every often | --report-every must be a duration such as 500ms, 30s, 10m or 1h,"
                + " got \"often\"",
        "--target h:1 --timeout 0s | --timeout must be more than 0, got \"0s\"",
        "--target h:1 --max-in-flight 10 | --max-in-flight bounds an open loop (--rate); a closed loop keeps"
                + " --concurrency calls in flight",
        "--target h:1 --rate 10 --max-in-flight 0 | --max-in-flight must be a whole number from 1 to 100000,"
                + " got \"0\"",
    })
    void aBadFlagExitsWith2AndOneLineNamingIt(String flags, String message) {
        assertEquals(2, run(flags.split(" ")));

        assertEquals("thespian load: " + message + System.lineSeparator(), err.toString(StandardCharsets.UTF_8));
        assertEquals("", out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aFlagTheCommandLineCannotReadExitsWith2AndOneLineNamingIt() {
        for (List<String> flags : List.of(List.of("--target", "h:1", "--qps", "5"),
                List.of("--target", "h:1", "--target", "h:2"), List.of("--target", "h:1", "--duration"))) {
            out.reset();
            err.reset();
            assertEquals(2, run(flags.toArray(String[]::new)));
            assertEquals("", out.toString(StandardCharsets.UTF_8));
            assertEquals(List.of(switch (flags.get(2)) {
                case "--qps" -> "thespian load: unknown option \"--qps\"; see java -jar thespian.jar load --help";
                case "--target" -> "thespian load: option '--target' (HOST:PORT) should be specified only once; see"
                        + " java -jar thespian.jar load --help";
                default -> "thespian load: Missing required parameter for option '--duration' (D); see java -jar"
                        + " thespian.jar load --help";
            }), err.toString(StandardCharsets.UTF_8).lines().toList());
        }
    }

    @Test
    void helpPrintsTheFlags() {
        assertEquals(0, run("--help"));

        assertTrue(out.toString(StandardCharsets.UTF_8).contains("--rate"), out.toString(StandardCharsets.UTF_8));
    }

    /** Through the jar's whole command line, as {@code java -jar thespian.jar load ARGS} runs. */
    private int run(String... args) {
        List<String> command = new ArrayList<>(List.of("load"));
        command.addAll(List.of(args));
        return Commands.commandLine(Map.of())
                .setOut(new PrintWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), true))
                .setErr(new PrintWriter(new OutputStreamWriter(err, StandardCharsets.UTF_8), true))
                .execute(command.toArray(String[]::new));
    }
}
