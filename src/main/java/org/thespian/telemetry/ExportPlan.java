package org.thespian.telemetry;

import io.opentelemetry.exporter.otlp.http.metrics.OtlpHttpMetricExporter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.metrics.OtlpGrpcMetricExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Where the SDK's autoconfiguration sends traces and metrics, and what Thespian changes in it: OTLP exporters report
 * their failures ({@link ExportFailureReport}), and OTLP spans are shipped by a {@link SpanShipper} instead of the
 * SDK's batch processor. Everything else (endpoints, protocol, headers, TLS, sampler, the console exporter) stays the
 * SDK's, read from the standard OTEL_* variables.
 */
final class ExportPlan {

    static final int MAX_DEFAULT_QUEUE_SPANS = 32_768;
    private static final int MIN_DEFAULT_QUEUE_SPANS = 2_048;
    /** A queued span's heap at worst, with its attributes: the default queue takes at most an eighth of the heap. */
    private static final long HEAP_PER_QUEUED_SPAN = 1_024;
    static final int DEFAULT_BATCH_SPANS = 2_048;

    private final List<SpanShipper> shippers = new CopyOnWriteArrayList<>();
    private volatile ConfigProperties config;

    List<SpanShipper> shippers() {
        return shippers;
    }

    SpanExporter reportSpanFailures(SpanExporter exporter, ConfigProperties config) {
        this.config = config;
        if (exporter instanceof OtlpGrpcSpanExporter || exporter instanceof OtlpHttpSpanExporter) {
            return new Handover(exporter, ExportFailureReport.traces(otlpEndpoint(config, "traces")));
        }
        return exporter;
    }

    MetricExporter reportMetricFailures(MetricExporter exporter, ConfigProperties config) {
        this.config = config;
        if (exporter instanceof OtlpGrpcMetricExporter || exporter instanceof OtlpHttpMetricExporter) {
            return ExportFailureReport.metrics(exporter, otlpEndpoint(config, "metrics"));
        }
        return exporter;
    }

    /**
     * The SDK builds a batch processor around every OTLP span exporter (its thread already running); this takes the
     * exporter back out of it and stops it before it ever sees a span.
     */
    SpanProcessor shipBatches(SpanProcessor processor, ConfigProperties config) {
        if (processor instanceof BatchSpanProcessor batch && batch.getSpanExporter() instanceof Handover handover) {
            SpanExporter exporter = handover.takeOver();
            batch.shutdown();
            SpanShipper shipper = new SpanShipper(exporter, otlpEndpoint(config, "traces"), new SpanShipper.Limits(
                    positive(config, "otel.bsp.max.queue.size", defaultQueueSpans(Runtime.getRuntime().maxMemory())),
                    positive(config, "otel.bsp.max.export.batch.size", DEFAULT_BATCH_SPANS),
                    config.getDuration("otel.bsp.schedule.delay", Duration.ofSeconds(1)),
                    config.getDuration("otel.bsp.export.timeout", Duration.ofSeconds(30))));
            shippers.add(shipper);
            return shipper;
        }
        return processor;
    }

    /**
     * 32,768 spans (what 20,000 spans a second need to ride out a slow export), but never more than an eighth of
     * the heap: 8,192 at -Xmx64m, where a full queue would otherwise push the heap into load shedding.
     */
    static int defaultQueueSpans(long maxHeapBytes) {
        return (int) Math.max(MIN_DEFAULT_QUEUE_SPANS,
                Math.min(MAX_DEFAULT_QUEUE_SPANS, maxHeapBytes / 8 / HEAP_PER_QUEUED_SPAN));
    }

    private static int positive(ConfigProperties config, String key, int fallback) {
        int value = config.getInt(key, fallback);
        if (value <= 0) {
            throw new ConfigurationException(
                    key + " must be a positive whole number, got " + value);
        }
        return value;
    }

    /** "traces to OTLP/grpc http://collector:4317; metrics to ... every 10 s" or "traces and metrics go nowhere". */
    String describe(boolean traceConsole) {
        ConfigProperties settled = config;
        List<String> traces = new ArrayList<>();
        List<String> metrics = new ArrayList<>();
        if (settled != null) {
            for (String exporter : settled.getList("otel.traces.exporter", List.of("otlp"))) {
                destination(settled, exporter, "traces").ifPresent(traces::add);
            }
            Duration interval = settled.getDuration("otel.metric.export.interval", Duration.ofMinutes(1));
            for (String exporter : settled.getList("otel.metrics.exporter", List.of("otlp"))) {
                destination(settled, exporter, "metrics")
                        .map(where -> where + " every " + seconds(interval))
                        .ifPresent(metrics::add);
            }
        }
        if (traceConsole) {
            traces.add("the console trace view on stderr");
        }
        return "traces to " + orNowhere(traces) + "; metrics to " + orNowhere(metrics);
    }

    private static Optional<String> destination(ConfigProperties config, String exporter, String signal) {
        return switch (exporter.toLowerCase(Locale.ROOT)) {
            case "none" -> Optional.empty();
            case "otlp" -> Optional.of("OTLP/" + protocol(config, signal) + " " + otlpEndpoint(config, signal));
            case "console", "logging" -> Optional.of("the console exporter (JSON log lines on stdout)");
            default -> Optional.of(exporter);
        };
    }

    private static String orNowhere(List<String> destinations) {
        return destinations.isEmpty()
                ? "nowhere (set OTEL_BACKEND_ADDRESS or OTEL_EXPORTER_OTLP_ENDPOINT)"
                : String.join(" and ", destinations);
    }

    private static String seconds(Duration interval) {
        return interval.toMillis() % 1000 == 0 ? interval.toSeconds() + " s" : interval.toMillis() + " ms";
    }

    private static String protocol(ConfigProperties config, String signal) {
        return config.getString("otel.exporter.otlp." + signal + ".protocol",
                config.getString("otel.exporter.otlp.protocol", "grpc"));
    }

    /** The URL the SDK's OTLP exporter for {@code signal} sends to, by the same rules the SDK applies. */
    static String otlpEndpoint(ConfigProperties config, String signal) {
        String own = config.getString("otel.exporter.otlp." + signal + ".endpoint");
        if (own != null) {
            return own;
        }
        String base = config.getString("otel.exporter.otlp.endpoint");
        if (protocol(config, signal).equals("grpc")) {
            return base != null ? base : "http://localhost:4317";
        }
        String root = base != null ? base : "http://localhost:4318";
        return (root.endsWith("/") ? root : root + "/") + "v1/" + signal;
    }

    /**
     * An OTLP span exporter that reports its failures, carried through the SDK's batch processor to
     * {@link #shipBatches}.
     */
    private static final class Handover implements SpanExporter {
        private final SpanExporter exporter;
        private final ExportFailureReport report;
        private volatile boolean takenOver;

        Handover(SpanExporter exporter, ExportFailureReport report) {
            this.exporter = exporter;
            this.report = report;
        }

        SpanExporter takeOver() {
            takenOver = true;
            return this;
        }

        @Override
        public CompletableResultCode export(Collection<SpanData> spans) {
            return report.watch(exporter.export(spans));
        }

        @Override
        public CompletableResultCode flush() {
            return exporter.flush();
        }

        /** Once taken over, the first shutdown comes from the batch processor stopped unused, and is ignored. */
        @Override
        public synchronized CompletableResultCode shutdown() {
            if (takenOver) {
                takenOver = false;
                return CompletableResultCode.ofSuccess();
            }
            return exporter.shutdown();
        }
    }
}
