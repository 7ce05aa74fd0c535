package org.thespian.telemetry.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.util.ContextInitializer;
import ch.qos.logback.core.Appender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.thespian.testsupport.Loopback;
import org.thespian.testsupport.LokiReceiver;
import org.thespian.testsupport.ReceivedLogLine;
import org.thespian.testsupport.SilentServer;

class LoggingSetupTest {

    private static final Logger log = LoggerFactory.getLogger(LoggingSetupTest.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String SPAN_ID = "00f067aa0ba902b7";
    private static final Duration PROMPT = Duration.ofSeconds(2);
    private static final String INSTANCE = "host-7f9c";

    @AfterEach
    void backToStdoutOnly() {
        MDC.clear();
        LoggingSetup.configure("thespian", INSTANCE, Optional.empty());
    }

    @Test
    void pushesJsonLinesToLokiWithLowCardinalityLabelsAndTraceMetadata() throws Exception {
        try (LokiReceiver loki = LokiReceiver.start()) {
            LoggingSetup.configure("checkout", INSTANCE, Optional.of(loki.address()));
            MDC.put("trace_id", TRACE_ID);
            MDC.put("span_id", SPAN_ID);
            log.atInfo().addKeyValue("order_id", 42).log("order paid");
            MDC.clear();
            log.warn("no trace here");

            List<ReceivedLogLine> lines = loki.awaitLines(received -> received.size() >= 2, Duration.ofSeconds(10));

            ReceivedLogLine traced = withMessage(lines, "order paid");
            assertEquals(Map.of("service_name", "checkout", "level", "INFO"), traced.streamLabels());
            assertEquals(Map.of("trace_id", TRACE_ID, "span_id", SPAN_ID), traced.structuredMetadata());
            JsonNode body = JSON.readTree(traced.line());
            assertEquals("checkout", body.get("service_name").asText());
            assertEquals(TRACE_ID, body.get("trace_id").asText());
            assertEquals(42, body.get("order_id").asLong());

            ReceivedLogLine untraced = withMessage(lines, "no trace here");
            assertEquals(Map.of("service_name", "checkout", "level", "WARN"), untraced.streamLabels());
            assertEquals(Map.of(), untraced.structuredMetadata(), "no empty trace ids");
        }
    }

    @Test
    void aCastReplicasLinesCarryItsOwnServiceNameInTheLabelAndTheBodyAndItsInstanceIdInTheBody() throws Exception {
        try (LokiReceiver loki = LokiReceiver.start()) {
            LoggingSetup.configure("shop", INSTANCE, Optional.of(loki.address()));
            MDC.put(LoggingSetup.SERVICE_NAME, "payment");
            MDC.put(LoggingSetup.SERVICE_INSTANCE_ID, "payment-2");
            log.info("card charged");
            MDC.clear();
            log.info("the cast is up");

            List<ReceivedLogLine> lines = loki.awaitLines(received -> received.size() >= 2, Duration.ofSeconds(10));

            ReceivedLogLine member = withMessage(lines, "card charged");
            assertEquals(Map.of("service_name", "payment", "level", "INFO"), member.streamLabels());
            JsonNode memberBody = JSON.readTree(member.line());
            assertEquals("payment", memberBody.get("service_name").asText());
            assertEquals(1, memberBody.findValues("service_name").size(), "service_name is written once");
            assertEquals("payment-2", memberBody.get("service_instance_id").asText());
            assertEquals(1, memberBody.findValues("service_instance_id").size(), "written once");
            ReceivedLogLine process = withMessage(lines, "the cast is up");
            assertEquals(Map.of("service_name", "shop", "level", "INFO"), process.streamLabels());
            assertEquals("shop", JSON.readTree(process.line()).get("service_name").asText());
            assertEquals(INSTANCE, JSON.readTree(process.line()).get("service_instance_id").asText());
        }
    }

    @Test
    void aRehearsalsLinesNeverReachLoki() throws Exception {
        try (LokiReceiver loki = LokiReceiver.start()) {
            LoggingSetup.configure("checkout", INSTANCE, Optional.of(loki.address()));
            MDC.put(RehearsalLines.MDC_KEY, "true");
            log.info("rehearsed");
            MDC.clear();
            log.info("served");

            List<ReceivedLogLine> lines = loki.awaitLines(received -> !received.isEmpty(), Duration.ofSeconds(10));
            assertEquals(1, lines.size(), "lines pushed: " + lines);
            assertEquals("served", JSON.readTree(lines.get(0).line()).get("message").asText());
        }
    }

    @Test
    void aHungLokiNeverHoldsUpLogging() throws Exception {
        try (SilentServer loki = SilentServer.start()) {
            // Reconfiguring only once a push hangs shows that stopping the appender does not wait for it either.
            assertLoggingStaysPrompt(loki.address(), () -> loki.awaitConnection(Duration.ofSeconds(10)));
        }
    }

    @Test
    void aDownLokiNeverHoldsUpLogging() {
        assertLoggingStaysPrompt(Loopback.closedPort(), () -> { });
    }

    @Test
    void logbackStartsWithJsonOnStdoutAtInfo() throws Exception {
        LoggerContext context = new LoggerContext();
        // Runs the discovery logback does at startup, META-INF/services included.
        new ContextInitializer(context).autoConfig();

        ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        assertEquals(Level.INFO, root.getLevel());
        BatchingStdoutAppender stdout = assertInstanceOf(BatchingStdoutAppender.class, root.getAppender("stdout"));
        assertInstanceOf(JsonLineEncoder.class, stdout.encoder());
        List<Appender<ILoggingEvent>> appenders = new ArrayList<>();
        root.iteratorForAppenders().forEachRemaining(appenders::add);
        assertEquals(List.of(stdout), appenders);
        assertEquals(System.getenv().getOrDefault("SERVICE_NAME", "thespian"),
                context.getProperty(LoggingSetup.SERVICE_NAME));
    }

    @Test
    void jdkLoggingComesOutAsJsonLinesOnStdoutRateLimited() throws Exception {
        String stdout = captureStdout(() -> {
            LoggingSetup.configure("checkout", INSTANCE, Optional.empty());
            java.util.logging.Logger grpc = java.util.logging.Logger.getLogger("io.grpc.internal.SerializingExecutor");
            for (int i = 0; i < 500; i++) {
                grpc.log(java.util.logging.Level.SEVERE, "Exception while executing runnable",
                        new IllegalStateException("malformed message " + i));
            }
            LoggingSetup.configure("checkout", INSTANCE, Optional.empty()); // stops the stdout queue once it is written
        });
        // Only grpc's lines: an earlier test's Loki sender may still report a failed push beside them.
        List<String> lines = stdout.lines()
                .filter(text -> text.contains("\"logger\":\"io.grpc.internal.SerializingExecutor\"")).toList();
        assertEquals(1, lines.size(), stdout);
        JsonNode line = JSON.readTree(lines.get(0));
        assertEquals("ERROR", line.get("level").asText());
        assertEquals("io.grpc.internal.SerializingExecutor", line.get("logger").asText());
        assertEquals("Exception while executing runnable", line.get("message").asText());
        assertTrue(line.get("exception").asText().contains("malformed message 0"), stdout);
    }

    @Test
    void thespianLogLevelDebugRaisesThespianLoggersOnly() {
        LoggingSetup.configure("checkout", INSTANCE, Optional.empty());
        LoggingSetup.setLevel(Level.DEBUG);
        assertTrue(LoggerFactory.getLogger("thespian.request").isDebugEnabled());
        assertTrue(LoggerFactory.getLogger("org.thespian.cli.Main").isDebugEnabled());
        assertFalse(LoggerFactory.getLogger("io.grpc.netty.shaded.io.netty.handler.codec.http2").isDebugEnabled());
        assertFalse(LoggerFactory.getLogger("io.opentelemetry.sdk").isDebugEnabled());
        assertFalse(java.util.logging.Logger.getLogger("io.grpc.internal.ManagedChannelImpl")
                .isLoggable(java.util.logging.Level.FINE), "JDK logging must not go DEBUG either");

        LoggingSetup.setLevel(Level.WARN);
        assertFalse(LoggerFactory.getLogger("thespian.request").isInfoEnabled());
        assertFalse(LoggerFactory.getLogger("io.grpc.Server").isInfoEnabled(), "WARN is stricter for everyone");
    }

    @Test
    void lokiAddressMayBeGivenWithThePushPath() throws Exception {
        try (LokiReceiver loki = LokiReceiver.start()) {
            LoggingSetup.configure("checkout", INSTANCE, Optional.of(URI.create(loki.address() + "/loki/api/v1/push")));
            log.info("through the full push URL");
            withMessage(loki.awaitLines(received -> !received.isEmpty(), Duration.ofSeconds(10)),
                    "through the full push URL");
        }
    }

    @Test
    void aLokiAnsweringAnErrorIsReportedOnceNamingItsUrlAndStatus() throws Exception {
        try (LokiReceiver loki = LokiReceiver.answering(503)) {
            String stdout = captureStdout(() -> {
                LoggingSetup.configure("checkout", INSTANCE, Optional.of(loki.address()));
                for (int i = 0; i < 2; i++) { // a push each: the next line waits until Loki has refused this one
                    String pushed = "push " + i;
                    log.info(pushed);
                    loki.awaitLines(received -> received.stream().anyMatch(line -> line.line().contains(pushed)),
                            Duration.ofSeconds(10));
                }
                LoggingSetup.configure("checkout", INSTANCE, Optional.empty());
            });
            List<String> refusals = stdout.lines().filter(line -> line.contains("thespian.telemetry.loki"))
                    .filter(line -> line.contains("refused the logs")).toList();
            assertEquals(1, refusals.size(), stdout);
            String message = JSON.readTree(refusals.get(0)).get("message").asText();
            assertTrue(message.startsWith("Loki at " + loki.address() + "/loki/api/v1/push refused the logs: "),
                    message);
            assertTrue(message.contains("503"), message);
        }
    }

    @Test
    void silencesExporterFailuresInJdkLogging() {
        LoggingSetup.configure("checkout", INSTANCE, Optional.empty());

        assertFalse(java.util.logging.Logger.getLogger("io.opentelemetry.exporter.otlp.internal.GrpcExporter")
                .isLoggable(java.util.logging.Level.SEVERE));
        java.util.logging.Logger netty =
                java.util.logging.Logger.getLogger("io.grpc.netty.shaded.io.netty.channel.DefaultChannelPipeline");
        assertFalse(netty.isLoggable(java.util.logging.Level.WARNING));
        assertTrue(netty.isLoggable(java.util.logging.Level.SEVERE));
    }

    private static void assertLoggingStaysPrompt(URI deadLoki, Runnable beforeReconfiguring) {
        PrintStream realStdout = System.out;
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        System.setOut(new PrintStream(console, true, StandardCharsets.UTF_8));
        try {
            LoggingSetup.configure("checkout", INSTANCE, Optional.of(deadLoki));
            long started = System.nanoTime();
            for (int i = 0; i < 1_000; i++) {
                log.info("line {}", i);
            }
            Duration logging = Duration.ofNanos(System.nanoTime() - started);

            beforeReconfiguring.run();
            started = System.nanoTime();
            LoggingSetup.configure("checkout", INSTANCE, Optional.empty());
            Duration reconfiguring = Duration.ofNanos(System.nanoTime() - started);

            assertTrue(logging.compareTo(PROMPT) < 0, "1,000 log calls took " + logging);
            assertTrue(reconfiguring.compareTo(PROMPT) < 0, "dropping the Loki appender took " + reconfiguring);
            // Only the test's own lines: a report that the Loki is in trouble may come out beside them.
            assertEquals(1_000, console.toString(StandardCharsets.UTF_8).lines()
                    .filter(line -> line.contains("\"message\":\"line ")).count(), "stdout kept every line");
        } finally {
            System.setOut(realStdout);
        }
    }

    private interface Action {
        void run() throws Exception;
    }

    private static String captureStdout(Action action) throws Exception {
        PrintStream realStdout = System.out;
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        System.setOut(new PrintStream(console, true, StandardCharsets.UTF_8));
        try {
            action.run();
        } finally {
            System.setOut(realStdout);
        }
        return console.toString(StandardCharsets.UTF_8);
    }

    private static ReceivedLogLine withMessage(List<ReceivedLogLine> lines, String message) {
        return lines.stream()
                .filter(line -> line.line().contains("\"message\":\"" + message + "\""))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no line with message " + message + " in " + lines));
    }
}
