package org.thespian.ui;

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

    void record(CollectedSpan span) {
        if (span.kind().equals("SERVER") && span.name().startsWith(THESPIAN_METHOD_PREFIX)) {
            window(services, span.service()).record(clock.getAsLong(), span.durationNanos(), span.error());
        } else if (span.kind().equals("CLIENT") && span.attributes().get("server.address") instanceof String host
                && span.attributes().get("rpc.method") instanceof String method) {
            long port = span.attributes().get("server.port") instanceof Long number ? number : Topology.MEMBER_PORT;
            Edge edge = new Edge(span.service(), topology.peerName(host, port), method);
            window(edges, edge).record(clock.getAsLong(), span.durationNanos(), span.error());
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
