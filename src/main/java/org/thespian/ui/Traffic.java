package org.thespian.ui;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * The calls seen in spans, per service (its SERVER spans of thespian.Thespian) and per edge (its CLIENT spans of
 * peer calls), since the start and over the last minute. Every span of the process passes here, on the thread that
 * ended it: a span that counts costs two map lookups and a few counter increments, and nothing is allocated once a
 * service or edge has been seen.
 */
final class Traffic {

    static final String THESPIAN_METHOD_PREFIX = "thespian.Thespian/";
    private static final AttributeKey<String> SERVER_ADDRESS = AttributeKey.stringKey("server.address");
    private static final AttributeKey<Long> SERVER_PORT = AttributeKey.longKey("server.port");
    private static final AttributeKey<String> RPC_METHOD = AttributeKey.stringKey("rpc.method");

    /** A call from one service to another's method, as the graph draws it. */
    record Edge(String from, String to, String method) {
    }

    /** A CLIENT span's calling service and what it names as its peer: found without building the peer's name. */
    private record PeerCall(String from, String host, long port, String method) {
    }

    private final Topology topology;
    private final LongSupplier clock;
    private final long startMillis;
    private final Map<String, LatencyWindow> services = new ConcurrentHashMap<>();
    private final Map<Edge, LatencyWindow> edges = new ConcurrentHashMap<>();
    /** The edge's window for each way a CLIENT span names it (a member by its loopback port or by its name). */
    private final Map<PeerCall, LatencyWindow> peerCalls = new ConcurrentHashMap<>();

    Traffic(Topology topology, LongSupplier clock) {
        this.topology = topology;
        this.clock = clock;
        this.startMillis = clock.getAsLong();
    }

    /** Reads what it needs straight from the span. */
    void record(SpanData span) {
        LatencyWindow window = null;
        if (span.getKind() == SpanKind.SERVER && span.getName().startsWith(THESPIAN_METHOD_PREFIX)) {
            window = window(services, CollectedSpan.serviceOf(span), service -> new LatencyWindow(startMillis));
        } else if (span.getKind() == SpanKind.CLIENT) {
            Attributes attributes = span.getAttributes();
            String host = attributes.get(SERVER_ADDRESS);
            String method = attributes.get(RPC_METHOD);
            if (host != null && method != null) {
                Long port = attributes.get(SERVER_PORT);
                window = window(peerCalls, new PeerCall(CollectedSpan.serviceOf(span), host,
                        port == null ? Topology.MEMBER_PORT : port, method), this::edgeWindow);
            }
        }
        if (window != null) {
            window.record(clock.getAsLong(), CollectedSpan.durationNanos(span), CollectedSpan.failed(span));
        }
    }

    private LatencyWindow edgeWindow(PeerCall call) {
        return window(edges, new Edge(call.from(), topology.peerName(call.host(), call.port()), call.method()),
                edge -> new LatencyWindow(startMillis));
    }

    /** The key's window, looked up without a lock once it exists. */
    private static <K> LatencyWindow window(Map<K, LatencyWindow> windows, K key,
            Function<K, LatencyWindow> create) {
        LatencyWindow window = windows.get(key);
        return window != null ? window : windows.computeIfAbsent(key, create);
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
