package org.thespian.instrumentation;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.yaml.snakeyaml.Yaml;

/** The repository's files, read as trees. */
final class RepoFiles {

    static final Path ROOT = Path.of(System.getProperty("thespian.basedir", ".")).toAbsolutePath().normalize();

    /** Comments allowed: thespian configs are often .jsonc. */
    private static final ObjectMapper MAPPER = JsonMapper.builder().enable(JsonReadFeature.ALLOW_JAVA_COMMENTS).build();

    private RepoFiles() {
    }

    static Path path(String relative) {
        return ROOT.resolve(relative);
    }

    /**
     * A YAML document as a tree. SnakeYAML, the engine under jackson-dataformat-yaml, builds it: Jackson's own
     * YAML tree leaves the anchors, aliases and merge keys ({@code <<: *x}) that Compose files use unresolved.
     */
    static JsonNode yaml(Path file) {
        try (Reader reader = Files.newBufferedReader(file)) {
            Object document = new Yaml().load(reader);
            assertNotNull(document, () -> file + " is empty");
            return MAPPER.valueToTree(document);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode json(Path file) {
        return json(text(file));
    }

    static JsonNode json(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String text(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Files below {@code dir} whose names end with one of the suffixes, in a stable order. */
    static List<Path> filesEndingWith(Path dir, String... suffixes) {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile)
                    .filter(file -> Stream.of(suffixes).anyMatch(file.getFileName().toString()::endsWith))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
