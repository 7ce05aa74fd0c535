package org.thespian.telemetry;

import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.InstrumentType;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.export.CollectionRegistration;
import io.opentelemetry.sdk.metrics.export.MetricReader;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.thespian.server.Instrumentation;

/**
 * Instrumentation for the warm-up's rehearsal ({@code org.thespian.server.Rehearsal}): the classes that serve, on an
 * SDK of its own whose records go nowhere. Spans are made with the process's sampler and propagation and end in a
 * processor that keeps nothing; metric points are aggregated for a reader that is never collected, apart from the
 * process's meters; log lines are made and marked, and the appenders drop them ({@code RehearsalLines}).
 */
public final class RehearsalTelemetry implements AutoCloseable {

    private final SdkTracerProvider tracerProvider;
    private final ContextPropagators propagators;
    private final List<OpenTelemetrySdk> members = new CopyOnWriteArrayList<>();

    RehearsalTelemetry(SharedTracing process, ContextPropagators propagators) {
        this.tracerProvider = SdkTracerProvider.builder()
                .setSampler(process.sampler)
                .addSpanProcessor(new Telemetry.KeepSpansRecording())
                .build();
        this.propagators = propagators;
    }

    /** The instrumentation a server of {@code serviceName} ({@code instanceId}) gets for its rehearsal. */
    public Instrumentation instrumentationFor(String serviceName, String instanceId) {
        OpenTelemetrySdk member = OpenTelemetrySdk.builder()
                .setTracerProvider(tracerProvider)
                .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(new NeverCollected()).build())
                .setPropagators(propagators)
                .build();
        members.add(member);
        return Telemetry.instrument(member, SpanLogging.rehearsal(serviceName, instanceId));
    }

    @Override
    public void close() {
        members.forEach(member -> member.getSdkMeterProvider().close());
        tracerProvider.close();
    }

    /** Lets the SDK aggregate, as it does for a real reader, and never asks for the result. */
    private static final class NeverCollected implements MetricReader {
        @Override
        public void register(CollectionRegistration registration) {
        }

        @Override
        public AggregationTemporality getAggregationTemporality(InstrumentType instrumentType) {
            return AggregationTemporality.CUMULATIVE;
        }

        @Override
        public CompletableResultCode forceFlush() {
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode shutdown() {
            return CompletableResultCode.ofSuccess();
        }
    }
}
