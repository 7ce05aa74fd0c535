package org.thespian.cli;

import java.io.PrintStream;
import java.util.Map;
import org.thespian.config.ConfigException;
import org.thespian.config.ConfigSource;
import org.thespian.config.ConfigSource.LoadedConfig;

/**
 * {@code thespian validate}: checks CONFIG_JSON or CONFIG_FILE exactly as {@code serve} would, without binding a
 * port, so a config can be tried in CI or before a deploy.
 */
final class Validate {

    private Validate() {
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
