package org.thespian.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.export.MemoryMode;
import io.opentelemetry.sdk.metrics.Aggregation;
import io.opentelemetry.sdk.metrics.InstrumentType;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.slf4j.LoggerFactory;

/** Both wrappers hand back what the exporter answered, pass every other call on, and say a failed export. */
@ResourceLock("thespian.telemetry.export")
class ExportFailureReportTest {

    private static final String ENDPOINT = "http://collector:4317";

    private final Logger logger = (Logger) LoggerFactory.getLogger("thespian.telemetry.export");
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private final List<String> calls = new ArrayList<>();

    @BeforeEach
    void listen() {
        lines.start();
        logger.addAppender(lines);
    }

    @AfterEach
    void stopListening() {
        logger.detachAppender(lines);
    }

    @Test
    void aFailedExportComesBackFailedAndIsSaidWithItsSignalEndpointAndReason() {
        CompletableResultCode failed =
                CompletableResultCode.ofExceptionalFailure(new IOException("Connection refused"));
        SpanExporter spans = ExportFailureReport.traces(new FakeSpans(() -> failed), ENDPOINT);
        MetricExporter metrics = ExportFailureReport.metrics(new FakeMetrics(() -> failed), ENDPOINT);

        // The same result, so SpanShipper counts the batch as dropped in an export that failed.
        assertSame(failed, spans.export(List.of()));
        assertSame(failed, metrics.export(List.of()));
        assertEquals(List.of("exporting traces to http://collector:4317 failed: Connection refused",
                "exporting metrics to http://collector:4317 failed: Connection refused"), messages());
    }

    @Test
    void successfulExportsSayNothing() {
        ExportFailureReport.traces(new FakeSpans(CompletableResultCode::ofSuccess), ENDPOINT).export(List.of());
        ExportFailureReport.metrics(new FakeMetrics(CompletableResultCode::ofSuccess), ENDPOINT).export(List.of());

        assertEquals(List.of(), messages());
    }

    @Test
    void everyOtherCallReachesTheExporter() {
        SpanExporter spans = ExportFailureReport.traces(new FakeSpans(CompletableResultCode::ofSuccess), ENDPOINT);
        MetricExporter metrics =
                ExportFailureReport.metrics(new FakeMetrics(CompletableResultCode::ofSuccess), ENDPOINT);

        spans.flush();
        spans.shutdown();
        metrics.flush();
        metrics.shutdown();

        assertEquals(List.of("spans flush", "spans shutdown", "metrics flush", "metrics shutdown"), calls);
        assertEquals(AggregationTemporality.DELTA, metrics.getAggregationTemporality(InstrumentType.COUNTER));
        assertEquals(Aggregation.drop(), metrics.getDefaultAggregation(InstrumentType.HISTOGRAM));
        assertEquals(MemoryMode.REUSABLE_DATA, metrics.getMemoryMode());
    }

    private List<String> messages() {
        return lines.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    /** Answers export as told and notes every flush and shutdown; the two kinds of exporter differ in nothing else. */
    private abstract class Fake<T> {
        private final String signal;
        private final Supplier<CompletableResultCode> answer;

        Fake(String signal, Supplier<CompletableResultCode> answer) {
            this.signal = signal;
            this.answer = answer;
        }

        public CompletableResultCode export(Collection<T> items) {
            return answer.get();
        }

        public CompletableResultCode flush() {
            calls.add(signal + " flush");
            return CompletableResultCode.ofSuccess();
        }

        public CompletableResultCode shutdown() {
            calls.add(signal + " shutdown");
            return CompletableResultCode.ofSuccess();
        }
    }

    private final class FakeSpans extends Fake<SpanData> implements SpanExporter {
        FakeSpans(Supplier<CompletableResultCode> answer) {
            super("spans", answer);
        }
    }

    /** Answers with settings no exporter has by default, so passing them on shows. */
    private final class FakeMetrics extends Fake<MetricData> implements MetricExporter {
        FakeMetrics(Supplier<CompletableResultCode> answer) {
            super("metrics", answer);
        }

        @Override
        public AggregationTemporality getAggregationTemporality(InstrumentType instrumentType) {
            return AggregationTemporality.DELTA;
        }

        @Override
        public Aggregation getDefaultAggregation(InstrumentType instrumentType) {
            return Aggregation.drop();
        }

        @Override
        public MemoryMode getMemoryMode() {
            return MemoryMode.REUSABLE_DATA;
        }
    }
}
