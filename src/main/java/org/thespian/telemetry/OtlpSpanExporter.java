package org.thespian.telemetry;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.common.ComponentLoader;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.export.GrpcSender;
import io.opentelemetry.sdk.common.export.GrpcSenderProvider;
import io.opentelemetry.sdk.common.export.GrpcStatusCode;
import io.opentelemetry.sdk.common.export.HttpSender;
import io.opentelemetry.sdk.common.export.HttpSenderProvider;
import io.opentelemetry.sdk.common.export.MessageWriter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * OTLP span export with Thespian's own encoding ({@link OtlpSpanEncoder}) over the SDK's own sender. The sender is
 * the one the SDK's exporter would use, built by the SDK from the same settings (endpoint, headers, TLS,
 * compression, timeouts, retries): {@link #replacing} rebuilds the SDK's exporter from its {@code toBuilder()} with a
 * component loader that hands the sender over as it is made, through the SDK's public sender interfaces
 * ({@link GrpcSenderProvider}, {@link HttpSenderProvider}). Only the marshaling is ours.
 *
 * <p>Like the SDK's exporter it counts spans in {@code otlp.exporter.seen} and {@code otlp.exporter.exported}
 * ({@code type=span}, {@code success}), on the meter the SDK's would use.
 */
final class OtlpSpanExporter implements SpanExporter {

    private static final String PROTOBUF = "application/x-protobuf";
    private static final int INITIAL_REQUEST_BYTES = 64 * 1024;
    private static final AttributeKey<String> TYPE = AttributeKey.stringKey("type");
    private static final AttributeKey<Boolean> SUCCESS = AttributeKey.booleanKey("success");
    private static final Attributes SEEN = Attributes.of(TYPE, "span");
    private static final Attributes EXPORTED = Attributes.of(TYPE, "span", SUCCESS, true);
    private static final Attributes FAILED = Attributes.of(TYPE, "span", SUCCESS, false);

    /** Sends one request; {@code answered} gets {@code null} for success, else why the backend refused it. */
    private interface Send {
        void send(MessageWriter request, Consumer<String> answered, Consumer<Throwable> failed);
    }

    private record Sender(Send send, Supplier<CompletableResultCode> shutdown) {
    }

    private final Sender sender;
    /** {@code grpc} or {@code http}, as in the SDK's meter name. */
    private final String transport;
    /** Request buffers, reused: one per export in flight (a retry writes the same request again). */
    private final Queue<ProtoWriter> buffers = new ConcurrentLinkedQueue<>();
    private volatile LongCounter seen;
    private volatile LongCounter exported;

    private OtlpSpanExporter(Sender sender, String transport) {
        this.sender = sender;
        this.transport = transport;
        meterProvider(MeterProvider.noop());
    }

    /**
     * This encoding over the sender of {@code sdkExporter} (which is shut down), if it is the SDK's OTLP exporter
     * over gRPC or http/protobuf; http/json and other exporters are left as they are.
     */
    static Optional<OtlpSpanExporter> replacing(SpanExporter sdkExporter, ComponentLoader loader) {
        SenderCapture capture = new SenderCapture(loader);
        if (sdkExporter instanceof OtlpGrpcSpanExporter grpc) {
            grpc.toBuilder().setComponentLoader(capture).build();
        } else if (sdkExporter instanceof OtlpHttpSpanExporter http) {
            http.toBuilder().setComponentLoader(capture).build();
        }
        Optional<OtlpSpanExporter> ours = capture.exporter();
        ours.ifPresent(replaced -> sdkExporter.shutdown());
        return ours;
    }

    /** Where the export counters go: the SDK's meter provider, once it is built. */
    void meterProvider(MeterProvider provider) {
        Meter meter = provider.get("io.opentelemetry.exporters.otlp-" + transport);
        seen = meter.counterBuilder("otlp.exporter.seen").build();
        exported = meter.counterBuilder("otlp.exporter.exported").build();
    }

    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
        ProtoWriter request = buffers.poll();
        if (request == null) {
            request = new ProtoWriter(INITIAL_REQUEST_BYTES);
        }
        OtlpSpanEncoder.encode(spans, request);
        int count = spans.size();
        seen.add(count, SEEN);
        CompletableResultCode result = new CompletableResultCode();
        ProtoWriter written = request;
        sender.send().send(new MessageWriter() {
            @Override
            public void writeMessage(OutputStream output) throws IOException {
                output.write(written.buffer(), 0, written.size());
            }

            @Override
            public int getContentLength() {
                return written.size();
            }
        }, failure -> {
            buffers.add(written);
            if (failure == null) {
                exported.add(count, EXPORTED);
                result.succeed();
            } else {
                exported.add(count, FAILED);
                result.failExceptionally(new IOException(failure));
            }
        }, error -> {
            buffers.add(written);
            exported.add(count, FAILED);
            result.failExceptionally(error);
        });
        return result;
    }

    @Override
    public CompletableResultCode flush() {
        return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
        return sender.shutdown().get();
    }

    /**
     * A component loader that gives the exporter builder a sender provider wrapping the one the SDK would find
     * (this build has one of each, OkHttp's), and keeps the sender it makes.
     */
    private static final class SenderCapture implements ComponentLoader {
        private final ComponentLoader loader;
        private OtlpSpanExporter captured;

        SenderCapture(ComponentLoader loader) {
            this.loader = loader;
        }

        Optional<OtlpSpanExporter> exporter() {
            return Optional.ofNullable(captured);
        }

        @Override
        public <T> Iterable<T> load(Class<T> type) {
            List<T> found = ComponentLoader.loadList(loader, type);
            if (found.size() != 1) {
                // Several senders to choose from by the SDK's rules (or none): the SDK's exporter stays as it is.
                return found;
            }
            if (type == GrpcSenderProvider.class) {
                GrpcSenderProvider sdks = (GrpcSenderProvider) found.get(0);
                return List.of(type.cast((GrpcSenderProvider) config -> {
                    GrpcSender grpc = sdks.createSender(config);
                    captured = new OtlpSpanExporter(grpcSender(grpc), "grpc");
                    return grpc;
                }));
            }
            if (type == HttpSenderProvider.class) {
                HttpSenderProvider sdks = (HttpSenderProvider) found.get(0);
                return List.of(type.cast((HttpSenderProvider) config -> {
                    HttpSender http = sdks.createSender(config);
                    if (config.getContentType().startsWith(PROTOBUF)) {
                        captured = new OtlpSpanExporter(httpSender(http), "http");
                    }
                    return http;
                }));
            }
            return found;
        }
    }

    private static Sender grpcSender(GrpcSender grpc) {
        return new Sender((request, answered, failed) -> grpc.send(request,
                response -> answered.accept(response.getStatusCode() == GrpcStatusCode.OK ? null
                        : "the backend answered gRPC status " + response.getStatusCode()
                                + describe(response.getStatusDescription())),
                failed), grpc::shutdown);
    }

    private static Sender httpSender(HttpSender http) {
        return new Sender((request, answered, failed) -> http.send(request,
                response -> answered.accept(response.getStatusCode() / 100 == 2 ? null
                        : "the backend answered HTTP " + response.getStatusCode()
                                + describe(response.getStatusMessage())),
                failed), http::shutdown);
    }

    private static String describe(String message) {
        return message == null || message.isEmpty() ? "" : ": " + message;
    }
}
