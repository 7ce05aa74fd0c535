package org.thespian.telemetry.logging;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Layout;
import com.github.loki4j.logback.Loki4jAppender;
import com.github.loki4j.logback.PipelineConfigAppenderBase.BatchCfg;
import com.github.loki4j.logback.PipelineConfigAppenderBase.HttpCfg;
import java.net.URI;

/**
 * Builds the loki4j appender. It uses loki4j's default JSON push format, which carries structured metadata as well as
 * protobuf does, and is readable when debugging.
 */
final class LokiAppenders {

    private static final String PUSH_PATH = "/loki/api/v1/push";

    // Low-cardinality stream labels only; per-request values belong in structured metadata.
    private static final String LABELS = "service_name = %" + ServiceNameConverter.WORD + "\n"
            + "level = %level";
    // A bulk MDC pattern, unlike %X{trace_id}, leaves out keys the MDC lacks instead of sending empty values.
    private static final String STRUCTURED_METADATA = "* = %%mdc{trace_id,span_id}";

    private static final int BATCH_MAX_BYTES = 256 * 1024;

    private LokiAppenders() {
    }

    static Loki4jAppender start(LoggerContext context, Layout<ILoggingEvent> body, URI lokiAddress) {
        HttpCfg http = new HttpCfg();
        http.setUrl(pushUrl(lokiAddress));
        http.setConnectionTimeoutMs(1_000);
        http.setRequestTimeoutMs(2_000);

        BatchCfg batch = new BatchCfg();
        // loki4j's default of 60 s would make a demo look broken.
        batch.setTimeoutMs(1_000);
        batch.setMaxBytes(BATCH_MAX_BYTES);
        // Appending never blocks: once this queue is full (the least loki4j accepts: five batches), lines are dropped.
        batch.setSendQueueMaxBytes(5L * BATCH_MAX_BYTES);
        // Draining waits without a time limit, so stopping (at reconfiguration or exit) would hang on a hung Loki.
        batch.setDrainOnStop(false);

        Loki4jAppender appender = new Loki4jAppender();
        appender.setContext(context);
        appender.setName("loki");
        appender.setHttp(http);
        appender.setBatch(batch);
        appender.setLabels(LABELS);
        appender.setStructuredMetadata(STRUCTURED_METADATA);
        appender.setMessage(body);
        appender.addFilter(new RehearsalLines());
        appender.start();
        return appender;
    }

    /** Loki's push URL: {@code LOKI_ADDRESS} is Loki's base URL, or already the push URL itself. */
    static String pushUrl(URI lokiAddress) {
        String base = lokiAddress.toString();
        while (base.endsWith("/")) {
            base = base.substring(0, base.length() - 1);
        }
        return base.endsWith(PUSH_PATH) ? base : base + PUSH_PATH;
    }
}
