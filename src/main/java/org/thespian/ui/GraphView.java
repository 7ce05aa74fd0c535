package org.thespian.ui;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code GET /api/graph}: the services and the calls between them. Edges come from the running configs (so they show
 * before any traffic) and from what was seen; figures from the spans.
 */
final class GraphView {

    private static final LatencyWindow.Figures NONE = new LatencyWindow.Figures(0, 0, 0, 0, 0);

    private final Topology topology;
    private final Traffic traffic;

    GraphView(Topology topology, Traffic traffic) {
        this.topology = topology;
        this.traffic = traffic;
    }

    Map<String, Object> render() {
        Map<String, LatencyWindow.Figures> serviceFigures = traffic.services();
        Map<Traffic.Edge, LatencyWindow.Figures> edgeFigures = traffic.edges();
        Set<Traffic.Edge> edges = new LinkedHashSet<>();
        topology.configuredCalls().forEach(call -> edges.add(new Traffic.Edge(call.from(), call.to(), call.method())));
        edges.addAll(edgeFigures.keySet());
        Map<String, Integer> instances = new LinkedHashMap<>();
        topology.actors().forEach(actor -> instances.merge(actor.name(), 1, Integer::sum));
        Set<String> names = new LinkedHashSet<>(instances.keySet());
        names.addAll(serviceFigures.keySet());
        edges.forEach(edge -> {
            names.add(edge.from());
            names.add(edge.to());
        });
        List<Map<String, Object>> services = new ArrayList<>();
        for (String name : names) {
            Map<String, Object> service = new LinkedHashMap<>();
            service.put("name", name);
            service.put("instances", instances.getOrDefault(name, 0));
            figures(service, serviceFigures.getOrDefault(name, NONE));
            services.add(service);
        }
        List<Map<String, Object>> edgeList = new ArrayList<>();
        for (Traffic.Edge edge : edges) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("from", edge.from());
            json.put("to", edge.to());
            json.put("method", edge.method());
            figures(json, edgeFigures.getOrDefault(edge, NONE));
            edgeList.add(json);
        }
        Map<String, Object> graph = new LinkedHashMap<>();
        graph.put("services", services);
        graph.put("edges", edgeList);
        return graph;
    }

    private static void figures(Map<String, Object> json, LatencyWindow.Figures figures) {
        json.put("calls", figures.calls());
        json.put("errors", figures.errors());
        json.put("rate_per_s", round(figures.ratePerSecond()));
        json.put("p50_ms", round(figures.p50Millis()));
        json.put("p99_ms", round(figures.p99Millis()));
    }

    private static double round(double value) {
        return Math.round(value * 100) / 100.0;
    }
}
