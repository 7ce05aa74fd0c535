package org.thespian.load;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code java -jar thespian.jar load ...}: runs the load and prints the report; with {@code --report-every}, a
 * report per interval first, each as it ends (with {@code --json}, JSON Lines: one object a line).
 */
@Command(name = "load", description = "Drive load at a Thespian and report throughput, calls by status code and"
        + " latency percentiles (docs/load.md).")
public final class LoadCommand implements Callable<Integer> {

    @Mixin
    LoadFlags flags;

    @Spec
    CommandSpec spec;

    private final boolean terminal;

    /** @param terminal a progress line a second on stderr */
    public LoadCommand(boolean terminal) {
        this.terminal = terminal;
    }

    /**
     * grpc logs every failed connection and name lookup, stack trace included, as JSON lines on stdout among
     * the reports; the tool says itself, in one line, that the target cannot be reached. Held here because
     * java.util.logging keeps its loggers only weakly.
     */
    private static final Logger GRPC_LOG = Logger.getLogger("io.grpc");

    /** For the {@code load} process: grpc's own log lines off. */
    private static void silenceGrpcLogging() {
        LoggerFactory.getILoggerFactory(); // logback's setup resets java.util.logging's levels: it comes first
        GRPC_LOG.setLevel(Level.OFF);
    }

    /**
     * Exit code 0 after a run (whatever the calls answered); 1 with one line on stderr when the target cannot be
     * reached; 2 with one line on stderr for a bad flag. A target that goes away during the run is a line on
     * stderr too.
     */
    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        LoadOptions options;
        try {
            options = LoadOptions.of(flags);
        } catch (LoadOptions.BadFlag e) {
            err.println("thespian load: " + e.getMessage());
            return 2;
        }
        silenceGrpcLogging();
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
        out.flush();
        return 0;
    }
}
