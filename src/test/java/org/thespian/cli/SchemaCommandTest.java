package org.thespian.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The schema the command prints is docs/config.schema.json, byte for byte. */
class SchemaCommandTest {

    @Test
    void printsDocsConfigSchemaJson() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();

        int exitCode = SchemaCommand.run(new PrintStream(out, true, StandardCharsets.UTF_8));

        assertEquals(Main.EXIT_OK, exitCode);
        assertEquals(Files.readString(schemaFile(), StandardCharsets.UTF_8), out.toString(StandardCharsets.UTF_8));
    }

    static Path schemaFile() {
        return Path.of(System.getProperty("thespian.basedir", "")).toAbsolutePath().resolve("docs/config.schema.json");
    }
}
