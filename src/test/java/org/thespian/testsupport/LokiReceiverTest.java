package org.thespian.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.PatternLayout;
import com.github.loki4j.logback.Loki4jAppender;
import com.github.loki4j.logback.PipelineConfigAppenderBase.BatchCfg;
import com.github.loki4j.logback.PipelineConfigAppenderBase.HttpCfg;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/** A loki4j appender, configured independently of Thespian's, pushes into the receiver. */
class LokiReceiverTest {

    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";

    @Test
    void decodesWhatLoki4jPushes() throws Exception {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger logger = context.getLogger("loki-receiver-self-test");
        logger.setAdditive(false);
        try (LokiReceiver loki = LokiReceiver.start()) {
            Loki4jAppender appender = loki4j(context, loki);
            logger.addAppender(appender);
            long before = System.currentTimeMillis();
            long after;
            ReceivedLogLine line;
            MDC.put("trace_id", TRACE_ID);
            try {
                logger.warn("first line");
                after = System.currentTimeMillis();
                line = loki.awaitLines(lines -> !lines.isEmpty(), Duration.ofSeconds(10)).get(0);
            } finally {
                MDC.remove("trace_id");
                logger.detachAppender(appender);
                appender.stop();
            }

            assertEquals(Map.of("app", "self-test", "level", "WARN"), line.streamLabels());
            assertEquals(Map.of("trace_id", TRACE_ID), line.structuredMetadata());
            assertEquals("first line", line.line());
            long millis = line.timestampNanos() / 1_000_000;
            assertTrue(before <= millis && millis <= after, millis + " outside [" + before + ", " + after + "]");
        }
    }

    private static Loki4jAppender loki4j(LoggerContext context, LokiReceiver loki) {
        HttpCfg http = new HttpCfg();
        http.setUrl(loki.address() + "/loki/api/v1/push");
        BatchCfg batch = new BatchCfg();
        batch.setTimeoutMs(100);
        PatternLayout message = new PatternLayout();
        message.setContext(context);
        message.setPattern("%msg");
        message.start();
        Loki4jAppender appender = new Loki4jAppender();
        appender.setContext(context);
        appender.setHttp(http);
        appender.setBatch(batch);
        appender.setLabels("app = self-test\nlevel = %level");
        appender.setStructuredMetadata("trace_id = %X{trace_id}");
        appender.setMessage(message);
        appender.start();
        return appender;
    }
}
