package org.thespian.load;

import java.io.PrintStream;
import java.util.List;

/**
 * {@code java -jar thespian.jar load ...}: runs the load and prints the report; with {@code --report-every}, a
 * report per interval first, each as it ends (with {@code --json}, JSON Lines: one object a line).
 */
public final class LoadCommand {

    private LoadCommand() {
    }

    /**
     * Exit code 0 after a run (whatever the calls answered), 2 with one line on {@code err} for a bad flag.
     * {@code terminal}: a progress line a second on {@code err}.
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
            report = LoadRun.run(options, progress, intervals);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
        out.println(options.json() ? report.toJson().toString() : report.toText());
        return 0;
    }
}
