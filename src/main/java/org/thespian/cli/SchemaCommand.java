package org.thespian.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * {@code java -jar thespian.jar schema}: prints the JSON Schema (draft 2020-12) of the config language, so editors
 * can complete and check configs. The build copies docs/config.schema.json, the one source of it, into the jar.
 */
@Command(name = "schema", description = "Print the JSON Schema of CONFIG_JSON (docs/config.schema.json).")
final class SchemaCommand implements Callable<Integer> {

    private static final String RESOURCE = "config.schema.json";

    @Override
    public Integer call() {
        return run(System.out);
    }

    static int run(PrintStream out) {
        out.print(schema());
        out.flush();
        return Main.EXIT_OK;
    }

    static String schema() {
        try (InputStream schema = SchemaCommand.class.getResourceAsStream(RESOURCE)) {
            if (schema == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the jar: the build copies it from docs/");
            }
            return new String(schema.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
