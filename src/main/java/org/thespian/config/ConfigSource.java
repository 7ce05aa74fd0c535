package org.thespian.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/** Finds the config in the environment: inline in CONFIG_JSON, in the file named by CONFIG_FILE, or none. */
public final class ConfigSource {

    static final String CONFIG_JSON = "CONFIG_JSON";
    static final String CONFIG_FILE = "CONFIG_FILE";
    static final String DEFAULTS = "defaults";
    static final int MAX_FILE_BYTES = 64 << 20;

    /**
     * @param origin where the config came from, for logs: {@code CONFIG_JSON}, {@code CONFIG_FILE <path>} or
     *               {@code defaults}
     * @param text   the document as written (comments included), which the admin service's GetConfig shows
     */
    public record LoadedConfig(Config config, String origin, String text) {
    }

    private ConfigSource() {
    }

    /** Errors are prefixed with the origin, e.g. {@code CONFIG_FILE x.jsonc: grpc_method_a.operations: ...}. */
    public static LoadedConfig load(Map<String, String> env) throws ConfigException {
        // Blank counts as unset, as usual for env vars that deployment templates always set.
        String json = env.getOrDefault(CONFIG_JSON, "");
        String file = env.getOrDefault(CONFIG_FILE, "");
        if (!json.isBlank() && !file.isBlank()) {
            throw new ConfigException("", "set only one of " + CONFIG_JSON + " and " + CONFIG_FILE + ", not both");
        }
        if (!json.isBlank()) {
            try {
                return load(CONFIG_JSON, () -> json);
            } catch (ConfigException e) {
                throw withoutQuotes(json) ? e.withHint(SHELL_QUOTING_HINT) : e;
            }
        }
        if (!file.isBlank()) {
            return load(CONFIG_FILE + " " + file, () -> read(Path.of(file)));
        }
        return new LoadedConfig(Config.empty(), DEFAULTS, "{}");
    }

    /**
     * JSON with members but without a double quote anywhere is what a shell leaves of
     * {@code CONFIG_JSON={"grpc_method_a":null}}: it took the quotes as its own.
     */
    private static boolean withoutQuotes(String json) {
        return json.indexOf('"') < 0 && json.indexOf(':') >= 0;
    }

    static final String SHELL_QUOTING_HINT = "CONFIG_JSON has no double quotes at all: did the shell remove them?"
            + " Put the whole JSON in single quotes: CONFIG_JSON='{\"grpc_method_a\": null}'";

    private interface Text {
        String read() throws ConfigException;
    }

    private static LoadedConfig load(String origin, Text text) throws ConfigException {
        try {
            String document = text.read();
            return new LoadedConfig(ConfigParser.parse(document), origin, document);
        } catch (ConfigException e) {
            throw e.withOrigin(origin);
        }
    }

    private static String read(Path file) throws ConfigException {
        String name = file.toString().toLowerCase(Locale.ROOT);
        if (!name.endsWith(".json") && !name.endsWith(".jsonc")) {
            throw new ConfigException("", "expected a .json or .jsonc file");
        }
        try {
            // A FIFO would block the read and a link to /dev/zero would never end: only regular files, bounded.
            if (!Files.isRegularFile(file)) {
                throw new ConfigException("", Files.exists(file)
                        ? "not a regular file (a FIFO, device or directory cannot be a config)" : "no such file");
            }
            String text = decode(readAtMost(file, MAX_FILE_BYTES));
            // Some editors save UTF-8 with a byte-order mark, which is not JSON.
            return text.startsWith("\uFEFF") ? text.substring(1) : text;
        } catch (NoSuchFileException e) {
            throw new ConfigException("", "no such file");
        } catch (CharacterCodingException e) {
            throw new ConfigException("", "the file is not UTF-8 text");
        } catch (IOException e) {
            throw new ConfigException("", "cannot read the file: " + e);
        }
    }

    private static byte[] readAtMost(Path file, int limit) throws IOException, ConfigException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] bytes = in.readNBytes(limit + 1);
            if (bytes.length > limit) {
                throw new ConfigException("", "the file is larger than the limit of " + (limit >> 20) + " MB");
            }
            return bytes;
        }
    }

    private static String decode(byte[] bytes) throws CharacterCodingException {
        return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
    }
}
