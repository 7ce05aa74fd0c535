package org.thespian.config;

import java.util.Map;

/** TEMPORARY STUB until the parser branch lands. */
public final class ConfigSource {
    public record LoadedConfig(Config config, String origin) {
    }

    public static LoadedConfig load(Map<String, String> env) throws ConfigException {
        return new LoadedConfig(Config.empty(), "defaults");
    }
}
