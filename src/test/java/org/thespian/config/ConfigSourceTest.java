package org.thespian.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ConfigSourceTest {

    private static final String NAMED = "{\"service_name\": \"named\"}";

    @TempDir
    Path dir;

    @Test
    void readsConfigJson() throws ConfigException {
        ConfigSource.LoadedConfig loaded = ConfigSource.load(Map.of("CONFIG_JSON", NAMED, "CONFIG_FILE", " "));

        assertEquals("CONFIG_JSON", loaded.origin());
        assertEquals(Optional.of("named"), loaded.config().serviceName());
    }

    @Test
    void readsConfigFile() throws Exception {
        Path file = write("x.jsonc", "// a comment line\n" + NAMED);

        ConfigSource.LoadedConfig loaded = ConfigSource.load(Map.of("CONFIG_FILE", file.toString()));

        assertEquals("CONFIG_FILE " + file, loaded.origin());
        assertEquals(Optional.of("named"), loaded.config().serviceName());
    }

    @Test
    void toleratesAByteOrderMark() throws Exception {
        Path file = write("bom.json", "\uFEFF" + NAMED);

        assertEquals(Optional.of("named"), ConfigSource.load(Map.of("CONFIG_FILE", file.toString())).config().serviceName());
    }

    @Test
    void withNeitherRunsTheDefaults() throws ConfigException {
        assertEquals(new ConfigSource.LoadedConfig(Config.empty(), "defaults", "{}"), ConfigSource.load(Map.of()));
        assertEquals(new ConfigSource.LoadedConfig(Config.empty(), "defaults", "{}"),
                ConfigSource.load(Map.of("CONFIG_JSON", "", "CONFIG_FILE", "")));
    }

    @Test
    void refusesBoth() throws IOException {
        Path file = write("x.json", NAMED);

        assertError("", "set only one of CONFIG_JSON and CONFIG_FILE, not both",
                Map.of("CONFIG_JSON", NAMED, "CONFIG_FILE", file.toString()));
    }

    @Test
    void prefixesErrorsWithTheOrigin() throws IOException {
        String json = "{\"grpc_method_a\": 1}";
        Path file = write("bad.json", json);

        assertError("grpc_method_a", "CONFIG_JSON: grpc_method_a: expected an object, got 1", Map.of("CONFIG_JSON", json));
        assertError("grpc_method_a", "CONFIG_FILE " + file + ": grpc_method_a: expected an object, got 1",
                Map.of("CONFIG_FILE", file.toString()));
    }

    @Test
    void namesAFileItCannotUse() throws IOException {
        Path missing = dir.resolve("missing.jsonc");
        Path yaml = write("config.yaml", NAMED);
        Path latin1 = dir.resolve("latin1.json");
        Files.write(latin1, "{\"service_name\": \"caf\u00e9\"}".getBytes(StandardCharsets.ISO_8859_1));

        assertError("", "CONFIG_FILE " + missing + ": no such file", Map.of("CONFIG_FILE", missing.toString()));
        assertError("", "CONFIG_FILE " + yaml + ": expected a .json or .jsonc file", Map.of("CONFIG_FILE", yaml.toString()));
        assertError("", "CONFIG_FILE " + latin1 + ": the file is not UTF-8 text", Map.of("CONFIG_FILE", latin1.toString()));
    }

    @Test
    void refusesWhatIsNotARegularFile() throws IOException {
        Path directory = Files.createDirectory(dir.resolve("directory.json"));

        assertError("", "CONFIG_FILE " + directory + ": not a regular file (a FIFO, device or directory cannot be a"
                + " config)", Map.of("CONFIG_FILE", directory.toString()));
    }

    @Test
    void aConfigJsonWhoseQuotesTheShellAteHintsAtQuoting() {
        assertError("", "CONFIG_JSON: invalid JSON at line 1, column 2: the name grpc_method_a is not in double quotes"
                + " (write \"grpc_method_a\") (CONFIG_JSON has no double quotes at all: did the shell remove them?"
                + " Put the whole JSON in single quotes: CONFIG_JSON='{\"grpc_method_a\": null}')",
                Map.of("CONFIG_JSON", "{grpc_method_a:null}"));
    }

    @Test
    void aConfigJsonWithSomeQuotesGetsNoShellHint() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigSource.load(Map.of("CONFIG_JSON", "{\"service_name\": \"a\", grpc_method_a: null}")));

        assertEquals("CONFIG_JSON: invalid JSON at line 1, column 23: the name grpc_method_a is not in double quotes"
                + " (write \"grpc_method_a\")", e.getMessage());
    }

    private Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
    }

    private static void assertError(String path, String message, Map<String, String> env) {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigSource.load(env));

        assertEquals(path, e.path());
        assertEquals(message, e.getMessage());
    }
}
