package org.thespian.ui;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.thespian.server.FaultPlan;
import org.thespian.server.RuntimeEvents;
import org.thespian.server.StandingFaults;

/**
 * The live view: a page and a JSON API over HTTP (the JDK's server) that show a running cast or instance, its
 * traces, and switch its standing fault plan. Everything it serves is in the jar.
 */
public final class LiveView implements AutoCloseable {

    /** How far past a taken default port the view looks for a free one. */
    static final int PORTS_TRIED = 100;
    static final int MAX_BODY_BYTES = 64 << 10;
    /** Requests served at once; a page holds one for its event stream. */
    static final int THREADS = 24;
    static final String ORIGIN = "the live view";

    static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self';"
            + " img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none';"
            + " frame-ancestors 'none'";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final ExecutorService threads;
    private final URI url;
    private final RequestGuard guard;
    private final GraphView graph;
    private final TraceView traces;
    private final StandingFaults faults;
    private final RuntimeEvents events;
    private final Topology topology;
    private final EventStream stream;
    private final StaticFiles files = new StaticFiles();

    private LiveView(HttpServer server, ExecutorService threads, URI url, RequestGuard guard, Topology topology,
            SpanCollector collector, StandingFaults faults, RuntimeEvents events, int maxTraces) {
        this.server = server;
        this.threads = threads;
        this.url = url;
        this.guard = guard;
        this.topology = topology;
        this.faults = faults;
        this.events = events;
        Traffic traffic = new Traffic(topology, System::currentTimeMillis);
        TraceStore store = new TraceStore(maxTraces, LiveViewSettings.MAX_BYTES);
        collector.sendTo(span -> {
            traffic.record(span);
            store.add(span);
        });
        this.graph = new GraphView(topology, traffic);
        this.traces = new TraceView(store);
        this.stream = new EventStream(this::snapshot);
    }

    /**
     * Binds the view and starts serving; nothing is left running when it cannot bind.
     *
     * @param collector the exporter the process's telemetry feeds
     * @param events    where a change of the standing plan is logged
     */
    public static LiveView start(LiveViewSettings settings, Topology topology, SpanCollector collector,
            StandingFaults faults, RuntimeEvents events) throws IOException {
        InetAddress address = settings.bindAddress();
        HttpServer server = bind(address, settings);
        int port = server.getAddress().getPort();
        String host = address.isAnyLocalAddress() ? "127.0.0.1" : settings.host();
        URI url = URI.create("http://" + host + ":" + port + "/");
        ExecutorService threads = Executors.newFixedThreadPool(THREADS, runnable -> {
            Thread thread = new Thread(runnable, "thespian-live-view");
            thread.setDaemon(true);
            return thread;
        });
        LiveView view = new LiveView(server, threads, url,
                RequestGuard.forAddress(address, settings.host(), port, settings.token()), topology, collector,
                faults, events, settings.maxTraces());
        server.setExecutor(threads);
        server.createContext("/", view::handle);
        server.start();
        return view;
    }

    private static HttpServer bind(InetAddress address, LiveViewSettings settings) throws IOException {
        int last = settings.nextFree() ? Math.min(65535, settings.port() + PORTS_TRIED - 1) : settings.port();
        for (int port = settings.port(); ; port++) {
            try {
                return HttpServer.create(new InetSocketAddress(address, port), 64);
            } catch (BindException e) {
                if (port >= last) {
                    throw new IOException("the live view cannot listen on " + settings.host() + ":" + settings.port()
                            + (settings.nextFree() ? " nor the " + (PORTS_TRIED - 1) + " ports after it" : ""), e);
                }
            }
        }
    }

    /** Where the page is, e.g. {@code http://127.0.0.1:8080/}. */
    public URI url() {
        return url;
    }

    @Override
    public void close() {
        stream.close();
        server.stop(0);
        threads.shutdownNow();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            boolean api = path.startsWith("/api/");
            securityHeaders(exchange);
            RequestGuard.Verdict verdict = guard.check(exchange, api);
            if (!verdict.passes()) {
                send(exchange, verdict.status(), Map.of("error", verdict.reason()));
            } else if (api) {
                api(exchange, path);
            } else {
                files.serve(exchange, path);
            }
        } catch (IOException e) {
            // the browser went away mid-answer
        } catch (IllegalArgumentException e) {
            // a query string that does not decode
            send(exchange, 400, Map.of("error", "bad request: " + e.getMessage()));
        }
    }

    private static void securityHeaders(HttpExchange exchange) {
        var headers = exchange.getResponseHeaders();
        headers.set("Content-Security-Policy", CONTENT_SECURITY_POLICY);
        headers.set("X-Content-Type-Options", "nosniff");
        headers.set("Referrer-Policy", "no-referrer");
        headers.set("X-Frame-Options", "DENY");
        headers.set("Cross-Origin-Resource-Policy", "same-origin");
    }

    private void api(HttpExchange exchange, String path) throws IOException {
        String method = exchange.getRequestMethod();
        Map<String, String> query = query(exchange.getRequestURI());
        switch (path) {
            case "/api/graph" -> onlyGet(exchange, () -> graph.render());
            case "/api/traces" -> onlyGet(exchange, () -> traces.list(limit(query), Optional.ofNullable(
                    query.get("service")).filter(s -> !s.isEmpty()), "true".equals(query.get("error"))));
            case "/api/members" -> onlyGet(exchange, this::members);
            case "/api/faults" -> faults(exchange, method);
            case "/api/events" -> {
                if (method.equals("GET")) {
                    stream.serve(exchange);
                } else {
                    send(exchange, 405, Map.of("error", "/api/events takes GET"));
                }
            }
            default -> {
                if (path.startsWith("/api/traces/") && method.equals("GET")) {
                    String id = path.substring("/api/traces/".length());
                    Optional<Map<String, Object>> trace = traces.trace(id);
                    if (trace.isPresent()) {
                        send(exchange, 200, trace.get());
                    } else {
                        send(exchange, 404, Map.of("error", "no trace " + id + " is kept"));
                    }
                } else {
                    send(exchange, 404, Map.of("error", "no such API: " + method + " " + path));
                }
            }
        }
    }

    private interface Body {
        Object get() throws IOException;
    }

    private static void onlyGet(HttpExchange exchange, Body body) throws IOException {
        if (exchange.getRequestMethod().equals("GET")) {
            send(exchange, 200, body.get());
        } else {
            send(exchange, 405, Map.of("error", exchange.getRequestURI().getPath() + " takes GET"));
        }
    }

    private static int limit(Map<String, String> query) {
        String text = query.getOrDefault("limit", "");
        return text.matches("[0-9]{1,6}")
                ? Math.max(1, Math.min(TraceView.MAX_LIMIT, Integer.parseInt(text)))
                : TraceView.DEFAULT_LIMIT;
    }

    private void faults(HttpExchange exchange, String method) throws IOException {
        switch (method) {
            case "GET" -> send(exchange, 200, Map.of("plan", faults.plan().orElse("")));
            case "DELETE" -> {
                Optional<String> previous = faults.clear(ORIGIN, events);
                send(exchange, 200, planChange("", previous));
            }
            case "PUT" -> {
                Optional<String> plan = planOf(exchange);
                if (plan.isEmpty()) {
                    send(exchange, 400, Map.of("error", "PUT /api/faults takes {\"plan\": \"SERVICE:abort=CODE@PERCENT,"
                            + "...\"} (at most " + MAX_BODY_BYTES + " bytes)"));
                    return;
                }
                try {
                    Optional<String> previous = faults.set(plan.get(), ORIGIN, events);
                    send(exchange, 200, planChange(faults.plan().orElse(""), previous));
                } catch (FaultPlan.InvalidFaultPlan e) {
                    send(exchange, 400, Map.of("error", e.getMessage()));
                }
            }
            default -> send(exchange, 405, Map.of("error", "/api/faults takes GET, PUT or DELETE"));
        }
    }

    private static Map<String, Object> planChange(String plan, Optional<String> previous) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("plan", plan);
        json.put("previous", previous.orElse(""));
        return json;
    }

    private static Optional<String> planOf(HttpExchange exchange) throws IOException {
        try (InputStream body = exchange.getRequestBody()) {
            byte[] bytes = body.readNBytes(MAX_BODY_BYTES + 1);
            if (bytes.length > MAX_BODY_BYTES) {
                return Optional.empty();
            }
            JsonNode plan = JSON.readTree(bytes).path("plan");
            return plan.isTextual() ? Optional.of(plan.asText()) : Optional.empty();
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            return Optional.empty();
        }
    }

    private Map<String, Object> members() {
        var members = topology.actors().stream().map(actor -> {
            var revision = actor.config().get();
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("name", actor.name());
            json.put("address", actor.address());
            json.put("revision", revision.number());
            json.put("origin", revision.origin());
            json.put("config", revision.text());
            return json;
        }).toList();
        return Map.of("members", members);
    }

    /** What the event stream pushes each second: the graph, the newest traces and the standing plan. */
    private Map<String, Object> snapshot() {
        Map<String, Object> events = new LinkedHashMap<>();
        events.put("graph", graph.render());
        events.put("faults", Map.of("plan", faults.plan().orElse("")));
        events.put("traces", traces.list(TraceView.DEFAULT_LIMIT, Optional.empty(), false));
        return events;
    }

    static Map<String, String> query(URI uri) {
        Map<String, String> query = new HashMap<>();
        String raw = uri.getRawQuery();
        if (raw == null) {
            return query;
        }
        for (String pair : raw.split("&")) {
            int equals = pair.indexOf('=');
            String key = equals < 0 ? pair : pair.substring(0, equals);
            String value = equals < 0 ? "" : pair.substring(equals + 1);
            query.putIfAbsent(URLDecoder.decode(key, StandardCharsets.UTF_8),
                    URLDecoder.decode(value, StandardCharsets.UTF_8));
        }
        return query;
    }

    static void send(HttpExchange exchange, int status, Object body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    static byte[] json(Object value) throws IOException {
        return JSON.writeValueAsBytes(value);
    }
}
