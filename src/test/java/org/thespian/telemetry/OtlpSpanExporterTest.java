package org.thespian.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.KeyValue;
import io.opentelemetry.api.common.Value;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.common.ComponentLoader;
import io.opentelemetry.context.Context;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanLimits;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.thespian.testsupport.OtlpReceiver;
import org.thespian.testsupport.RecordingSpanExporter;

/**
 * Thespian's OTLP span encoding against the SDK's: the same spans exported by the SDK's exporter and by
 * {@link OtlpSpanExporter} (over the sender taken from an SDK exporter), each to a real OTLP receiver, must decode
 * to the same resources, scopes and spans, field for field.
 */
class OtlpSpanExporterTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final ComponentLoader LOADER =
            ComponentLoader.forClassLoader(OtlpSpanExporterTest.class.getClassLoader());

    @Test
    void overGrpcTheBackendReceivesWhatTheSdksExporterSends() throws Exception {
        assertSameAsTheSdk(endpoint -> OtlpGrpcSpanExporter.builder().setEndpoint(endpoint).build(),
                OtlpReceiver::grpcEndpoint);
    }

    @Test
    void overHttpProtobufTheBackendReceivesWhatTheSdksExporterSends() throws Exception {
        assertSameAsTheSdk(endpoint -> OtlpHttpSpanExporter.builder().setEndpoint(endpoint).build(),
                receiver -> receiver.httpEndpoint() + "/v1/traces");
    }

    @Test
    void anExportToNoBackendFailsWithTheSendersReason() throws Exception {
        OtlpSpanExporter exporter = ours(OtlpGrpcSpanExporter.builder()
                .setEndpoint("http://127.0.0.1:1").setRetryPolicy(null).build());
        try {
            CompletableResultCode result = exporter.export(spans()).join(20, TimeUnit.SECONDS);
            assertFalse(result.isSuccess());
            String reason = ExportFailureReport.reason(result.getFailureThrowable());
            assertTrue(reason.contains("127.0.0.1:1") && reason.contains("Connection refused"), reason);
        } finally {
            exporter.shutdown().join(5, TimeUnit.SECONDS);
        }
    }

    private static void assertSameAsTheSdk(Function<String, SpanExporter> sdkExporter,
            Function<OtlpReceiver, String> endpoint) throws Exception {
        List<SpanData> spans = spans();
        try (OtlpReceiver bySdk = OtlpReceiver.start(); OtlpReceiver byUs = OtlpReceiver.start()) {
            SpanExporter sdks = sdkExporter.apply(endpoint.apply(bySdk));
            OtlpSpanExporter ours = ours(sdkExporter.apply(endpoint.apply(byUs)));
            try {
                // Twice through ours: the second export reuses the first one's buffer.
                for (SpanExporter exporter : List.of(sdks, ours, ours)) {
                    assertTrue(exporter.export(spans).join(20, TimeUnit.SECONDS).isSuccess(), exporter.toString());
                }
            } finally {
                sdks.shutdown().join(5, TimeUnit.SECONDS);
                ours.shutdown().join(5, TimeUnit.SECONDS);
            }
            List<String> expected = flattened(bySdk.awaitTraceRequests(requests -> requests.size() == 1, WAIT));
            List<String> received = flattened(byUs.awaitTraceRequests(requests -> requests.size() == 2, WAIT));
            assertEquals(spans.size(), expected.size());
            List<String> twice = new ArrayList<>(expected);
            twice.addAll(expected);
            twice.sort(Comparator.naturalOrder());
            assertEquals(twice, received);
        }
    }

    private static OtlpSpanExporter ours(SpanExporter sdkExporter) {
        return OtlpSpanExporter.replacing(sdkExporter, LOADER).orElseThrow();
    }

    /** Each span with its resource and scope, as text, sorted: how the requests group them is theirs to choose. */
    private static List<String> flattened(List<ExportTraceServiceRequest> requests) {
        List<String> spans = new ArrayList<>();
        for (ExportTraceServiceRequest request : requests) {
            request.getResourceSpansList().forEach(resource -> resource.getScopeSpansList().forEach(scope ->
                    scope.getSpansList().forEach(span -> spans.add(span + "\n" + scope.getScope() + "\nscope schema "
                            + scope.getSchemaUrl() + "\n" + resource.getResource() + "\nresource schema "
                            + resource.getSchemaUrl()))));
        }
        spans.sort(Comparator.naturalOrder());
        return spans;
    }

    /**
     * Spans with every kind of field the encoding writes: each attribute type, text that is not ASCII or long enough
     * for a two-byte length, events, links, trace state, a remote parent, each status and kind, dropped attributes,
     * events and links, two resources and two scopes.
     */
    private static List<SpanData> spans() {
        RecordingSpanExporter recorded = new RecordingSpanExporter();
        SpanLimits limits = SpanLimits.builder().setMaxNumberOfAttributes(12).setMaxNumberOfEvents(2)
                .setMaxNumberOfLinks(1).setMaxNumberOfAttributesPerEvent(1).build();
        for (String service : List.of("first", "second")) {
            Resource resource = Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), service,
                    AttributeKey.longKey("replica"), 3L), "https://opentelemetry.io/schemas/1.24.0");
            SdkTracerProvider provider = SdkTracerProvider.builder().setResource(resource).setSpanLimits(limits)
                    .addSpanProcessor(SimpleSpanProcessor.create(recorded)).build();
            try {
                actOut(provider.tracerBuilder("org.thespian.one").setInstrumentationVersion("1.2")
                        .setSchemaUrl("https://example.com/schema").build());
                actOut(provider.get("org.thespian.two"));
            } finally {
                provider.shutdown().join(5, TimeUnit.SECONDS);
            }
        }
        return List.copyOf(recorded.spans);
    }

    private static void actOut(Tracer tracer) {
        SpanContext remote = SpanContext.createFromRemoteParent("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331",
                TraceFlags.getSampled(), TraceState.builder().put("vendor", "value").put("other", "x").build());
        Span server = tracer.spanBuilder("thespian.Thespian/A").setSpanKind(SpanKind.SERVER)
                .setParent(Context.root().with(Span.wrap(remote)))
                .setAttribute("rpc.system", "grpc")
                .setAttribute("rpc.grpc.status_code", 0L)
                .setAttribute("negative", -42L)
                .setAttribute("ratio", 0.25)
                .setAttribute("on", true)
                .setAttribute("off", false)
                .setAttribute("empty", "")
                .setAttribute("grüße", "naïve ✓ 𝄞")
                .setAttribute("long", "x".repeat(300))
                .setAttribute(AttributeKey.stringArrayKey("names"), List.of("a", "", "ü"))
                .setAttribute(AttributeKey.longArrayKey("numbers"), List.of(1L, -1L, 1L << 40))
                .setAttribute(AttributeKey.booleanArrayKey("flags"), List.of(true, false))
                .setAttribute(AttributeKey.doubleArrayKey("ratios"), List.of(0.5, -1e300))
                .setAttribute("one too many", "dropped")
                .startSpan();
        Span child = tracer.spanBuilder("a name long enough to need two bytes for its length: " + "y".repeat(200))
                .setParent(Context.root().with(server))
                .setAttribute(AttributeKey.valueKey("value"), Value.of(KeyValue.of("list", Value.of(Value.of("s"),
                        Value.of(7L), Value.of(new byte[] {1, 2, 3}), Value.of(true), Value.of(2.5)))))
                .addLink(remote, Attributes.of(AttributeKey.stringKey("why"), "because"))
                .addLink(remote)
                .startSpan();
        child.addEvent("exception", Attributes.of(AttributeKey.stringKey("exception.type"), "Boom",
                AttributeKey.stringKey("dropped"), "yes"));
        child.addEvent("second");
        child.addEvent("third, dropped");
        child.setStatus(StatusCode.ERROR, "it broke");
        child.end();
        for (SpanKind kind : List.of(SpanKind.CLIENT, SpanKind.PRODUCER, SpanKind.CONSUMER, SpanKind.INTERNAL)) {
            Span span = tracer.spanBuilder(kind.name()).setSpanKind(kind).setParent(Context.root().with(server))
                    .startSpan();
            span.setStatus(kind == SpanKind.CLIENT ? StatusCode.OK : StatusCode.UNSET);
            span.end();
        }
        server.end();
    }
}
