package org.thespian.cli;

import java.util.List;
import java.util.Map;
import org.thespian.cast.Cast;
import org.thespian.cast.CastException;
import org.thespian.cast.CastParser;

/**
 * {@code cast FILE}: every member in this JVM until SIGTERM or Ctrl-C. {@code cast FILE --emit
 * compose|kubernetes [--out DIR]}: the same cast for Compose or Kubernetes.
 */
final class CastCommand {

    private CastCommand() {
    }

    static int run(List<String> args, Map<String, String> env) {
        try {
            CastOptions options = CastOptions.parse(args);
            Cast cast = CastParser.parse(options.file());
            if (options.emit().isPresent()) {
                return Generate.run(cast, options);
            }
            return CastRunner.serveUntilSignalled(CastRunner.check(cast, env, options.ui()));
        } catch (CastOptions.Invalid | CastException | CastRunner.InvalidEnvironment e) {
            return Main.usageError(e.getMessage());
        }
    }
}
