package org.thespian.ui;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The calls seen in spans, per service (its SERVER spans of thespian.Thespian) and per edge (its CLIENT spans of
 * peer calls), since the start and over the last minute.
 */
final class Traffic {

    static final String THESPIAN_METHOD_PREFIX = "thespian.Thespian/";
    private static final AttributeKey<String> SERVER_ADDRESS = AttributeKey.stringKey("server.address");
    private static final AttributeKey<Long> SERVER_PORT = AttributeKey.longKey("server.port");
    private static final AttributeKey<String> RPC_METHOD = AttributeKey.stringKey("rpc.method");

    /** A call from one service to another's method, as the graph draws it. */
    record Edge(String from, String to, String method) {
    }

    private final Topology topology;
    private final LongSupplier clock;
    private final long startMillis;
    private final Map<String, LatencyWindow> services = new ConcurrentHashMap<>();
    private final Map<Edge, LatencyWindow> edges = new ConcurrentHashMap<>();

    Traffic(Topology topology, LongSupplier clock) {
        this.topology = topology;
        this.clock = clock;
        this.startMillis = clock.getAsLong();
    }

    /** Reads what it needs straight from the span: every span of the process passes here. */
    void record(SpanData span) {
        if (span.getKind() == SpanKind.SERVER && span.getName().startsWith(THESPIAN_METHOD_PREFIX)) {
            window(services, CollectedSpan.serviceOf(span)).record(clock.getAsLong(), CollectedSpan.durationNanos(span),
                    CollectedSpan.failed(span));
        } else if (span.getKind() == SpanKind.CLIENT) {
            String host = span.getAttributes().get(SERVER_ADDRESS);
            String method = span.getAttributes().get(RPC_METHOD);
            if (host != null && method != null) {
                Long port = span.getAttributes().get(SERVER_PORT);
                Edge edge = new Edge(CollectedSpan.serviceOf(span),
                        topology.peerName(host, port == null ? Topology.MEMBER_PORT : port), method);
                window(edges, edge).record(clock.getAsLong(), CollectedSpan.durationNanos(span),
                        CollectedSpan.failed(span));
            }
        }
    }

    private <K> LatencyWindow window(Map<K, LatencyWindow> windows, K key) {
        return windows.computeIfAbsent(key, ignored -> new LatencyWindow(startMillis));
    }

    /** Per service that has served calls, its figures now. */
    Map<String, LatencyWindow.Figures> services() {
        return figures(services);
    }

    /** Per edge that has carried calls, its figures now. */
    Map<Edge, LatencyWindow.Figures> edges() {
        return figures(edges);
    }

    private <K> Map<K, LatencyWindow.Figures> figures(Map<K, LatencyWindow> windows) {
        long now = clock.getAsLong();
        Map<K, LatencyWindow.Figures> figures = new LinkedHashMap<>();
        windows.forEach((key, window) -> figures.put(key, window.figures(now)));
        return figures;
    }
}
