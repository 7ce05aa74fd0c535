package org.thespian.telemetry.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.thespian.testsupport.StalledStream;

class BatchingStdoutAppenderTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration PATIENCE = Duration.ofSeconds(10);

    private final LoggerContext context = new LoggerContext();
    private final StalledStream stalled = new StalledStream();

    @AfterEach
    void stopLogging() {
        stalled.release();
        context.stop();
    }

    @Test
    void writesEveryLineInOrderWithoutBeingStopped() throws Exception {
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        Logger log = loggerWritingTo(stdout);
        // Within what the queue holds: a logger may well outrun the writer's 10 ms round.
        int logged = BatchingStdoutAppender.QUEUE_LINES / 2;
        for (int i = 0; i < logged; i++) {
            log.info("line {}", i);
        }
        List<String> lines = awaitLines(stdout, logged);
        for (int i = 0; i < logged; i++) {
            assertEquals("line " + i, JSON.readTree(lines.get(i)).get("message").asText());
        }
    }

    @Test
    void aRehearsalsLinesAreNeverWritten() throws Exception {
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        Logger log = loggerWritingTo(stdout);
        context.getMDCAdapter().put(RehearsalLines.MDC_KEY, "true");
        log.info("rehearsed");
        context.getMDCAdapter().remove(RehearsalLines.MDC_KEY);
        log.info("served");
        List<String> lines = awaitLines(stdout, 1);
        assertEquals("served", JSON.readTree(lines.get(0)).get("message").asText());
    }

    @Test
    void stoppingWritesWhatIsStillQueued() {
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        Logger log = loggerWritingTo(stdout);
        for (int i = 0; i < 5_000; i++) {
            log.info("line {}", i);
        }
        context.stop();
        assertEquals(5_000, stdout.toString(StandardCharsets.UTF_8).lines().count());
    }

    @Test
    void aStdoutThatHangsDropsAndCountsLinesInsteadOfBlockingLoggers() throws Exception {
        Logger log = stuckWriter();
        BatchingStdoutAppender appender = (BatchingStdoutAppender) log.getAppender(BatchingStdoutAppender.NAME);
        int logged = 3 * BatchingStdoutAppender.QUEUE_LINES;
        assertTimeoutPreemptively(PATIENCE, () -> {
            for (int i = 0; i < logged; i++) {
                log.info("line {}", i);
            }
        }, "a logger waited for stdout");
        long dropped = appender.dropped();
        assertEquals(logged - BatchingStdoutAppender.QUEUE_LINES, dropped, "all but a queue's worth");

        stalled.release();
        JsonNode report = awaitDropReport(stalled);
        assertEquals("WARN", report.get("level").asText());
        assertEquals(dropped, droppedIn(report.get("message").asText()), report.toString());
        long delivered = stalled.text().lines().filter(l -> l.contains("\"line ")).count();
        assertEquals(logged, delivered + dropped, "every line is either written or counted as dropped");
        assertEquals("stuck", JSON.readTree(stalled.text().lines().findFirst().orElseThrow()).get("message").asText());
    }

    @Test
    void longLinesAreBoundedByBytesAsWellAsByCount() throws Exception {
        Logger log = stuckWriter();
        BatchingStdoutAppender appender = (BatchingStdoutAppender) log.getAppender(BatchingStdoutAppender.NAME);
        String tenKilobytes = "x".repeat(10_000);
        int logged = (int) (2 * BatchingStdoutAppender.QUEUE_BYTES / tenKilobytes.length());
        assertTrue(logged < BatchingStdoutAppender.QUEUE_LINES, "the count limit alone would hold them all");
        for (int i = 0; i < logged; i++) {
            log.info("{} {}", i, tenKilobytes);
        }
        assertTrue(appender.dropped() >= logged / 3, "dropped only " + appender.dropped() + " of " + logged);
    }

    /** A logger whose writer has taken its first line and is stuck writing it: the queue is empty. */
    private Logger stuckWriter() throws InterruptedException {
        Logger log = loggerWritingTo(stalled);
        log.info("stuck");
        stalled.awaitStuckWriter();
        return log;
    }

    private Logger loggerWritingTo(OutputStream stdout) {
        context.setMDCAdapter(new LogbackMDCAdapter());
        JsonLineEncoder encoder = new JsonLineEncoder();
        encoder.setContext(context);
        encoder.setServiceName("checkout");
        encoder.start();
        BatchingStdoutAppender appender = new BatchingStdoutAppender(encoder, stdout);
        appender.setContext(context);
        appender.start();
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.addAppender(appender);
        return root;
    }

    private static List<String> awaitLines(ByteArrayOutputStream stdout, int count) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        List<String> lines;
        do {
            Thread.sleep(20);
            lines = stdout.toString(StandardCharsets.UTF_8).lines().toList();
        } while (lines.size() < count && System.nanoTime() < deadline);
        assertEquals(count, lines.size(), "lines written");
        return lines;
    }

    private static JsonNode awaitDropReport(StalledStream stdout) throws Exception {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (System.nanoTime() < deadline) {
            for (String line : stdout.text().lines().toList()) {
                JsonNode json = JSON.readTree(line);
                if (json.get("logger").asText().equals(BatchingStdoutAppender.DROP_LOGGER)) {
                    return json;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no drop report on stdout");
    }

    private static long droppedIn(String message) {
        Matcher count = Pattern.compile("^(\\d+) log lines dropped since start: ").matcher(message);
        assertTrue(count.find(), message);
        return Long.parseLong(count.group(1));
    }
}
