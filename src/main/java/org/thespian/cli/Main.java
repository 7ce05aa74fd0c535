package org.thespian.cli;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.thespian.config.ConfigException;
import org.thespian.engine.Dice;
import org.thespian.server.ThespianServer;
import org.thespian.telemetry.Telemetry;
import org.thespian.telemetry.logging.LoggingSetup;
import sun.misc.Signal;

/**
 * {@code java -jar thespian.jar [serve|healthcheck|cast|demo|help]}. User mistakes end in one clear line on stderr and
 * exit code 2, before any port is bound.
 */
public final class Main {

    static final int EXIT_OK = 0;
    static final int EXIT_FAILURE = 1;
    static final int EXIT_USAGE = 2;

    private static final String USAGE = """
            Usage: java -jar thespian.jar [serve | healthcheck | cast FILE | demo | help]
              serve        act out CONFIG_JSON (or CONFIG_FILE) as gRPC service thespian.Thespian (default)
              healthcheck  exit 0 if the instance on 127.0.0.1:$PORT reports SERVING, 1 otherwise
              cast FILE    run every member of a .cast.yaml/.cast.json in this JVM; with --emit compose|kubernetes
                           [--out DIR] [--otel-backend-address URL] [--loki-address URL] print it for Compose/Kubernetes
              demo         run the built-in shop cast, send it a few requests, print traces and a summary;
                           demo --serve keeps it running on ports 6379-6383
            Environment: PORT (6379), SERVICE_NAME, CONFIG_JSON or CONFIG_FILE, OTEL_BACKEND_ADDRESS,
              LOKI_ADDRESS, THESPIAN_SEED, THESPIAN_TRACE_CONSOLE, THESPIAN_LOG_LEVEL (INFO),
              THESPIAN_PEER_CA_FILE, THESPIAN_SHUTDOWN_GRACE_SECONDS (10),
              THESPIAN_MAX_ACTIONS_PER_REQUEST (100000),
              and the standard OTEL_* variables. See README.md.""";

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.getenv()));
    }

    static int run(String[] args, Map<String, String> env) {
        String command = args.length == 0 ? "serve" : args[0];
        List<String> arguments = args.length == 0 ? List.of() : List.of(args).subList(1, args.length);
        switch (command) {
            case "cast":
                return CastCommand.run(arguments, env);
            case "demo":
                return DemoCommand.run(arguments, env);
            default:
                break;
        }
        if (args.length > 1) {
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
        try {
            settings = Settings.from(env);
        } catch (Settings.InvalidSetting | ConfigException e) {
            return usageError(e.getMessage());
        }
        LoggingSetup.configure(settings.serviceName(), settings.lokiAddress());
        LoggingSetup.setLevel(settings.logLevel());
        Telemetry telemetry = Telemetry.start(settings.serviceName(), settings.otelBackendAddress(),
                settings.traceConsole(), settings.environment());
        ThespianServer server;
        try {
            server = ThespianServer.start(settings.port(), settings.config().config(),
                    Dice.of(settings.seed()), settings.peerTls(), telemetry.instrumentation(),
                    settings.engineLimits());
        } catch (IOException e) {
            telemetry.close();
            System.err.println("thespian: cannot listen on port " + settings.port() + ": " + rootMessage(e));
            return EXIT_FAILURE;
        }
        Logger log = LoggerFactory.getLogger(Main.class);
        log.info("Thespian \"{}\" serving thespian.Thespian on port {} with {}: {}", settings.serviceName(),
                server.port(), settings.config().origin(), ConfigSummary.of(settings.config().config()));
        if (settings.config().origin().equals("defaults")) {
            log.info("No CONFIG_JSON or CONFIG_FILE given, so A, B and C answer OK at once."
                    + " Set CONFIG_JSON to give them behaviour (see README.md, or example-configs/).");
        }
        awaitTermination();
        log.info("Stopping: refusing new calls, letting calls in flight finish within {} s",
                settings.shutdownGrace().toSeconds());
        try {
            server.stop(settings.shutdownGrace());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        telemetry.close();
        log.info("Stopped");
        LoggingSetup.flush();
        return EXIT_OK;
    }

    /** Waits for SIGTERM (Kubernetes, docker stop) or SIGINT (Ctrl-C), so that both end in a clean exit 0. */
    static void awaitTermination() {
        CountDownLatch signalled = new CountDownLatch(1);
        Signal.handle(new Signal("TERM"), signal -> signalled.countDown());
        Signal.handle(new Signal("INT"), signal -> signalled.countDown());
        try {
            signalled.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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
