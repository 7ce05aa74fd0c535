package org.thespian.config;

import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A user mistake in the configuration. The message names where the config came from (when known), the JSON path
 * (and, for syntax errors, the line and column) and what is wrong; it is printed as is, never with a stack trace.
 */
public final class ConfigException extends Exception {

    private final String origin;
    private final String path;
    private final String problem;

    public ConfigException(String path, String problem) {
        this("", path, problem);
    }

    private ConfigException(String origin, String path, String problem) {
        super(Stream.of(origin, path, problem).filter(part -> !part.isEmpty()).collect(Collectors.joining(": ")));
        this.origin = origin;
        this.path = path;
        this.problem = problem;
    }

    /** This error as reported for a config from {@code origin}, e.g. {@code CONFIG_FILE x.jsonc}: same path, prefixed message. */
    public ConfigException withOrigin(String origin) {
        return new ConfigException(origin, path, problem);
    }

    /** This error with advice on what probably caused it, e.g. {@code ...: got x (did the shell remove quotes?)}. */
    ConfigException withHint(String hint) {
        return new ConfigException(origin, path, problem + " (" + hint + ")");
    }

    /** The JSON path of the offending value, e.g. {@code grpc_method_a.operations[1].Action.Sleep.duration_ms}. */
    public String path() {
        return path;
    }
}
