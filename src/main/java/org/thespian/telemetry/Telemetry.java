package org.thespian.telemetry;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SpanProcessor;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.thespian.server.InstanceId;
import org.thespian.server.Instrumentation;
import org.thespian.telemetry.logging.LoggingSetup;

/**
 * The OpenTelemetry SDK, configured from the environment, and the instrumentation built on it.
 *
 * <p>Configuration is the SDK's own autoconfiguration, so every standard {@code OTEL_*} variable works.
 * {@code OTEL_BACKEND_ADDRESS} (the original's name) only supplies defaults: OTLP/gRPC export of traces and
 * metrics to that endpoint. Standard variables, when set, win over it. With neither, nothing is exported and
 * nothing complains. {@link ExportPlan} says what Thespian changes in the SDK's export pipeline.
 */
public final class Telemetry implements AutoCloseable {

    /** How long {@link #close()} may take, whatever the backends do: the SDK's own shutdown waits up to 10 s. */
    static final Duration CLOSE_BUDGET = Duration.ofMillis(900);

    private static final String SCOPE = "org.thespian";
    private static final List<String> EXPORTER_VARIABLES =
            List.of("OTEL_TRACES_EXPORTER", "OTEL_METRICS_EXPORTER", "OTEL_LOGS_EXPORTER");
    private static final String SDK_INSTANCE_ID =
            "io.opentelemetry.sdk.autoconfigure.ServiceInstanceIdResourceProvider";

    /** A telemetry setting the SDK cannot use; the message is one line naming it. */
    public static final class InvalidTelemetrySetting extends RuntimeException {
        public InvalidTelemetrySetting(String message) {
            super(message);
        }
    }

    private final OpenTelemetrySdk sdk;
    private final Instrumentation instrumentation;
    private final String description;
    private final SharedTracing shared;
    private final SharedMetrics metrics;

    private Telemetry(OpenTelemetrySdk sdk, Instrumentation instrumentation, String description,
            SharedTracing shared, SharedMetrics metrics) {
        this.sdk = sdk;
        this.instrumentation = instrumentation;
        this.description = description;
        this.shared = shared;
        this.metrics = metrics;
    }

    /**
     * @param serviceName the instance's name; it wins over OTEL_SERVICE_NAME so spans and logs agree
     * @param env         the process environment, read for which exporters to switch on by default and for the
     *                    instance id ({@link InstanceId}), which wins over a {@code service.instance.id} in
     *                    OTEL_RESOURCE_ATTRIBUTES as the name does
     * @throws InvalidTelemetrySetting when an OTEL_* setting is refused by the SDK
     */
    public static Telemetry start(String serviceName, Optional<URI> otelBackendAddress, boolean traceConsole,
            Map<String, String> env) {
        return start(serviceName, otelBackendAddress, traceConsole, env, Optional.empty());
    }

    /**
     * As above, with one more processor that gets every span of the process, its cast members' included (the live
     * view's collector), on the thread that ends the span: it must be cheap and never block.
     */
    public static Telemetry start(String serviceName, Optional<URI> otelBackendAddress, boolean traceConsole,
            Map<String, String> env, Optional<SpanProcessor> inProcess) {
        refuseUnavailableExporters(env);
        ExportPlan plan = new ExportPlan();
        SharedTracing shared = new SharedTracing();
        SharedMetrics metrics = new SharedMetrics();
        SpanProcessor local = shared.add(traceConsole ? ConsoleTraceProcessor.shared() : new KeepSpansRecording());
        inProcess.ifPresent(shared::add);
        OpenTelemetrySdk sdk;
        try {
            sdk = AutoConfiguredOpenTelemetrySdk.builder()
                    .addPropertiesSupplier(() -> defaults(otelBackendAddress, env))
                    .addPropertiesCustomizer(plan::leaveOtlpSpansToShipper)
                    .addResourceCustomizer((resource, config) -> shared.resource = resource.merge(
                            SharedTracing.serviceResource(serviceName, InstanceId.of(env))))
                    .addSamplerCustomizer((sampler, config) -> shared.sampler = sampler)
                    .addSpanProcessorCustomizer((processor, config) -> shared.add(processor))
                    .addMetricExporterCustomizer((exporter, config) ->
                            metrics.exportingTo(plan.reportMetricFailures(exporter, config)))
                    .addMeterProviderCustomizer((meterProvider, config) -> meterProvider.registerMetricProducer(metrics))
                    .addTracerProviderCustomizer((tracerProvider, config) -> {
                        plan.otlpShipper(config).map(shared::add).ifPresent(tracerProvider::addSpanProcessor);
                        inProcess.ifPresent(tracerProvider::addSpanProcessor);
                        return tracerProvider.addSpanProcessor(local);
                    })
                    .disableShutdownHook()
                    .build()
                    .getOpenTelemetrySdk();
            plan.started(sdk);
        } catch (ConfigurationException e) {
            throw new InvalidTelemetrySetting("OpenTelemetry setting refused: " + e.getMessage());
        }
        countDrops(sdk, plan.shippers());
        String description = "telemetry: " + plan.describe(traceConsole) + "; logs to " + LoggingSetup.destinations();
        return new Telemetry(sdk, instrument(sdk), description, shared, metrics);
    }

    /** Waits (at most a second) until every span ended so far is printed or handed to the exporters. */
    public void flushTraces() {
        sdk.getSdkTracerProvider().forceFlush().join(1, TimeUnit.SECONDS);
    }

    /**
     * Instrumentation for another service in this process (a replica of a cast's member): its spans, metrics and
     * log lines carry {@code serviceName} and {@code instanceId}, and go through this SDK's sampler, processors,
     * reader and exporters, so a hundred services cost no more threads or connections than one.
     */
    public Instrumentation instrumentationFor(String serviceName, String instanceId) {
        OpenTelemetrySdk member = OpenTelemetrySdk.builder()
                .setTracerProvider(shared.tracerProvider(serviceName, instanceId))
                .setMeterProvider(metrics.meterProvider(shared.resourceOf(serviceName, instanceId))
                        .orElse(sdk.getSdkMeterProvider()))
                .setPropagators(sdk.getPropagators())
                .build();
        return instrument(member, SpanLogging.member(serviceName, instanceId));
    }

    /** Instrumentation for a warm-up's rehearsal, which no exporter, meter or log ever sees; close it after. */
    public RehearsalTelemetry rehearsal() {
        return new RehearsalTelemetry(shared, sdk.getPropagators());
    }

    /** logging-otlp is a standard exporter name, but its module is not published for the SDK version used here. */
    private static void refuseUnavailableExporters(Map<String, String> env) {
        for (String variable : EXPORTER_VARIABLES) {
            String value = env.getOrDefault(variable, "");
            if (List.of(value.toLowerCase(java.util.Locale.ROOT).replace(" ", "").split(",")).contains("logging-otlp")) {
                throw new InvalidTelemetrySetting(variable + "=logging-otlp is not available in this build;"
                        + " use otlp, console or none");
            }
        }
    }

    private static void countDrops(OpenTelemetry openTelemetry, List<SpanShipper> shippers) {
        openTelemetry.getMeter(SCOPE).counterBuilder("thespian.telemetry.spans.dropped")
                .setDescription("Spans dropped because more ended than the exporter could ship, or their export failed")
                .setUnit("{span}")
                .buildWithCallback(measurement -> measurement.record(
                        shippers.stream().mapToLong(SpanShipper::dropped).sum()));
    }

    static Instrumentation instrument(OpenTelemetry openTelemetry) {
        return instrument(openTelemetry, SpanLogging.PROCESS);
    }

    static Instrumentation instrument(OpenTelemetry openTelemetry, SpanLogging logging) {
        var tracer = openTelemetry.getTracer(SCOPE);
        Meter meter = openTelemetry.getMeter(SCOPE);
        var duration = meter.histogramBuilder("rpc.server.duration")
                .setDescription("Duration of incoming RPCs, by method and gRPC status code")
                .setUnit("ms")
                .build();
        var failures = meter.counterBuilder("thespian.action.failures")
                .setDescription("Failures by the action where they originated")
                .build();
        var cancelled = meter.counterBuilder("thespian.requests.cancelled")
                .setDescription("Requests whose caller cancelled or whose deadline passed before the answer")
                .setUnit("{request}")
                .build();
        var propagator = openTelemetry.getPropagators().getTextMapPropagator();
        return new Instrumentation(
                List.of(new ServerTracing(propagator, tracer, duration, cancelled, logging)),
                List.of(new ClientPropagation(propagator)),
                new TracingActionListener(tracer, failures, logging, new CircuitTelemetry(meter, logging)),
                new RuntimeTelemetry(meter, logging));
    }

    /** Defaults under the standard variables: exporters are on only when some endpoint was given. */
    static Map<String, String> defaults(Optional<URI> otelBackendAddress, Map<String, String> env) {
        Map<String, String> defaults = new HashMap<>();
        boolean anyEndpoint = otelBackendAddress.isPresent() || env.containsKey("OTEL_EXPORTER_OTLP_ENDPOINT");
        boolean traces = anyEndpoint || env.containsKey("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
        boolean metrics = anyEndpoint || env.containsKey("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT");
        defaults.put("otel.traces.exporter", traces ? "otlp" : "none");
        defaults.put("otel.metrics.exporter", metrics ? "otlp" : "none");
        defaults.put("otel.logs.exporter", "none");
        // service.instance.id is THESPIAN_INSTANCE_ID (or a cast replica's id): the SDK's random one would only be
        // replaced, with a warning about the entity it belonged to.
        defaults.put("otel.java.disabled.resource.providers", SDK_INSTANCE_ID);
        // A simulator is watched live: ship spans within a second, metrics every ten.
        defaults.put("otel.bsp.schedule.delay", "1000");
        defaults.put("otel.metric.export.interval", "10000");
        // Sized for 20,000 spans/s and more to a local collector (docs/telemetry.md, "Under heavy load").
        defaults.put("otel.bsp.max.queue.size",
                Integer.toString(ExportPlan.defaultQueueSpans(Runtime.getRuntime().maxMemory())));
        defaults.put("otel.bsp.max.export.batch.size", Integer.toString(ExportPlan.DEFAULT_BATCH_SPANS));
        otelBackendAddress.ifPresent(address -> {
            defaults.put("otel.exporter.otlp.endpoint", address.toString());
            defaults.put("otel.exporter.otlp.protocol", "grpc");
        });
        return defaults;
    }

    /**
     * With no span processor at all the SDK hands out non-recording spans with all-zero ids: logs would lose
     * their trace ids and a chain would lose its links wherever one instance does not export. A processor
     * that does nothing keeps every span real.
     */
    static final class KeepSpansRecording implements SpanProcessor {
        @Override
        public void onStart(io.opentelemetry.context.Context parentContext, ReadWriteSpan span) {
        }

        @Override
        public boolean isStartRequired() {
            return false;
        }

        @Override
        public void onEnd(ReadableSpan span) {
        }

        @Override
        public boolean isEndRequired() {
            return false;
        }
    }

    public Instrumentation instrumentation() {
        return instrumentation;
    }

    /** Where traces, metrics and logs go, in one line for the startup log. */
    public String describe() {
        return description;
    }

    /**
     * Exports what is still buffered and stops the SDK, within {@link #CLOSE_BUDGET} whatever the backends do (down,
     * or hung mid-export): what is not out by then is dropped.
     */
    @Override
    public void close() {
        // The SDK's shutdown is not asynchronous throughout: the metric reader exports (with retries) on the calling
        // thread. So it runs on a thread of its own, and this one waits for it within the budget only.
        CompletableResultCode stopped = new CompletableResultCode();
        Thread stopper = new Thread(() -> sdk.shutdown().whenComplete(stopped::succeed), "thespian-telemetry-stop");
        stopper.setDaemon(true);
        stopper.start();
        stopped.join(CLOSE_BUDGET.toMillis(), TimeUnit.MILLISECONDS);
    }
}
