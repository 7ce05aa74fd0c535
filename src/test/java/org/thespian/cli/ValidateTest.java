package org.thespian.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code validate} says in one line what a config does, or what is wrong with it, and never serves. */
class ValidateTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @Test
    void aValidConfigFileExitsZeroWithItsSummary() {
        Path standalone = Path.of(System.getProperty("thespian.basedir", ""), "example-configs", "standalone.jsonc");

        assertEquals(0, validate(Map.of("CONFIG_FILE", standalone.toString())));
        assertEquals("", text(err));
        assertEquals(1, text(out).lines().count(), text(out));
        assertTrue(text(out).startsWith("thespian: CONFIG_FILE " + standalone + " is valid: A: \"place order\""), text(out));
    }

    @Test
    void anInvalidConfigJsonExitsTwoNamingTheProblem() {
        assertEquals(2, validate(Map.of("CONFIG_JSON", "{\"grpc_method_d\": null}")));
        assertEquals("", text(out));
        assertEquals(1, text(err).lines().count(), text(err));
        assertTrue(text(err).startsWith("thespian: CONFIG_JSON: unknown key \"grpc_method_d\""), text(err));
    }

    @Test
    void withoutAConfigItSaysTheDefaultsApply() {
        assertEquals(0, validate(Map.of()));
        assertEquals("thespian: defaults is valid: A: answers OK at once; B: answers OK at once; C: answers OK at once\n",
                text(out));
    }

    private int validate(Map<String, String> env) {
        return Validate.run(env, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private static String text(ByteArrayOutputStream stream) {
        return stream.toString(StandardCharsets.UTF_8);
    }
}
