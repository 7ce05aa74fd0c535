package org.thespian.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The files in example-configs/, for tests that use them as real-world input. */
final class Examples {

    private Examples() {
    }

    /** Surefire sets {@code thespian.basedir}; an IDE run from the repository root works without it. */
    static Path directory() {
        return Path.of(System.getProperty("thespian.basedir", "")).toAbsolutePath().resolve("example-configs");
    }

    static Path file(String name) {
        return directory().resolve(name);
    }

    /** Every config below example-configs/, the scenarios and cast members in its subfolders included. */
    static List<Path> allBelow() {
        try (Stream<Path> files = Files.walk(directory())) {
            return files.filter(Files::isRegularFile).filter(Examples::isConfig).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The configs at the top of the folder (casts and their member configs are checked by the cast tests). */
    static List<Path> all() {
        try (Stream<Path> files = Files.list(directory())) {
            return files.filter(Files::isRegularFile).filter(Examples::isConfig).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A Thespian config, not a cast file. */
    private static boolean isConfig(Path file) {
        String name = file.getFileName().toString();
        return (name.endsWith(".json") || name.endsWith(".jsonc")) && !name.endsWith(".cast.json");
    }
}
