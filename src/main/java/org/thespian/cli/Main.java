package org.thespian.cli;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.thespian.config.ConfigException;
import org.thespian.engine.Dice;
import org.thespian.server.Rehearsal;
import org.thespian.server.ThespianServer;
import org.thespian.telemetry.Telemetry;
import org.thespian.ui.LiveViewSettings;
import org.thespian.ui.Topology;

/**
 * {@code java -jar thespian.jar [COMMAND]}: the commands are in {@link Commands}; this serves. User mistakes end in
 * one clear line on stderr and exit code 2, before any port is bound.
 */
public final class Main {

    static final int EXIT_OK = 0;
    static final int EXIT_FAILURE = 1;
    static final int EXIT_USAGE = 2;

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.getenv()));
    }

    /** The command line ({@link Commands}) on this process's streams. */
    static int run(String[] args, Map<String, String> env) {
        if (args.length == 0) {
            // A container's start: serving has nothing to parse, so it skips building the command line (about
            // 0.1 s of CPU in a fresh JVM) and starts as soon as it did before there was one.
            return serve(env);
        }
        return Commands.commandLine(env, args).execute(args);
    }

    /** {@code serve}, the default command. */
    static int serve(Map<String, String> env) {
        Settings settings;
        Optional<LiveViewSettings> view;
        try {
            settings = Settings.from(env);
            view = LiveViewSettings.parse(Settings.value(env, "THESPIAN_UI").orElse("off"), "THESPIAN_UI",
                    settings.runtime().adminToken(), env);
        } catch (Settings.InvalidSetting | ConfigException | LiveViewSettings.Invalid e) {
            return usageError(e.getMessage());
        }
        return Serving.untilSignalled(settings.serviceName(), settings, view, telemetry -> {
            String warmUp = WarmUp.rehearse(settings.warmup(), telemetry, settings.limits(), rehearsal -> List.of(
                    new Rehearsal.Part(settings.config(), Dice.of(settings.seed(), settings.serviceName()),
                            rehearsal.instrumentationFor(settings.serviceName(), settings.runtime().instanceId()),
                            settings.limits(), settings.runtime())));
            ThespianServer server = startServer(settings, telemetry);
            return new Serving.Started<>(server, Topology.of(settings.serviceName(), server), warmUp);
        }, running -> announce(settings, running));
    }

    /** The single instance: a server with resources of its own, whose budgets are the process's. */
    private static ThespianServer startServer(Settings settings, Telemetry telemetry) throws IOException {
        try {
            return ThespianServer.start(settings.port(), settings.config(),
                    Dice.of(settings.seed(), settings.serviceName()),
                    settings.peerTls(), telemetry.instrumentation(), settings.limits(), settings.runtime());
        } catch (IOException e) {
            throw new IOException("cannot listen on port " + settings.port(), e);
        }
    }

    private static void announce(Settings settings, Serving.Running<ThespianServer> running) {
        Logger log = LoggerFactory.getLogger(Main.class);
        int port = running.servers().port();
        running.view().ifPresent(live -> log.info("Live view at {}", live.url()));
        log.info("Thespian \"{}\" serving thespian.Thespian on port {} with {}: {}; {}; {}", settings.serviceName(),
                port, settings.config().origin(), ConfigSummary.of(settings.config().config()),
                running.telemetry().describe(), running.warmUp());
        if (settings.runtime().admin() && settings.runtime().adminToken().isPresent()) {
            log.info("Admin service thespian.admin.v1.Admin is on; calls need authorization:"
                    + " Bearer <THESPIAN_ADMIN_TOKEN>");
        } else if (settings.runtime().admin()) {
            log.warn("Admin service thespian.admin.v1.Admin is on WITHOUT a token: anyone who can reach port {}"
                    + " can replace this instance's config and flip its health", port);
        }
        settings.adminTokenWarning().ifPresent(log::warn);
        if (settings.config().origin().equals("defaults")) {
            log.info("No CONFIG_JSON or CONFIG_FILE given, so A, B and C answer OK at once."
                    + " Set CONFIG_JSON to give them behaviour (see docs/config.md, or example-configs/).");
        }
    }

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
