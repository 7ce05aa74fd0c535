package org.thespian.testsupport;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.logs.v1.LogsServiceGrpc;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.metrics.v1.MetricsServiceGrpc;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.thespian.testsupport.HttpExchanges.Reply;

/**
 * An OTLP backend for tests: gRPC and http/protobuf receivers for traces, metrics and logs on free loopback ports,
 * recording what arrives.
 */
public final class OtlpReceiver implements AutoCloseable {

    private final Inbox<ReceivedSpan> spans = new Inbox<>("spans");
    private final Inbox<ReceivedMetric> metrics = new Inbox<>("metrics");
    private final Inbox<ReceivedLogRecord> logRecords = new Inbox<>("log records");
    private final Server grpc;
    private final HttpServer http;

    private OtlpReceiver() throws IOException {
        grpc = NettyServerBuilder.forAddress(Loopback.anyPort())
                .addService(new TraceServiceGrpc.TraceServiceImplBase() {
                    @Override
                    public void export(ExportTraceServiceRequest request,
                            StreamObserver<ExportTraceServiceResponse> response) {
                        reply(response, ExportTraceServiceResponse.getDefaultInstance(), () -> acceptTraces(request));
                    }
                })
                .addService(new MetricsServiceGrpc.MetricsServiceImplBase() {
                    @Override
                    public void export(ExportMetricsServiceRequest request,
                            StreamObserver<ExportMetricsServiceResponse> response) {
                        reply(response, ExportMetricsServiceResponse.getDefaultInstance(), () -> acceptMetrics(request));
                    }
                })
                .addService(new LogsServiceGrpc.LogsServiceImplBase() {
                    @Override
                    public void export(ExportLogsServiceRequest request,
                            StreamObserver<ExportLogsServiceResponse> response) {
                        reply(response, ExportLogsServiceResponse.getDefaultInstance(), () -> acceptLogs(request));
                    }
                })
                .build()
                .start();
        try {
            http = HttpExchanges.start(Map.of(
                    "/v1/traces", protobuf(ExportTraceServiceRequest.parser(), this::acceptTraces,
                            ExportTraceServiceResponse.getDefaultInstance()),
                    "/v1/metrics", protobuf(ExportMetricsServiceRequest.parser(), this::acceptMetrics,
                            ExportMetricsServiceResponse.getDefaultInstance()),
                    "/v1/logs", protobuf(ExportLogsServiceRequest.parser(), this::acceptLogs,
                            ExportLogsServiceResponse.getDefaultInstance())));
        } catch (IOException | RuntimeException e) {
            grpc.shutdownNow();
            throw e;
        }
    }

    public static OtlpReceiver start() throws IOException {
        return new OtlpReceiver();
    }

    /** For OTLP/gRPC exporters: {@code http://127.0.0.1:<port>}. */
    public String grpcEndpoint() {
        return Loopback.url(((InetSocketAddress) grpc.getListenSockets().get(0)).getPort()).toString();
    }

    /** For OTLP http/protobuf as a base endpoint: the SDK appends {@code /v1/<signal>}. */
    public String httpEndpoint() {
        return Loopback.url(http.getAddress().getPort()).toString();
    }

    public List<ReceivedSpan> spans() {
        return spans.snapshot();
    }

    public List<ReceivedSpan> awaitSpans(Predicate<List<ReceivedSpan>> until, Duration timeout) {
        return spans.await(until, timeout);
    }

    public List<ReceivedMetric> metrics() {
        return metrics.snapshot();
    }

    public List<ReceivedMetric> awaitMetrics(Predicate<List<ReceivedMetric>> until, Duration timeout) {
        return metrics.await(until, timeout);
    }

    public List<ReceivedLogRecord> logRecords() {
        return logRecords.snapshot();
    }

    public List<ReceivedLogRecord> awaitLogRecords(Predicate<List<ReceivedLogRecord>> until, Duration timeout) {
        return logRecords.await(until, timeout);
    }

    @Override
    public void close() throws InterruptedException {
        http.stop(0);
        grpc.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    private void acceptTraces(ExportTraceServiceRequest request) {
        spans.addAll(ReceivedSpan.from(request));
    }

    private void acceptMetrics(ExportMetricsServiceRequest request) {
        metrics.addAll(ReceivedMetric.from(request));
    }

    private void acceptLogs(ExportLogsServiceRequest request) {
        logRecords.addAll(ReceivedLogRecord.from(request));
    }

    private static <R> void reply(StreamObserver<R> response, R empty, Runnable accept) {
        accept.run();
        response.onNext(empty);
        response.onCompleted();
    }

    private static <Q> HttpHandler protobuf(Parser<Q> parser, Consumer<Q> accept, Message emptyResponse) {
        return HttpExchanges.post((exchange, body) -> {
            if (!HttpExchanges.hasContentType(exchange, "application/x-protobuf")) {
                return Reply.text(415, "this receiver takes http/protobuf only");
            }
            try {
                accept.accept(parser.parseFrom(body));
            } catch (InvalidProtocolBufferException e) {
                return Reply.text(400, e.getMessage());
            }
            return new Reply(200, "application/x-protobuf", emptyResponse.toByteArray());
        });
    }
}
