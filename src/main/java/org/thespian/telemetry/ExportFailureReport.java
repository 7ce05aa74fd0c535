package org.thespian.telemetry;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.export.MemoryMode;
import io.opentelemetry.sdk.metrics.Aggregation;
import io.opentelemetry.sdk.metrics.InstrumentType;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Collection;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Says that an export failed, through the JSON logger, naming the signal, the endpoint and the error: the OTLP
 * exporters' own messages name neither the endpoint nor always the cause, and come through java.util.logging. The
 * {@code RepeatedWarningFilter} keeps it to one line a minute per signal, with the count of those held back.
 */
final class ExportFailureReport {

    private static final Logger LOG = LoggerFactory.getLogger("thespian.telemetry.export");

    private final String template;
    private final String endpoint;

    private ExportFailureReport(String signal, String endpoint) {
        // One template per signal, so traces and metrics failing are two lines, each said once.
        this.template = "exporting " + signal + " to {} failed: {}";
        this.endpoint = endpoint;
    }

    static SpanExporter traces(SpanExporter exporter, String endpoint) {
        return new ReportingSpanExporter(exporter, new ExportFailureReport("traces", endpoint));
    }

    static MetricExporter metrics(MetricExporter exporter, String endpoint) {
        return new ReportingMetricExporter(exporter, new ExportFailureReport("metrics", endpoint));
    }

    private CompletableResultCode watch(CompletableResultCode result) {
        result.whenComplete(() -> {
            if (!result.isSuccess()) {
                LOG.warn(template, endpoint, reason(result.getFailureThrowable()));
            }
        });
        return result;
    }

    /** The whole cause chain in one line: "UNAVAILABLE: io exception: Connection refused: /127.0.0.1:4317". */
    static String reason(Throwable failure) {
        if (failure == null) {
            return "the exporter gave no reason (the backend may have timed out or refused the data)";
        }
        StringBuilder text = new StringBuilder();
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
            if (text.indexOf(message) < 0) {
                text.append(text.length() == 0 ? "" : ": ").append(message);
            }
        }
        return text.toString();
    }

    /**
     * What the span and the metric exporter wrappers share: every call passed on, the export's result watched. The two
     * OpenTelemetry interfaces have no common parent, so each wrapper hands over its exporter's three calls.
     */
    private abstract static class Watched<T> {
        private final Function<Collection<T>, CompletableResultCode> export;
        private final Supplier<CompletableResultCode> flush;
        private final Supplier<CompletableResultCode> shutdown;
        private final ExportFailureReport report;

        Watched(Function<Collection<T>, CompletableResultCode> export,
                Supplier<CompletableResultCode> flush, Supplier<CompletableResultCode> shutdown,
                ExportFailureReport report) {
            this.export = export;
            this.flush = flush;
            this.shutdown = shutdown;
            this.report = report;
        }

        public CompletableResultCode export(Collection<T> items) {
            return report.watch(export.apply(items));
        }

        public CompletableResultCode flush() {
            return flush.get();
        }

        public CompletableResultCode shutdown() {
            return shutdown.get();
        }
    }

    private static final class ReportingSpanExporter extends Watched<SpanData> implements SpanExporter {
        ReportingSpanExporter(SpanExporter delegate, ExportFailureReport report) {
            super(delegate::export, delegate::flush, delegate::shutdown, report);
        }
    }

    private static final class ReportingMetricExporter extends Watched<MetricData> implements MetricExporter {
        private final MetricExporter delegate;

        ReportingMetricExporter(MetricExporter delegate, ExportFailureReport report) {
            super(delegate::export, delegate::flush, delegate::shutdown, report);
            this.delegate = delegate;
        }

        @Override
        public AggregationTemporality getAggregationTemporality(InstrumentType instrumentType) {
            return delegate.getAggregationTemporality(instrumentType);
        }

        @Override
        public Aggregation getDefaultAggregation(InstrumentType instrumentType) {
            return delegate.getDefaultAggregation(instrumentType);
        }

        @Override
        public MemoryMode getMemoryMode() {
            return delegate.getMemoryMode();
        }
    }
}
