package org.thespian.telemetry;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.Aggregation;
import io.opentelemetry.sdk.metrics.InstrumentType;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.export.CollectionRegistration;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import io.opentelemetry.sdk.metrics.export.MetricProducer;
import io.opentelemetry.sdk.metrics.export.MetricReader;
import io.opentelemetry.sdk.resources.Resource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Meter providers of their own {@code service.name} for other services in the process (cast members). The process's
 * metric reader collects them with its own metrics, as a producer registered while autoconfigure builds it, so each
 * member's metrics are exported under its name, and fifty members add no reader, thread or connection.
 */
final class SharedMetrics implements MetricProducer {

    private final List<MemberReader> members = new CopyOnWriteArrayList<>();
    /** The process's exporter, whose temporality and aggregation the members follow; null while none exports. */
    private volatile MetricExporter exporter;

    MetricExporter exportingTo(MetricExporter exporter) {
        this.exporter = exporter;
        return exporter;
    }

    /** A meter provider for {@code resource}, or none when this process exports no metrics. */
    Optional<SdkMeterProvider> meterProvider(Resource resource) {
        MetricExporter target = exporter;
        if (target == null) {
            return Optional.empty();
        }
        MemberReader reader = new MemberReader(target);
        members.add(reader);
        return Optional.of(SdkMeterProvider.builder().setResource(resource).registerMetricReader(reader).build());
    }

    @Override
    public Collection<MetricData> produce(Resource processResource) {
        List<MetricData> all = new ArrayList<>();
        members.forEach(member -> all.addAll(member.collect()));
        return all;
    }

    /** Reads one member's provider when the process's reader asks; never on its own. */
    private static final class MemberReader implements MetricReader {
        private final MetricExporter exporter;
        private volatile CollectionRegistration registration = CollectionRegistration.noop();

        MemberReader(MetricExporter exporter) {
            this.exporter = exporter;
        }

        Collection<MetricData> collect() {
            return registration.collectAllMetrics();
        }

        @Override
        public void register(CollectionRegistration registration) {
            this.registration = registration;
        }

        @Override
        public AggregationTemporality getAggregationTemporality(InstrumentType instrumentType) {
            return exporter.getAggregationTemporality(instrumentType);
        }

        @Override
        public Aggregation getDefaultAggregation(InstrumentType instrumentType) {
            return exporter.getDefaultAggregation(instrumentType);
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
