package org.thespian.cli;

import ch.qos.logback.classic.Level;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.thespian.cast.CallOutcomes;
import org.thespian.cast.Cast;
import org.thespian.cast.CastException;
import org.thespian.cast.CastParser;
import org.thespian.cast.CastParser.MemberConfigText;
import org.thespian.cast.FreePorts;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;
import org.thespian.telemetry.Telemetry;
import org.thespian.telemetry.logging.LoggingSetup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code demo}: the built-in shop cast (example-configs/shop.cast.yaml) on free ports, a few requests to its
 * entrance, each trace tree, and a summary per service. {@code demo --serve} runs it on its own ports until
 * Ctrl-C, for grpcurl and Grafana.
 */
@Command(name = "demo", description = {
    "Run the built-in shop cast on free ports, send it a few requests, print their traces and a summary.",
    "With --serve, keep it running on ports 6379-6383 until Ctrl-C, with the live view."})
final class DemoCommand implements Callable<Integer> {

    private static final String BUNDLE = "/org/thespian/cast/demo/";
    private static final String CAST_FILE = "shop.cast.yaml";
    private static final int REQUESTS = 8;
    private static final Duration REQUEST_DEADLINE = Duration.ofSeconds(10);
    private static final Duration GRACE = Duration.ofSeconds(2);

    @Option(names = "--serve", description = "Keep the cast running on its own ports until Ctrl-C.")
    boolean serve;

    @Option(names = "--ui", paramLabel = "HOST:PORT|off", description = "With --serve: where the live view"
            + " listens (default 127.0.0.1:8080 or the next free port), or off.")
    String ui;

    @Spec
    CommandSpec spec;

    private final Map<String, String> env;

    DemoCommand(Map<String, String> env) {
        this.env = env;
    }

    @Override
    public Integer call() {
        if (ui != null && !serve) {
            throw Commands.usage(spec, "--ui goes with --serve");
        }
        try {
            Cast shop = bundledCast();
            if (serve) {
                return CastRunner.serveUntilSignalled(CastRunner.check(shop, env, Optional.ofNullable(ui)));
            }
            return playOnce(CastRunner.check(onFreePorts(shop), env));
        } catch (CastRunner.InvalidEnvironment e) {
            return Main.usageError(e.getMessage());
        }
    }

    private static int playOnce(CastRunner.Checked checked) {
        // The trace trees and the summary tell the story; per-request log lines would bury them.
        LoggingSetup.configure(checked.cast().name(), checked.process().runtime().instanceId(), Optional.empty());
        LoggingSetup.setLevel(Level.OFF);
        Map<String, CallOutcomes> outcomes = new LinkedHashMap<>();
        checked.cast().members().forEach(member -> outcomes.put(member.name(), new CallOutcomes()));
        return CastRunner.whileRunning(checked, true, member -> List.of(outcomes.get(member.name())), running -> {
            Cast.Member entrance = checked.cast().members().get(0);
            System.out.printf(Locale.ROOT, "%nSending %d requests to %s (thespian.Thespian/A); each answer follows"
                    + " its trace tree.%n", REQUESTS, entrance.name());
            System.out.flush();
            sendRequests(entrance.port(), running.telemetry());
            System.out.println();
            System.out.print(summary(outcomes));
            running.stop(Duration.ZERO, GRACE);
        });
    }

    private static void sendRequests(int port, Telemetry telemetry) {
        ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", port,
                InsecureChannelCredentials.create()).build();
        try {
            for (int i = 1; i <= REQUESTS; i++) {
                long start = System.nanoTime();
                String outcome;
                try {
                    ThespianGrpc.newBlockingStub(channel)
                            .withDeadlineAfter(REQUEST_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                            .a(Nothing.getDefaultInstance());
                    outcome = "OK";
                } catch (StatusRuntimeException e) {
                    Status status = e.getStatus();
                    outcome = status.getCode() + (status.getDescription() == null ? "" : ": " + status.getDescription());
                }
                // Trees go to stderr from their own thread; let this request's be printed before its answer's line.
                double millis = (System.nanoTime() - start) / 1e6;
                telemetry.flushTraces();
                System.err.flush();
                System.out.printf(Locale.ROOT, "request %d: %s in %.1f ms%n%n", i, outcome, millis);
                System.out.flush();
            }
        } finally {
            channel.shutdownNow();
        }
    }

    static String summary(Map<String, CallOutcomes> outcomes) {
        String row = "%-12s %6s  %-28s %9s %9s%n";
        StringBuilder text = new StringBuilder(String.format(Locale.ROOT, row,
                "service", "calls", "failures", "p50 ms", "p99 ms"));
        outcomes.forEach((service, calls) -> {
            String failures = calls.failures().entrySet().stream()
                    .map(entry -> entry.getKey() + " " + entry.getValue()).collect(Collectors.joining(", "));
            text.append(String.format(Locale.ROOT, row, service, calls.calls(), failures.isEmpty() ? "-" : failures,
                    String.format(Locale.ROOT, "%.1f", calls.percentileMillis(50)),
                    String.format(Locale.ROOT, "%.1f", calls.percentileMillis(99))));
        });
        return text.toString();
    }

    /** The shop cast bundled in the jar, with its member configs. */
    static Cast bundledCast() {
        try {
            return CastParser.parse(CAST_FILE, CastParser.resource(BUNDLE + CAST_FILE),
                    relative -> new MemberConfigText(CastParser.resource(BUNDLE + relative), Optional.empty()));
        } catch (IOException e) {
            throw new UncheckedIOException("the jar lacks the demo cast", e);
        } catch (CastException e) {
            throw new IllegalStateException("the bundled demo cast is broken: " + e.getMessage(), e);
        }
    }

    /** So the demo runs beside anything already on 6379: ports the system has just handed out as free. */
    private static Cast onFreePorts(Cast cast) {
        return cast.withPorts(FreePorts.take(cast.members().size())::get);
    }

}
