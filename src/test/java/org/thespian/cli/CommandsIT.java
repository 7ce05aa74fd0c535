package org.thespian.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.thespian.testsupport.ThespianProcess;

/** The jar's commands besides serving, with their exit codes and output as a shell sees them. */
@Execution(ExecutionMode.CONCURRENT) // each test starts processes of its own
class CommandsIT {

    private static final Duration EXIT = Duration.ofSeconds(30);

    @Test
    void versionPrintsTheMavenProjectVersion() throws Exception {
        try (ThespianProcess version = ThespianProcess.launch(Map.of(), "--version")) {
            assertEquals(0, version.awaitExit(EXIT), version.stderr());
            assertEquals(List.of("thespian " + System.getProperty("thespian.version")), version.stdout());
        }
    }

    @Test
    void validateExitsZeroWithASummaryOrTwoWithTheError() throws Exception {
        try (ThespianProcess valid = ThespianProcess.launch(Map.of("CONFIG_JSON", "{\"grpc_method_a\": null}"), "validate")) {
            assertEquals(0, valid.awaitExit(EXIT), valid.stderr());
            assertEquals(List.of("thespian: CONFIG_JSON is valid: A: answers OK at once; B: answers OK at once;"
                    + " C: answers OK at once"), valid.stdout());
        }
        try (ThespianProcess invalid = ThespianProcess.launch(Map.of("CONFIG_JSON", "{\"service_name\": \"a\",}"),
                "validate")) {
            assertEquals(2, invalid.awaitExit(EXIT));
            assertEquals("thespian: CONFIG_JSON: invalid JSON at line 1, column 21: trailing comma"
                    + " (JSON allows no comma after the last member)", invalid.stderr());
            assertTrue(invalid.stdout().isEmpty(), invalid.stdout().toString());
        }
    }

    @Test
    void helpExitsZeroAndAMistypedFlagExitsTwoWithOneLineOnStderr() throws Exception {
        try (ThespianProcess help = ThespianProcess.launch(Map.of(), "cast", "--help")) {
            assertEquals(0, help.awaitExit(EXIT), help.stderr());
            assertTrue(help.stdout().get(0).startsWith("Usage: java -jar thespian.jar cast "), help.stdout().toString());
        }
        try (ThespianProcess typo = ThespianProcess.launch(Map.of(), "cast", "example-configs/shop.cast.yaml",
                "--emitt=compose")) {
            assertEquals(2, typo.awaitExit(EXIT));
            assertEquals("thespian cast: unknown option \"--emitt\"; did you mean --emit?", typo.stderr());
            assertTrue(typo.stdout().isEmpty(), typo.stdout().toString());
        }
    }
}
