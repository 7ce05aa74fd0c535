package org.thespian.e2e;

import org.junit.jupiter.api.Test;
import org.thespian.testsupport.ThespianProcess;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@code java -jar thespian.jar schema} prints the schema the build bundled from docs/config.schema.json. */
class SchemaCommandIT {

    @Test
    void theJarPrintsTheSchemaAndExitsZero() throws Exception {
        Path docs = Path.of(System.getProperty("thespian.basedir", "")).toAbsolutePath().resolve("docs/config.schema.json");
        try (ThespianProcess schema = ThespianProcess.launch(Map.of(), "schema")) {
            assertEquals(0, schema.awaitExit(Duration.ofSeconds(30)));
            assertEquals(Files.readString(docs, StandardCharsets.UTF_8).strip(), String.join("\n", schema.stdout()));
            assertEquals("", schema.stderr());
        }
    }
}
