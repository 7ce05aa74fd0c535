package org.thespian.telemetry;

import io.opentelemetry.exporter.otlp.http.metrics.OtlpHttpMetricExporter;
import io.opentelemetry.exporter.otlp.metrics.OtlpGrpcMetricExporter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException;
import io.opentelemetry.sdk.autoconfigure.spi.internal.AutoConfigureListener;
import io.opentelemetry.sdk.autoconfigure.spi.traces.ConfigurableSpanExporterProvider;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Where the SDK's autoconfiguration sends traces and metrics, and what Thespian changes in it: OTLP exporters report
 * their failures ({@link ExportFailureReport}), and OTLP spans are shipped by a {@link SpanShipper} instead of the
 * SDK's batch processor. Everything else (endpoints, protocol, headers, TLS, sampler, the console exporter) stays the
 * SDK's, read from the standard OTEL_* variables.
 *
 * <p>The SDK puts a batch processor (and its thread) around every span exporter it builds, so it is not asked to
 * build the OTLP one: {@link #leaveOtlpSpansToShipper} takes {@code otlp} out of the {@code otel.traces.exporter}
 * the SDK reads, and {@link #otlpShipper} builds that exporter through autoconfigure's own provider for it (the
 * {@link ConfigurableSpanExporterProvider} named {@code otlp}, from the same settings) and gives it to the shipper.
 */
final class ExportPlan {

    static final int MAX_DEFAULT_QUEUE_SPANS = 32_768;
    private static final int MIN_DEFAULT_QUEUE_SPANS = 2_048;
    /** A queued span's heap at worst, with its attributes: the default queue takes at most an eighth of the heap. */
    private static final long HEAP_PER_QUEUED_SPAN = 1_024;
    static final int DEFAULT_BATCH_SPANS = 2_048;

    private static final String TRACES_EXPORTER = "otel.traces.exporter";
    private static final String OTLP = "otlp";
    private static final String NONE = "none";

    private final List<SpanShipper> shippers = new CopyOnWriteArrayList<>();
    /** The traces exporters the settings name, OTLP included, as the SDK's default would have them. */
    private volatile List<String> tracesExporters = List.of(OTLP);
    private volatile boolean shipsOtlpSpans;
    /** The settings, once the SDK builds its tracer provider (it never does when OTEL_SDK_DISABLED). */
    private volatile ConfigProperties config;
    private volatile ConfigurableSpanExporterProvider otlpProvider;

    List<SpanShipper> shippers() {
        return shippers;
    }

    /**
     * A properties customizer: the SDK is left every traces exporter but OTLP's (and {@code none} when OTLP was the
     * only one). A list the SDK refuses (OTLP twice, {@code none} beside others) is left as it is, for the SDK to
     * refuse with its own message.
     */
    Map<String, String> leaveOtlpSpansToShipper(ConfigProperties settings) {
        List<String> named = settings.getList(TRACES_EXPORTER);
        List<String> exporters = named.isEmpty() ? List.of(OTLP) : named;
        tracesExporters = exporters;
        if (Collections.frequency(exporters, OTLP) != 1 || exporters.contains(NONE)) {
            return Map.of();
        }
        shipsOtlpSpans = true;
        List<String> others = exporters.stream().filter(exporter -> !exporter.equals(OTLP)).toList();
        return Map.of(TRACES_EXPORTER, others.isEmpty() ? NONE : String.join(",", others));
    }

    /**
     * The shipper of OTLP spans, when the settings name OTLP; called once, as the SDK builds its tracer provider,
     * which then owns it (and, through it, the exporter).
     */
    Optional<SpanShipper> otlpShipper(ConfigProperties settings) {
        this.config = settings;
        if (!shipsOtlpSpans) {
            return Optional.empty();
        }
        SpanShipper.Limits limits = new SpanShipper.Limits(
                positive(settings, "otel.bsp.max.queue.size", defaultQueueSpans(Runtime.getRuntime().maxMemory())),
                positive(settings, "otel.bsp.max.export.batch.size", DEFAULT_BATCH_SPANS),
                settings.getDuration("otel.bsp.schedule.delay", Duration.ofSeconds(1)),
                settings.getDuration("otel.bsp.export.timeout", Duration.ofSeconds(30)));
        String endpoint = otlpEndpoint(settings, "traces");
        otlpProvider = otlpProvider(settings);
        SpanShipper shipper = new SpanShipper(
                ExportFailureReport.traces(otlpProvider.createExporter(settings), endpoint), endpoint, limits);
        shippers.add(shipper);
        return Optional.of(shipper);
    }

    /**
     * Once the SDK is built: what autoconfigure does for the providers it loads itself, so the OTLP span exporter's
     * own metrics ({@code otlp.exporter.seen}, {@code otlp.exporter.exported}) go through this SDK.
     */
    void started(OpenTelemetrySdk sdk) {
        if (otlpProvider instanceof AutoConfigureListener listener) {
            listener.afterAutoConfigure(sdk);
        }
    }

    MetricExporter reportMetricFailures(MetricExporter exporter, ConfigProperties settings) {
        if (exporter instanceof OtlpGrpcMetricExporter || exporter instanceof OtlpHttpMetricExporter) {
            return ExportFailureReport.metrics(exporter, otlpEndpoint(settings, "metrics"));
        }
        return exporter;
    }

    /** Autoconfigure's provider of the {@code otlp} span exporter, found where autoconfigure finds it. */
    private static ConfigurableSpanExporterProvider otlpProvider(ConfigProperties settings) {
        for (ConfigurableSpanExporterProvider provider
                : settings.getComponentLoader().load(ConfigurableSpanExporterProvider.class)) {
            if (provider.getName().equals(OTLP)) {
                return provider;
            }
        }
        throw new ConfigurationException(TRACES_EXPORTER + " names otlp, but no provider of it is in this build");
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
            for (String exporter : tracesExporters) {
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
}
