package org.thespian.load;

import java.io.PrintStream;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code java -jar thespian.jar load ...}: runs the load and prints the report; with {@code --report-every}, a
 * report per interval first, each as it ends (with {@code --json}, JSON Lines: one object a line).
 */
public final class LoadCommand {

    private LoadCommand() {
    }

    /**
     * grpc logs every failed connection and name lookup, stack trace included, as JSON lines on stdout among
     * the reports; the tool says itself, in one line, that the target cannot be reached. Held here because
     * java.util.logging keeps its loggers only weakly.
     */
    private static final Logger GRPC_LOG = Logger.getLogger("io.grpc");

    /** For the {@code load} process: grpc's own log lines off. */
    public static void silenceGrpcLogging() {
        LoggerFactory.getILoggerFactory(); // logback's setup resets java.util.logging's levels: it comes first
        GRPC_LOG.setLevel(Level.OFF);
    }

    /**
     * Exit code 0 after a run (whatever the calls answered); 1 with one line on {@code err} when the target
     * cannot be reached; 2 with one line on {@code err} for a bad flag. {@code terminal}: a progress line a
     * second on {@code err}. A target that goes away during the run is a line on {@code err} too.
     */
    public static int run(List<String> args, PrintStream out, PrintStream err, boolean terminal) {
        if (args.contains("--help") || args.contains("-h")) {
            out.println(LoadOptions.USAGE);
            return 0;
        }
        LoadOptions options;
        try {
            options = LoadOptions.parse(args);
        } catch (LoadOptions.BadFlag e) {
            err.println("thespian load: " + e.getMessage());
            return 2;
        }
        Progress.Listener progress = terminal ? second -> err.println(second.line()) : Progress.Listener.NONE;
        IntervalReport.Listener intervals = interval -> {
            out.println(options.json() ? interval.toJson().toString() : interval.line());
            out.flush(); // a reader of a pipe sees each interval as it ends
        };
        LoadReport report;
        try {
            report = LoadRun.run(options, progress, intervals, err::println);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        } catch (LoadRun.Unreachable e) {
            err.println("thespian load: " + e.getMessage());
            return 1;
        }
        out.println(options.json() ? report.toJson().toString() : report.toText());
        return 0;
    }
}
