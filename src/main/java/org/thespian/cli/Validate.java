package org.thespian.cli;

import java.io.PrintStream;
import java.util.Map;
import java.util.concurrent.Callable;
import org.thespian.config.ConfigException;
import org.thespian.config.ConfigSource;
import org.thespian.config.ConfigSource.LoadedConfig;
import picocli.CommandLine.Command;

/**
 * {@code thespian validate}: checks CONFIG_JSON or CONFIG_FILE exactly as {@code serve} would, without binding a
 * port, so a config can be tried in CI or before a deploy.
 */
@Command(name = "validate", description = "Check CONFIG_JSON (or CONFIG_FILE) without serving: exit 0 with a"
        + " summary, or 2 with the error.")
final class Validate implements Callable<Integer> {

    private final Map<String, String> env;

    Validate(Map<String, String> env) {
        this.env = env;
    }

    @Override
    public Integer call() {
        return run(env, System.out, System.err);
    }

    /** Exit code 0 with one line saying what the config does, or 2 with one line saying what is wrong. */
    static int run(Map<String, String> env, PrintStream out, PrintStream err) {
        try {
            LoadedConfig loaded = ConfigSource.load(env);
            out.println("thespian: " + loaded.origin() + " is valid: " + ConfigSummary.of(loaded.config()));
            return Main.EXIT_OK;
        } catch (ConfigException e) {
            err.println("thespian: " + e.getMessage());
            return Main.EXIT_USAGE;
        }
    }
}
