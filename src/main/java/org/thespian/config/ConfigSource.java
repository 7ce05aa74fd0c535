package org.thespian.config;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/** Finds the config in the environment: inline in CONFIG_JSON, in the file named by CONFIG_FILE, or none. */
public final class ConfigSource {

    static final String CONFIG_JSON = "CONFIG_JSON";
    static final String CONFIG_FILE = "CONFIG_FILE";
    static final String DEFAULTS = "defaults";

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
            return TextFile.read(file);
        } catch (TextFile.Unreadable e) {
            throw new ConfigException("", e.getMessage());
        }
    }
}
