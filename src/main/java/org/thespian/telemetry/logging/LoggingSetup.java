package org.thespian.telemetry.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.jul.LevelChangePropagator;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.pattern.DynamicConverter;
import java.net.URI;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/** Configures logback in code: JSON lines on stdout at INFO, and optionally the same lines pushed to Loki. */
public final class LoggingSetup {

    /**
     * The service name: a context property (the process's), and an MDC key on the lines of a cast member (its own),
     * which {@link ServiceNameConverter} prefers.
     */
    public static final String SERVICE_NAME = "service_name";
    /** The instance id ({@code service.instance.id}), the same way: the process's, or a cast replica's in the MDC. */
    public static final String SERVICE_INSTANCE_ID = "service_instance_id";

    /** The loggers THESPIAN_LOG_LEVEL applies to: Thespian's own, not grpc's, netty's or the SDK's. */
    static final List<String> OWN_LOGGERS = List.of("thespian", "org.thespian");

    /*
     * Libraries' own levels, whatever THESPIAN_LOG_LEVEL says:
     * - the OTLP exporters, and the SDK's processors and metric reader after them, log a failed export without saying
     *   where to; ExportFailureReport says it instead, once. The console exporter (OTEL_TRACES_EXPORTER=console) logs
     *   each span at INFO, which is its whole point.
     * - netty and grpc's netty transport (shaded inside grpc) and OkHttp (the exporters' HTTP client) report every
     *   broken connection at WARNING or INFO; they keep ERROR so that real faults still show.
     */
    private static final Map<String, Level> LIBRARY_LEVELS = Map.of(
            "io.opentelemetry.exporter", Level.OFF,
            "io.opentelemetry.exporter.logging", Level.INFO,
            "io.opentelemetry.sdk.trace.export", Level.ERROR,
            "io.opentelemetry.sdk.metrics.export", Level.ERROR,
            "io.grpc.netty.shaded", Level.ERROR,
            "okhttp3", Level.ERROR);

    private static final long REPEAT_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);

    private static volatile String destinations = "stdout";

    private LoggingSetup() {
    }

    /**
     * Replaces the whole logback configuration. With {@code lokiAddress} (Loki's base URL, e.g.
     * {@code http://loki:3100}) lines are also pushed to Loki; a slow or dead Loki costs dropped lines, never a
     * blocked caller.
     */
    public static void configure(String serviceName, String instanceId, Optional<URI> lokiAddress) {
        configure((LoggerContext) LoggerFactory.getILoggerFactory(), serviceName, instanceId, lokiAddress);
    }

    static void configure(LoggerContext context, String serviceName, String instanceId, Optional<URI> lokiAddress) {
        context.reset();
        // Logback and loki4j print their own status unless a listener is installed; this one turns a failed push to
        // Loki into one (rate-limited) log line, and keeps everything else quiet.
        context.getStatusManager().add(new LokiTroubleReport(lokiAddress.map(LokiAppenders::pushUrl).orElse("")));
        context.putProperty(SERVICE_NAME, serviceName);
        context.putProperty(SERVICE_INSTANCE_ID, instanceId);
        registerServiceNameConverter(context);

        context.addTurboFilter(new RepeatedWarningFilter(REPEAT_INTERVAL_NANOS, System::nanoTime));
        routeJdkLogging(context);

        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        LIBRARY_LEVELS.forEach((name, level) -> context.getLogger(name).setLevel(level));
        applyLevel(context, Level.INFO);
        root.addAppender(stdout(context, serviceName, instanceId));
        lokiAddress.ifPresent(loki -> root.addAppender(
                LokiAppenders.start(context, jsonLayout(context, serviceName, instanceId), loki)));
        destinations = lokiAddress.map(loki -> "stdout and Loki at " + LokiAppenders.pushUrl(loki)).orElse("stdout");
    }

    /** {@code %serviceName} in the patterns of this context (Loki's labels). */
    private static void registerServiceNameConverter(LoggerContext context) {
        @SuppressWarnings("unchecked")
        Map<String, Supplier<DynamicConverter<?>>> rules =
                (Map<String, Supplier<DynamicConverter<?>>>) context.getObject(CoreConstants.PATTERN_RULE_REGISTRY_FOR_SUPPLIERS);
        if (rules == null) {
            rules = new HashMap<>();
            context.putObject(CoreConstants.PATTERN_RULE_REGISTRY_FOR_SUPPLIERS, rules);
        }
        rules.put(ServiceNameConverter.WORD, ServiceNameConverter::new);
    }

    /** Where log lines go, for the startup line: {@code stdout}, or {@code stdout and Loki at <push URL>}. */
    public static String destinations() {
        return destinations;
    }

    /**
     * java.util.logging (grpc, netty, the OpenTelemetry SDK) goes through the same levels, filters and appenders as
     * everything else: no plain text on stderr. The propagator mirrors logback's levels into JUL, so that a disabled
     * JUL call is still cheap.
     */
    private static void routeJdkLogging(LoggerContext context) {
        LevelChangePropagator propagator = new LevelChangePropagator();
        propagator.setContext(context);
        propagator.setResetJUL(true);
        propagator.start();
        context.addListener(propagator);
        if (!SLF4JBridgeHandler.isInstalled()) {
            SLF4JBridgeHandler.removeHandlersForRootLogger();
            SLF4JBridgeHandler.install();
        }
    }

    /**
     * Requests log on the transport and timer threads, so a slow or unread stdout must never stall them: lines go
     * through a bounded queue to one writer thread, and are dropped (and counted) when it is full.
     */
    private static BatchingStdoutAppender stdout(LoggerContext context, String serviceName, String instanceId) {
        JsonLineEncoder encoder = new JsonLineEncoder();
        encoder.setContext(context);
        encoder.setServiceName(serviceName);
        encoder.setInstanceId(instanceId);
        encoder.start();
        BatchingStdoutAppender stdout = new BatchingStdoutAppender(encoder, System.out);
        stdout.setContext(context);
        stdout.start();
        return stdout;
    }

    /**
     * Keeps only Thespian's lines at {@code level} and above, on stdout and in Loki alike: {@code WARN} drops the INFO
     * line of every successful request, for load tests. Libraries stay at INFO, or the stricter {@code level}:
     * {@code DEBUG} is for Thespian's own loggers only.
     */
    public static void setLevel(Level level) {
        applyLevel((LoggerContext) LoggerFactory.getILoggerFactory(), level);
    }

    private static void applyLevel(LoggerContext context, Level level) {
        OWN_LOGGERS.forEach(name -> context.getLogger(name).setLevel(level));
        context.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(level.isGreaterOrEqual(Level.INFO) ? level : Level.INFO);
    }

    /** Writes what is still queued (within a second) and stops logging; for the end of the process. */
    public static void flush() {
        ((LoggerContext) LoggerFactory.getILoggerFactory()).stop();
    }

    private static JsonLineLayout jsonLayout(LoggerContext context, String serviceName, String instanceId) {
        JsonLineLayout layout = new JsonLineLayout();
        layout.setContext(context);
        layout.setServiceName(serviceName);
        layout.setInstanceId(instanceId);
        layout.start();
        return layout;
    }
}
