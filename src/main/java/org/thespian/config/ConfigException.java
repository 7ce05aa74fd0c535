package org.thespian.config;

/**
 * A user mistake in the configuration. The message names the JSON path (and, for syntax errors, the line and
 * column) and what is wrong; it is printed as is, never with a stack trace.
 */
public final class ConfigException extends Exception {

    private final String path;

    public ConfigException(String path, String problem) {
        super(path.isEmpty() ? problem : path + ": " + problem);
        this.path = path;
    }

    /** The JSON path of the offending value, e.g. {@code grpc_method_a.operations[1].Action.Sleep.duration_ms}. */
    public String path() {
        return path;
    }
}
