package org.thespian.cli;

import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import io.opentelemetry.sdk.trace.SpanProcessor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.thespian.config.ConfigException;
import org.thespian.engine.Dice;
import org.thespian.load.LoadCommand;
import org.thespian.server.OutOfMemoryExit;
import org.thespian.server.ThespianServer;
import org.thespian.telemetry.Telemetry;
import org.thespian.telemetry.logging.LoggingSetup;
import org.thespian.ui.LiveView;
import org.thespian.ui.LiveViewSettings;
import org.thespian.ui.SpanCollector;
import org.thespian.ui.Topology;
import sun.misc.Signal;

/**
 * {@code java -jar thespian.jar [serve|healthcheck|validate|--version|help]}. User mistakes end in one clear line on stderr and
 * exit code 2, before any port is bound.
 */
public final class Main {

    static final int EXIT_OK = 0;
    static final int EXIT_FAILURE = 1;
    static final int EXIT_USAGE = 2;

    private static final String USAGE = """
            Usage: java -jar thespian.jar [serve | healthcheck | validate | schema | load | admin | cast FILE | demo | --version | help]
              serve        act out CONFIG_JSON (or CONFIG_FILE) as gRPC service thespian.Thespian (default)
              healthcheck  exit 0 if the instance on 127.0.0.1:$PORT reports SERVING, 1 otherwise
              validate     check CONFIG_JSON (or CONFIG_FILE) without serving: exit 0 with a summary, or 2
              schema       print the JSON Schema of CONFIG_JSON (docs/config.schema.json)
              load         drive load at a Thespian and report latency percentiles (load --help)
              admin        --target host:port get-config | set-config FILE | set-health SERVING|NOT_SERVING | stats
                           | get-faults | set-faults PLAN | set-faults --clear
              cast FILE    run every member of a .cast.yaml/.cast.json in this JVM, with the live view on
                           127.0.0.1:8080 or the next free port (--ui HOST:PORT|off); with --emit compose|kubernetes
                           [--out PATH] [--otel-backend-address URL] [--loki-address URL] [--image IMAGE]
                           write it for Compose or Kubernetes (docs/casts.md)
              demo         run the built-in shop cast, send it a few requests, print traces and a summary;
                           demo --serve [--ui HOST:PORT|off] keeps it running on ports 6379-6383, with the live view
              --version    print the version
            Environment: PORT (6379), SERVICE_NAME, CONFIG_JSON or CONFIG_FILE, OTEL_BACKEND_ADDRESS,
              THESPIAN_INSTANCE_ID (the host name),
              LOKI_ADDRESS, THESPIAN_SEED, THESPIAN_TRACE_CONSOLE, THESPIAN_LOG_LEVEL (INFO),
              THESPIAN_PEER_CA_FILE, THESPIAN_PEER_TIMEOUT (30s), THESPIAN_MAX_IN_FLIGHT (from the heap),
              THESPIAN_MAX_ACTIONS_PER_REQUEST (100000), THESPIAN_MAX_BACKGROUND_CALLS (10000),
              THESPIAN_SHUTDOWN_DELAY_SECONDS (0), THESPIAN_SHUTDOWN_GRACE_SECONDS (10),
              THESPIAN_CPU_THREADS (cores), THESPIAN_MEMORY_CAP_MB (a quarter of the heap),
              THESPIAN_FAULT_HEADERS (true), THESPIAN_MAX_HOPS (16), THESPIAN_ADMIN, THESPIAN_ADMIN_TOKEN,
              THESPIAN_WATCH_CONFIG, THESPIAN_UI (off), THESPIAN_UI_TRACES (2000),
              THESPIAN_MAX_ACTIONS_IN_FLIGHT (from the heap), THESPIAN_MAX_ACTIONS_PER_TRACE (100000),
              and the standard OTEL_* variables. See docs/reference.md.""";

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.getenv()));
    }

    /** The commands that take arguments of their own; the others take none. */
    private static final Set<String> COMMANDS_WITH_ARGUMENTS = Set.of("load", "admin", "cast", "demo");

    static int run(String[] args, Map<String, String> env) {
        String command = args.length == 0 ? "serve" : args[0];
        if (args.length > 1 && !COMMANDS_WITH_ARGUMENTS.contains(command)) {
            return usageError("unexpected argument \"" + args[1] + "\"");
        }
        switch (command) {
            case "serve":
                return serve(env);
            case "healthcheck":
                try {
                    return HealthCheck.run(Settings.port(env));
                } catch (Settings.InvalidSetting e) {
                    return usageError(e.getMessage());
                }
            case "validate":
                return Validate.run(env, System.out, System.err);
            case "schema":
                return SchemaCommand.run(System.out);
            case "load":
                LoadCommand.silenceGrpcLogging();
                return LoadCommand.run(List.of(args).subList(1, args.length), System.out, System.err,
                        System.console() != null);
            case "admin":
                return AdminCommand.run(Arrays.copyOfRange(args, 1, args.length), env);
            case "cast":
                return CastCommand.run(List.of(args).subList(1, args.length), env);
            case "demo":
                return DemoCommand.run(List.of(args).subList(1, args.length), env);
            case "--version":
                System.out.println(Version.text());
                return EXIT_OK;
            case "help":
            case "--help":
            case "-h":
                System.out.println(USAGE);
                return EXIT_OK;
            default:
                return usageError("unknown command \"" + command + "\"\n" + USAGE);
        }
    }

    private static int serve(Map<String, String> env) {
        Settings settings;
        Optional<LiveViewSettings> view;
        try {
            settings = Settings.from(env);
            view = LiveViewSettings.parse(Settings.value(env, "THESPIAN_UI").orElse("off"), "THESPIAN_UI",
                    settings.runtime().adminToken(), env);
        } catch (Settings.InvalidSetting | ConfigException | LiveViewSettings.Invalid e) {
            return usageError(e.getMessage());
        }
        LoggingSetup.configure(settings.serviceName(), settings.runtime().instanceId(), settings.lokiAddress());
        LoggingSetup.setLevel(settings.logLevel());
        try {
            return serve(settings, view);
        } finally {
            // Log lines are written in batches: however serving ends, the last ones must come out.
            LoggingSetup.flush();
        }
    }

    private static int serve(Settings settings, Optional<LiveViewSettings> viewSettings) {
        OutOfMemoryExit.install();
        CompletableFuture<String> stopSignal = onStopSignal(); // before the port opens: a supervisor may stop us at once
        Telemetry telemetry;
        Optional<SpanCollector> collector = viewSettings.map(view -> new SpanCollector());
        try {
            telemetry = Telemetry.start(settings.serviceName(), settings.otelBackendAddress(),
                    settings.traceConsole(), settings.environment(), collector.map(SpanProcessor.class::cast));
        } catch (Telemetry.InvalidTelemetrySetting e) {
            return usageError(e.getMessage());
        } catch (RuntimeException e) {
            // The SDK's own checks, for whatever Settings does not know yet (ConfigurationException and kin).
            return usageError("OpenTelemetry configuration: " + inEnvironmentTerms(rootMessage(e)));
        }
        ThespianServer server;
        try {
            server = ThespianServer.start(settings.port(), settings.config(),
                    Dice.of(settings.seed(), settings.serviceName()),
                    settings.peerTls(), telemetry.instrumentation(), settings.limits(), settings.runtime());
        } catch (IOException e) {
            closeWithin(telemetry, TELEMETRY_CLOSE);
            System.err.println("thespian: cannot listen on port " + settings.port() + ": " + rootMessage(e));
            return EXIT_FAILURE;
        }
        Optional<LiveView> view;
        try {
            view = viewSettings.isEmpty() ? Optional.empty() : Optional.of(LiveView.start(viewSettings.get(),
                    Topology.of(settings.serviceName(), server), collector.get(), server.standingFaults(),
                    telemetry.instrumentation().runtimeEvents()));
        } catch (IOException e) {
            System.err.println("thespian: " + e.getMessage() + " (THESPIAN_UI): " + rootMessage(e));
            stopNow(server);
            closeWithin(telemetry, TELEMETRY_CLOSE);
            return EXIT_FAILURE;
        }
        Logger log = LoggerFactory.getLogger(Main.class);
        view.ifPresent(live -> log.info("Live view at {}", live.url()));
        log.info("Thespian \"{}\" serving thespian.Thespian on port {} with {}: {}; {}", settings.serviceName(),
                server.port(), settings.config().origin(), ConfigSummary.of(settings.config().config()),
                telemetry.describe());
        if (settings.runtime().admin() && settings.runtime().adminToken().isPresent()) {
            log.info("Admin service thespian.admin.v1.Admin is on; calls need authorization:"
                    + " Bearer <THESPIAN_ADMIN_TOKEN>");
        } else if (settings.runtime().admin()) {
            log.warn("Admin service thespian.admin.v1.Admin is on WITHOUT a token: anyone who can reach port {}"
                    + " can replace this instance's config and flip its health", server.port());
        }
        settings.adminTokenWarning().ifPresent(log::warn);
        if (settings.config().origin().equals("defaults")) {
            log.info("No CONFIG_JSON or CONFIG_FILE given, so A, B and C answer OK at once."
                    + " Set CONFIG_JSON to give them behaviour (see docs/config.md, or example-configs/).");
        }
        String signal = await(stopSignal);
        view.ifPresent(LiveView::close);
        try {
            stop(server, settings, signal, log);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeWithin(telemetry, TELEMETRY_CLOSE);
        log.info("Stopped");
        return EXIT_OK;
    }

    /**
     * NOT_SERVING for THESPIAN_SHUTDOWN_DELAY_SECONDS while calls are still taken (readiness probes see it and
     * traffic moves away), then the drain: at most delay + grace + 2 s.
     */
    private static void stop(ThespianServer server, Settings settings, String signal, Logger log)
            throws InterruptedException {
        server.reportNotServing();
        if (!settings.shutdownDelay().isZero()) {
            log.info("SIG{}: reporting NOT_SERVING, still taking calls for {} s (THESPIAN_SHUTDOWN_DELAY_SECONDS)",
                    signal, settings.shutdownDelay().toSeconds());
            Thread.sleep(settings.shutdownDelay().toMillis());
        }
        log.info("SIG{}: stopping: refusing new calls, letting {} calls in flight finish within {} s", signal,
                server.inFlight(), settings.shutdownGrace().toSeconds());
        server.stop(settings.shutdownGrace());
    }

    private static void stopNow(ThespianServer server) {
        try {
            server.stop(Duration.ZERO);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Telemetry gets this long to flush, whatever its backends do, so that the stop stays bounded. */
    private static final Duration TELEMETRY_CLOSE = Duration.ofSeconds(2);

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
    static CompletableFuture<String> onStopSignal() {
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
    static String await(CompletableFuture<String> stopSignal) {
        try {
            return stopSignal.get();
        } catch (InterruptedException | ExecutionException e) {
            Thread.currentThread().interrupt();
            return "INT";
        }
    }

    private static final List<String> STOP_SIGNALS = List.of("TERM", "INT", "HUP");

    /** The SDK names its settings as properties ({@code otel.traces.sampler}); users set variables. */
    static String inEnvironmentTerms(String message) {
        Matcher property = Pattern.compile("\\botel(\\.[a-z0-9_]+)+").matcher(String.valueOf(message));
        StringBuilder text = new StringBuilder();
        while (property.find()) {
            property.appendReplacement(text, property.group().replace('.', '_').toUpperCase(Locale.ROOT));
        }
        property.appendTail(text);
        return text.toString().lines().findFirst().orElse("");
    }

    static int usageError(String message) {
        System.err.println("thespian: " + message);
        return EXIT_USAGE;
    }

    static String rootMessage(Throwable error) {
        Throwable cause = error;
        while (cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause.getMessage();
    }
}
