package org.thespian.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.thespian.testsupport.ThespianProcess;

/**
 * Every file the jar is given by name is read as CONFIG_FILE is: a FIFO (which would block the read forever) or a
 * link to /dev/zero (which would never end) is refused at once, exit 2 and one line naming the file.
 */
@Execution(ExecutionMode.CONCURRENT) // each test starts processes of its own
class FileInputsIT {

    /** A JVM's start on a busy machine; a FIFO that blocked the read would never end at all. */
    private static final Duration EXIT = Duration.ofSeconds(60);
    private static final String NOT_REGULAR = ": not a regular file (a FIFO, device or directory cannot be a config)";

    @TempDir
    Path dir;

    /** A FIFO, or a link to /dev/zero, named {@code name}. */
    private Path special(String kind, String name) throws IOException, InterruptedException {
        Path path = dir.resolve(name);
        if (kind.equals("fifo")) {
            assertEquals(0, new ProcessBuilder("mkfifo", path.toString()).start().waitFor());
            return path;
        }
        return Files.createSymbolicLink(path, Path.of("/dev/zero"));
    }

    private static void assertRefused(String expectedLine, String... args) throws InterruptedException {
        try (ThespianProcess process = ThespianProcess.launch(Map.of(), args)) {
            assertEquals(2, process.awaitExit(EXIT), process.stderr());
            assertEquals(expectedLine, process.stderr());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"fifo", "zero"})
    void aCastFileThatIsNotARegularFileIsRefused(String kind) throws Exception {
        Path cast = special(kind, "special.cast.yaml");
        assertRefused("thespian: " + cast + NOT_REGULAR, "cast", cast.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"fifo", "zero"})
    void aMemberConfigThatIsNotARegularFileIsRefused(String kind) throws Exception {
        special(kind, "api.json");
        Path cast = Files.writeString(dir.resolve("one.cast.yaml"), """
                name: one
                members:
                  - {name: api, port: 7000, config: api.json}
                """);
        assertRefused("thespian: " + cast + ": member \"api\": members[0].config: api.json" + NOT_REGULAR, "cast",
                cast.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"fifo", "zero"})
    void anAdminSetConfigFileThatIsNotARegularFileIsRefused(String kind) throws Exception {
        Path file = special(kind, "new.json");
        assertRefused("thespian: admin: set-config " + file + NOT_REGULAR, "admin", "--target", "127.0.0.1:1",
                "set-config", file.toString());
    }

    /** Larger than the 1 MiB SetConfig took before and than gRPC's default 4 MiB for a message. */
    @Test
    void adminGetConfigReadsBackALargeConfigThatSetConfigTook() throws Exception {
        Path large = Files.writeString(dir.resolve("large.jsonc"), "// " + "padding ".repeat(5 << 17) + "\n"
                + "{\"grpc_method_a\": null}");
        try (ThespianProcess thespian = ThespianProcess.start(Map.of("THESPIAN_ADMIN", "true"))) {
            String target = "127.0.0.1:" + thespian.port();
            try (ThespianProcess set = ThespianProcess.launch(Map.of(), "admin", "--target", target, "set-config",
                    large.toString())) {
                assertEquals(0, set.awaitExit(EXIT), set.stderr());
                assertEquals(List.of("revision 2"), set.stdout());
            }
            try (ThespianProcess get = ThespianProcess.launch(Map.of(), "admin", "--target", target, "get-config")) {
                assertEquals(0, get.awaitExit(EXIT), get.stderr());
                assertEquals(Files.readAllLines(large), get.stdout());
            }
        }
    }
}
