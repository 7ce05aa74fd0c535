package org.thespian.telemetry.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.status.NopStatusListener;
import java.net.URI;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.LoggerFactory;

/** Configures logback in code: JSON lines on stdout at INFO, and optionally the same lines pushed to Loki. */
public final class LoggingSetup {

    /** Context property holding the service name, for patterns such as Loki's labels. */
    static final String SERVICE_NAME_PROPERTY = "service_name";

    /*
     * JDK-logging noise when a telemetry backend is down or hung, which Thespian must shrug off:
     * - the OTel OTLP exporters log every failed export at SEVERE with a stack trace, once per export interval. Dropped
     *   telemetry is the intended outcome there, so they are OFF (SEVERE-only would not silence them).
     * - netty and grpc's netty transport (shaded inside grpc) and OkHttp (the exporters' HTTP client) report broken
     *   connections at WARNING or INFO; they keep SEVERE so that real faults still show.
     */
    private static final Map<String, java.util.logging.Level> JUL_LEVELS = Map.of(
            "io.opentelemetry.exporter", java.util.logging.Level.OFF,
            "io.grpc.netty.shaded", java.util.logging.Level.SEVERE,
            "okhttp3", java.util.logging.Level.SEVERE);

    // JUL holds loggers weakly: a collected logger comes back with its level forgotten.
    private static final Set<java.util.logging.Logger> QUIETED_JUL_LOGGERS = ConcurrentHashMap.newKeySet();

    private static final int STDOUT_QUEUE_LINES = 8192;

    private LoggingSetup() {
    }

    /**
     * Replaces the whole logback configuration. With {@code lokiAddress} (Loki's base URL, e.g.
     * {@code http://loki:3100}) lines are also pushed to Loki; a slow or dead Loki costs dropped lines, never a
     * blocked caller.
     */
    public static void configure(String serviceName, Optional<URI> lokiAddress) {
        configure((LoggerContext) LoggerFactory.getILoggerFactory(), serviceName, lokiAddress);
    }

    static void configure(LoggerContext context, String serviceName, Optional<URI> lokiAddress) {
        context.reset();
        // Logback and loki4j print their own status (every failed push included) unless a listener is installed.
        context.getStatusManager().add(new NopStatusListener());
        context.putProperty(SERVICE_NAME_PROPERTY, serviceName);

        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.INFO);
        root.addAppender(stdout(context, serviceName));
        lokiAddress.ifPresent(loki -> root.addAppender(LokiAppenders.start(context, jsonLayout(context, serviceName), loki)));
        quietJdkLogging();
    }

    /**
     * Requests log on the transport and timer threads, so a slow or unread stdout must never stall them: lines
     * go through a bounded queue to one writer thread, and are dropped when it is full.
     */
    private static AsyncAppender stdout(LoggerContext context, String serviceName) {
        AsyncAppender async = new AsyncAppender();
        async.setContext(context);
        async.setName("stdout-async");
        async.setQueueSize(STDOUT_QUEUE_LINES);
        async.setDiscardingThreshold(0);
        async.setNeverBlock(true);
        async.addAppender(console(context, serviceName));
        async.start();
        return async;
    }

    /**
     * Keeps only lines at {@code level} and above, on stdout and in Loki alike: {@code WARN} drops the INFO
     * line of every successful request, for load tests.
     */
    public static void setLevel(Level level) {
        ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(Logger.ROOT_LOGGER_NAME).setLevel(level);
    }

    /** Writes what is still queued (within a second) and stops logging; for the end of the process. */
    public static void flush() {
        ((LoggerContext) LoggerFactory.getILoggerFactory()).stop();
    }

    private static ConsoleAppender<ILoggingEvent> console(LoggerContext context, String serviceName) {
        JsonLineEncoder encoder = new JsonLineEncoder();
        encoder.setContext(context);
        encoder.setServiceName(serviceName);
        encoder.start();
        ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
        console.setContext(context);
        console.setName("stdout");
        console.setEncoder(encoder);
        console.start();
        return console;
    }

    private static JsonLineLayout jsonLayout(LoggerContext context, String serviceName) {
        JsonLineLayout layout = new JsonLineLayout();
        layout.setContext(context);
        layout.setServiceName(serviceName);
        layout.start();
        return layout;
    }

    private static void quietJdkLogging() {
        JUL_LEVELS.forEach((name, level) -> {
            java.util.logging.Logger logger = java.util.logging.Logger.getLogger(name);
            logger.setLevel(level);
            QUIETED_JUL_LOGGERS.add(logger);
        });
    }
}
