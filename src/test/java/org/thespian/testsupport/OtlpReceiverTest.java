package org.thespian.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.logs.Severity;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.exporter.otlp.logs.OtlpGrpcLogRecordExporter;
import io.opentelemetry.exporter.otlp.metrics.OtlpGrpcMetricExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.logs.SdkLoggerProvider;
import io.opentelemetry.sdk.logs.export.SimpleLogRecordProcessor;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Real OpenTelemetry SDK exporters, both transports, all three signals, into the receiver. */
class OtlpReceiverTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Attributes ROUTE_A = Attributes.of(AttributeKey.stringKey("route"), "/a");

    @Test
    void decodesGrpcExports() throws Exception {
        try (OtlpReceiver receiver = OtlpReceiver.start()) {
            String endpoint = receiver.grpcEndpoint();
            Resource resource = Resource.getDefault().merge(
                    Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), "grpc-self-test")));
            try (OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
                    .setTracerProvider(SdkTracerProvider.builder()
                            .setResource(resource)
                            .addSpanProcessor(SimpleSpanProcessor.create(
                                    OtlpGrpcSpanExporter.builder().setEndpoint(endpoint).build()))
                            .build())
                    .setMeterProvider(SdkMeterProvider.builder()
                            .setResource(resource)
                            .registerMetricReader(PeriodicMetricReader.create(
                                    OtlpGrpcMetricExporter.builder().setEndpoint(endpoint).build()))
                            .build())
                    .setLoggerProvider(SdkLoggerProvider.builder()
                            .setResource(resource)
                            .addLogRecordProcessor(SimpleLogRecordProcessor.create(
                                    OtlpGrpcLogRecordExporter.builder().setEndpoint(endpoint).build()))
                            .build())
                    .build()) {
                emitAndCheck(sdk, receiver, "grpc-self-test");
            }
        }
    }

    @Test
    void decodesHttpProtobufExportsSentToTheBaseEndpoint() throws Exception {
        try (OtlpReceiver receiver = OtlpReceiver.start();
                // Configured as Thespian's users do, with one base endpoint to which the SDK appends /v1/<signal>.
                OpenTelemetrySdk sdk = AutoConfiguredOpenTelemetrySdk.builder()
                        .addPropertiesCustomizer(config -> Map.of(
                                "otel.service.name", "http-self-test",
                                "otel.exporter.otlp.protocol", "http/protobuf",
                                "otel.exporter.otlp.endpoint", receiver.httpEndpoint(),
                                "otel.traces.exporter", "otlp",
                                "otel.metrics.exporter", "otlp",
                                "otel.logs.exporter", "otlp"))
                        .disableShutdownHook()
                        .build()
                        .getOpenTelemetrySdk()) {
            emitAndCheck(sdk, receiver, "http-self-test");
        }
    }

    private static void emitAndCheck(OpenTelemetrySdk sdk, OtlpReceiver receiver, String service) {
        Tracer tracer = sdk.getTracer("self-test");
        Span parent = tracer.spanBuilder("parent")
                .setSpanKind(SpanKind.SERVER)
                .setAttribute("text", "x")
                .setAttribute("whole", 7L)
                .setAttribute("real", 1.5)
                .setAttribute("flag", true)
                .startSpan();
        try (Scope ignored = parent.makeCurrent()) {
            parent.addEvent("checkpoint", Attributes.of(AttributeKey.stringKey("step"), "one"));
            tracer.spanBuilder("child").setSpanKind(SpanKind.CLIENT).startSpan()
                    .setStatus(StatusCode.ERROR, "boom")
                    .end();
            sdk.getLogsBridge().get("self-test").logRecordBuilder()
                    .setSeverity(Severity.WARN)
                    .setSeverityText("WARN")
                    .setBody("hello")
                    .setAttribute(AttributeKey.stringKey("key"), "value")
                    .emit();
        } finally {
            parent.end();
        }
        Meter meter = sdk.getMeter("self-test");
        var requests = meter.counterBuilder("requests").build();
        requests.add(2, ROUTE_A);
        requests.add(3, ROUTE_A);
        requests.add(1, Attributes.of(AttributeKey.stringKey("route"), "/b"));
        var latency = meter.histogramBuilder("latency").build();
        for (int i = 0; i < 3; i++) {
            latency.record(0.25, ROUTE_A);
        }
        CompletableResultCode.ofAll(List.of(
                sdk.getSdkTracerProvider().forceFlush(),
                sdk.getSdkMeterProvider().forceFlush(),
                sdk.getSdkLoggerProvider().forceFlush())).join(10, TimeUnit.SECONDS);

        List<ReceivedSpan> spans = receiver.awaitSpans(received -> received.size() >= 2, WAIT);
        ReceivedSpan root = ReceivedSpan.byName(spans, "parent").get(0);
        ReceivedSpan child = ReceivedSpan.byName(spans, "child").get(0);
        assertEquals(parent.getSpanContext().getTraceId(), root.traceId());
        assertEquals(parent.getSpanContext().getSpanId(), root.spanId());
        assertTrue(root.isRoot());
        assertEquals(List.of(child), ReceivedSpan.childrenOf(spans, root));
        assertEquals(service, root.serviceName());
        assertEquals("java", root.resourceAttributes().get("telemetry.sdk.language"));
        assertEquals("SERVER", root.kind());
        assertEquals("CLIENT", child.kind());
        assertEquals("UNSET", root.statusCode());
        assertEquals("ERROR", child.statusCode());
        assertEquals("boom", child.statusMessage());
        assertEquals(Map.of("text", "x", "whole", 7L, "real", 1.5, "flag", true), root.attributes());
        assertEquals(List.of(new ReceivedSpan.Event("checkpoint", Map.of("step", "one"))), root.events());
        assertTrue(0 < root.startEpochNanos() && root.startEpochNanos() <= child.startEpochNanos()
                && child.endEpochNanos() <= root.endEpochNanos(), root + " should enclose " + child);

        List<ReceivedMetric> metrics = receiver.awaitMetrics(received ->
                ReceivedMetric.latest(received, service, "requests").isPresent()
                        && ReceivedMetric.latest(received, service, "latency").isPresent(), WAIT);
        ReceivedMetric counter = ReceivedMetric.latest(metrics, service, "requests").orElseThrow();
        assertEquals("SUM", counter.type());
        assertEquals(5.0, counter.pointWith(Map.of("route", "/a")).orElseThrow().value());
        ReceivedMetric histogram = ReceivedMetric.latest(metrics, service, "latency").orElseThrow();
        assertEquals("HISTOGRAM", histogram.type());
        assertEquals(3, histogram.pointWith(Map.of("route", "/a")).orElseThrow().count());

        ReceivedLogRecord log = receiver.awaitLogRecords(received -> !received.isEmpty(), WAIT).get(0);
        assertEquals(new ReceivedLogRecord(service, "WARN", "hello", root.traceId(), root.spanId(),
                Map.of("key", "value")), log);
    }
}
