package org.thespian.telemetry;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SpanProcessor;
import java.net.URI;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.thespian.server.Instrumentation;

/**
 * The OpenTelemetry SDK, configured from the environment, and the instrumentation built on it.
 *
 * <p>Configuration is the SDK's own autoconfiguration, so every standard {@code OTEL_*} variable works.
 * {@code OTEL_BACKEND_ADDRESS} (the original's name) only supplies defaults: OTLP/gRPC export of traces and
 * metrics to that endpoint. Standard variables, when set, win over it. With neither, nothing is exported and
 * nothing complains.
 */
public final class Telemetry implements AutoCloseable {

    private static final String SCOPE = "org.thespian";

    private final OpenTelemetrySdk sdk;
    private final Instrumentation instrumentation;
    private final SharedTracing shared;

    private Telemetry(OpenTelemetrySdk sdk, Instrumentation instrumentation, SharedTracing shared) {
        this.sdk = sdk;
        this.instrumentation = instrumentation;
        this.shared = shared;
    }

    /**
     * @param serviceName the instance's name; it wins over OTEL_SERVICE_NAME so spans and logs agree
     * @param env         the process environment, read for which exporters to switch on by default
     */
    public static Telemetry start(String serviceName, Optional<URI> otelBackendAddress, boolean traceConsole,
            Map<String, String> env) {
        SharedTracing shared = new SharedTracing();
        SpanProcessor local = traceConsole ? new ConsoleTraceProcessor(System.err) : new KeepSpansRecording();
        shared.processors.add(local);
        OpenTelemetrySdk sdk = AutoConfiguredOpenTelemetrySdk.builder()
                .addPropertiesSupplier(() -> defaults(otelBackendAddress, env))
                .addResourceCustomizer((resource, config) -> shared.resource = resource.merge(
                        SharedTracing.serviceResource(serviceName)))
                .addSamplerCustomizer((sampler, config) -> shared.sampler = sampler)
                .addSpanProcessorCustomizer((processor, config) -> shared.add(processor))
                .addTracerProviderCustomizer((tracerProvider, config) -> tracerProvider.addSpanProcessor(local))
                .disableShutdownHook()
                .build()
                .getOpenTelemetrySdk();
        return new Telemetry(sdk, instrument(sdk), shared);
    }

    /**
     * Instrumentation for another service in this process (a member of a cast): its spans carry
     * {@code serviceName} and go through this SDK's sampler, processors and exporters, so a hundred services
     * cost no more threads or connections than one. Metrics are this process's.
     */
    public Instrumentation instrumentationFor(String serviceName) {
        OpenTelemetrySdk member = OpenTelemetrySdk.builder()
                .setTracerProvider(shared.tracerProvider(serviceName))
                .setMeterProvider(sdk.getSdkMeterProvider())
                .setPropagators(sdk.getPropagators())
                .build();
        return instrument(member);
    }

    private static Instrumentation instrument(OpenTelemetry openTelemetry) {
        var tracer = openTelemetry.getTracer(SCOPE);
        Meter meter = openTelemetry.getMeter(SCOPE);
        var duration = meter.histogramBuilder("rpc.server.duration")
                .setDescription("Duration of incoming RPCs, by method and gRPC status code")
                .setUnit("ms")
                .build();
        var failures = meter.counterBuilder("thespian.action.failures")
                .setDescription("Failures by the action where they originated")
                .build();
        var propagator = openTelemetry.getPropagators().getTextMapPropagator();
        return new Instrumentation(
                List.of(new ServerTracing(propagator, tracer, duration)),
                List.of(new ClientPropagation(propagator)),
                new TracingActionListener(tracer, failures));
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
        // A simulator is watched live: ship spans within a second, metrics every ten.
        defaults.put("otel.bsp.schedule.delay", "1000");
        defaults.put("otel.metric.export.interval", "10000");
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
    private static final class KeepSpansRecording implements SpanProcessor {
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

    /** Exports what is still buffered (within a few seconds), then stops the SDK. */
    @Override
    public void close() {
        sdk.shutdown().join(5, TimeUnit.SECONDS);
    }
}
