package org.thespian.cli;

import io.opentelemetry.sdk.trace.SpanProcessor;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.thespian.server.OutOfMemoryExit;
import org.thespian.server.ServerGroup;
import org.thespian.telemetry.Telemetry;
import org.thespian.telemetry.logging.LoggingSetup;
import org.thespian.ui.LiveView;
import org.thespian.ui.LiveViewSettings;
import org.thespian.ui.SpanCollector;
import org.thespian.ui.Topology;
import sun.misc.Signal;

/**
 * The one path of a process that serves, whatever it serves: {@code serve}'s single instance or a cast's members
 * ({@code cast}, {@code demo}). Logging, the out-of-memory exit and the stop signals, the process's telemetry, the
 * servers, the live view, and the stop: NOT_SERVING for the shutdown delay, the drain within the grace, telemetry
 * flushed within {@link #TELEMETRY_CLOSE}. What differs is only how the servers start and what is said once they
 * run.
 */
final class Serving {

    /** Telemetry gets this long to flush, whatever its backends do, so that the stop stays bounded. */
    static final Duration TELEMETRY_CLOSE = Duration.ofSeconds(2);

    private static final List<String> STOP_SIGNALS = List.of("TERM", "INT", "HUP");

    private Serving() {
    }

    /** The servers as they started, with the live view's picture of it and what its warm-up did ({@link WarmUp}). */
    record Started<S extends ServerGroup>(S servers, Topology topology, String warmUp) {
    }

    /** Starts the servers, reporting to the process's telemetry; nothing is left running when it cannot. */
    @FunctionalInterface
    interface Start<S extends ServerGroup> {
        Started<S> start(Telemetry telemetry) throws IOException;
    }

    /**
     * The servers running, with the process's telemetry, the live view and what its warm-up did; {@link #stop} ends
     * them all.
     */
    record Running<S extends ServerGroup>(S servers, Telemetry telemetry, Optional<LiveView> view, String warmUp) {

        /** NOT_SERVING for {@code delay}, the drain within {@code grace}, then telemetry's flush. */
        void stop(Duration delay, Duration grace) {
            stop(delay, grace, Optional.empty());
        }

        /** As above, saying so in the log with the signal that asked for it. */
        private void stop(Duration delay, Duration grace, Optional<String> signal) {
            Logger log = LoggerFactory.getLogger(Main.class);
            view.ifPresent(LiveView::close);
            servers.reportNotServing();
            if (!delay.isZero()) {
                signal.ifPresent(name -> log.info("SIG{}: reporting NOT_SERVING, still taking calls for {} s"
                        + " (THESPIAN_SHUTDOWN_DELAY_SECONDS)", name, delay.toSeconds()));
                try {
                    Thread.sleep(delay.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            signal.ifPresent(name -> log.info("SIG{}: stopping: refusing new calls, letting {} calls in flight finish"
                    + " within {} s", name, servers.inFlight(), grace.toSeconds()));
            stopNow(servers, grace);
            closeWithin(telemetry, TELEMETRY_CLOSE);
        }
    }

    /**
     * Until SIGTERM, SIGINT or SIGHUP, then the stop: {@code serve} and {@code cast}. {@code announce} says what
     * runs.
     *
     * @param name the service name of the process's telemetry and log lines: the instance's, or the cast's
     */
    static <S extends ServerGroup> int untilSignalled(String name, Settings process, Optional<LiveViewSettings> view,
            Start<S> servers, Consumer<Running<S>> announce) {
        LoggingSetup.configure(name, process.runtime().instanceId(), process.lokiAddress());
        LoggingSetup.setLevel(process.logLevel());
        OutOfMemoryExit.install();
        CompletableFuture<String> stopSignal = onStopSignal(); // before a port opens: a supervisor may stop us at once
        return run(name, process, process.traceConsole(), view, servers, running -> {
            announce.accept(running);
            String signal = await(stopSignal);
            running.stop(process.shutdownDelay(), process.shutdownGrace(), Optional.of(signal));
            LoggerFactory.getLogger(Main.class).info("Stopped");
        });
    }

    /**
     * Starts everything, runs {@code play}, which stops it, and returns the exit code; a failure to start is one
     * line on stderr: exit 1 for a port that cannot be bound, 2 for a telemetry setting.
     */
    static <S extends ServerGroup> int run(String name, Settings process, boolean traceConsole,
            Optional<LiveViewSettings> view, Start<S> servers, Consumer<Running<S>> play) {
        try {
            Running<S> running;
            try {
                running = start(name, process, traceConsole, view, servers);
            } catch (IOException e) {
                System.err.println("thespian: " + e.getMessage() + ": " + Main.rootMessage(e));
                return Main.EXIT_FAILURE;
            } catch (Telemetry.InvalidTelemetrySetting e) {
                return Main.usageError(e.getMessage());
            }
            play.accept(running);
            return Main.EXIT_OK;
        } finally {
            // Log lines are written in batches: however serving ends, the last ones must come out.
            LoggingSetup.flush();
        }
    }

    /**
     * Starts the process's telemetry, the servers and the live view, or nothing.
     *
     * @throws Telemetry.InvalidTelemetrySetting when an OpenTelemetry setting is refused
     */
    static <S extends ServerGroup> Running<S> start(String name, Settings process, boolean traceConsole,
            Optional<LiveViewSettings> viewSettings, Start<S> start) throws IOException {
        Optional<SpanCollector> collector = viewSettings.map(view -> new SpanCollector());
        Telemetry telemetry = telemetry(name, process, traceConsole, collector);
        Started<S> started;
        try {
            started = start.start(telemetry);
        } catch (IOException | RuntimeException e) {
            closeWithin(telemetry, TELEMETRY_CLOSE);
            throw e;
        }
        try {
            Optional<LiveView> view = viewSettings.isEmpty() ? Optional.empty()
                    : Optional.of(LiveView.start(viewSettings.get(), started.topology(), collector.get(),
                            started.servers().standingFaults(), telemetry.instrumentation().runtimeEvents()));
            return new Running<>(started.servers(), telemetry, view, started.warmUp());
        } catch (IOException | RuntimeException e) {
            stopNow(started.servers(), Duration.ZERO);
            closeWithin(telemetry, TELEMETRY_CLOSE);
            throw e;
        }
    }

    private static void stopNow(ServerGroup servers, Duration grace) {
        try {
            servers.stop(grace);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Telemetry telemetry(String name, Settings process, boolean traceConsole,
            Optional<SpanCollector> collector) {
        try {
            return Telemetry.start(name, process.otelBackendAddress(), traceConsole, process.environment(),
                    collector.map(SpanProcessor.class::cast));
        } catch (Telemetry.InvalidTelemetrySetting e) {
            throw e;
        } catch (RuntimeException e) {
            // The SDK's own checks, for whatever Settings does not know yet (ConfigurationException and kin).
            throw new Telemetry.InvalidTelemetrySetting("OpenTelemetry configuration: "
                    + Main.inEnvironmentTerms(Main.rootMessage(e)));
        }
    }

    private static void closeWithin(Telemetry telemetry, Duration timeout) {
        Thread closing = new Thread(telemetry::close, "thespian-telemetry-close");
        closing.setDaemon(true);
        closing.start();
        try {
            closing.join(timeout.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Handles SIGTERM (Kubernetes, docker stop), SIGINT (Ctrl-C) and SIGHUP (a closed terminal, some supervisors)
     * from now on, so that each ends in a drain and exit 0: the future completes with the signal's name. Installed
     * before anything starts, since a health check may pass, and a supervisor stop us, while the rest still starts.
     */
    private static CompletableFuture<String> onStopSignal() {
        CompletableFuture<String> signalled = new CompletableFuture<>();
        for (String name : STOP_SIGNALS) {
            try {
                Signal.handle(new Signal(name), signal -> signalled.complete(signal.getName()));
            } catch (IllegalArgumentException unavailable) {
                // this platform has no such signal, or the JVM runs with -Xrs
            }
        }
        return signalled;
    }

    /** Waits for {@link #onStopSignal()}'s signal; returns its name. */
    private static String await(CompletableFuture<String> stopSignal) {
        try {
            return stopSignal.get();
        } catch (InterruptedException | ExecutionException e) {
            Thread.currentThread().interrupt();
            return "INT";
        }
    }
}
