package org.thespian.cli;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.thespian.cast.Cast;
import org.thespian.cast.CastException;
import org.thespian.cast.CastParser;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cast FILE}: every member in this JVM until SIGTERM or Ctrl-C. {@code cast FILE --emit
 * compose|kubernetes [--out DIR]}: the same cast for Compose or Kubernetes.
 */
@Command(name = "cast", description = {
    "Run every member of a .cast.yaml/.cast.json in this JVM until SIGTERM or Ctrl-C, with the live view on"
            + " 127.0.0.1:8080 or the next free port; or, with --emit, write the cast for Compose or Kubernetes"
            + " (docs/casts.md)."})
final class CastCommand implements Callable<Integer> {

    @Parameters(paramLabel = "FILE", description = "The cast file.")
    Path file;

    @Option(names = "--ui", paramLabel = "HOST:PORT|off", description = "Where the live view listens, or off.")
    String ui;

    @Option(names = "--emit", paramLabel = "compose|kubernetes", completionCandidates = CastOptions.EmitValues.class,
            description = "Write the cast for Compose or Kubernetes instead of running it (to stdout without --out).")
    String emit;

    @Option(names = "--out", paramLabel = "PATH", description = "With --emit: the file or folder to write.")
    Path out;

    @Option(names = "--otel-backend-address", paramLabel = "URL", description = "With --emit: where the members"
            + " send traces and metrics (default: " + CastOptions.STACK_COLLECTOR_TEXT + ").")
    String otelBackendAddress;

    @Option(names = "--loki-address", paramLabel = "URL", description = "With --emit: where the members push logs"
            + " (default: " + CastOptions.STACK_LOKI_TEXT + ").")
    String lokiAddress;

    @Option(names = "--image", paramLabel = "IMAGE", description = "With --emit kubernetes: the image to run"
            + " (default: " + CastOptions.LOCAL_IMAGE + ").")
    String image;

    private final Map<String, String> env;

    CastCommand(Map<String, String> env) {
        this.env = env;
    }

    @Override
    public Integer call() {
        try {
            CastOptions options = CastOptions.of(file, Optional.ofNullable(emit), Optional.ofNullable(out),
                    Optional.ofNullable(otelBackendAddress), Optional.ofNullable(lokiAddress),
                    Optional.ofNullable(image), Optional.ofNullable(ui));
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
