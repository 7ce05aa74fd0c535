package org.thespian.load;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The load tool's flags as given: picocli reads them, {@link LoadOptions#of} checks them. */
final class LoadFlags {

    @Option(names = "--target", paramLabel = "HOST:PORT", description = "The Thespian (or any thespian.Thespian"
            + " server) to call, such as 127.0.0.1:6379 (required).")
    String target;

    @Option(names = "--method", paramLabel = "A|B|C", completionCandidates = MethodNames.class,
            description = "The method to call (default A).")
    String method;

    @Option(names = "--concurrency", paramLabel = "N", description = "Closed loop: keep N calls in flight, each"
            + " answer starts the next (default " + LoadOptions.DEFAULT_CONCURRENCY + ").")
    String concurrency;

    @Option(names = "--rate", paramLabel = "R/s", description = "Open loop: start R calls per second whatever the"
            + " answers (such as 500/s); latency counts from each call's intended send time (coordinated-omission"
            + " correction).")
    String rate;

    @Option(names = "--duration", paramLabel = "D", description = "How long to measure: 500ms, 30s, 10m, 1h"
            + " (default 10s).")
    String duration;

    @Option(names = "--warmup", paramLabel = "D", description = "Run the same load this long first, unmeasured"
            + " (default 0s).")
    String warmup;

    @Option(names = "--timeout", paramLabel = "D", description = "The deadline of each call (default: none).")
    String timeout;

    @Option(names = "-H", paramLabel = "key=value", description = "Request metadata, repeatable, such as"
            + " -H thespian-fault=...")
    List<String> headers = new ArrayList<>();

    @Option(names = "--connections", paramLabel = "N", description = "HTTP/2 connections to spread the calls over"
            + " (default 1).")
    String connections;

    @Option(names = "--max-in-flight", paramLabel = "N", description = "Open loop: a call due while this many are"
            + " unanswered is not sent, and counted as not sent, so a target slower than --rate cannot pile up"
            + " calls in the client without bound (default " + LoadOptions.DEFAULT_MAX_IN_FLIGHT + ").")
    String maxInFlight;

    @Option(names = "--json", description = "Print one JSON document instead of the text report.")
    boolean json;

    @Option(names = "--report-every", paramLabel = "D", description = "Also report each interval this long (such"
            + " as 30s) as it ends: the calls due in it; one line each (with --json a JSON object with \"interval\""
            + " and \"interval_s\"), then the report of the whole run.")
    String reportEvery;

    /** What {@code --method} takes, for the completion script. */
    static final class MethodNames extends ArrayList<String> {
        MethodNames() {
            super(LoadOptions.methodNames());
        }
    }
}
