package org.thespian.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.thespian.proto.Nothing;
import org.thespian.server.RuntimeEvents;
import org.thespian.server.StandingFaults;

/** The live view's JSON API over a running cast in this JVM, through real HTTP and gRPC. */
class LiveViewTest {

    private static final Nothing NOTHING = Nothing.getDefaultInstance();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static HttpResponse<String> call(RunningCast cast, String method, String path, String body,
            String... headers) throws Exception {
        return call(cast.view, method, path, body, headers);
    }

    private static HttpResponse<String> call(LiveView view, String method, String path, String body,
            String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(view.url().resolve(path))
                .timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode get(RunningCast cast, String path) throws Exception {
        return get(cast.view, path);
    }

    private static JsonNode get(LiveView view, String path) throws Exception {
        HttpResponse<String> response = call(view, "GET", path, null);
        assertEquals(200, response.statusCode(), response.body());
        return JSON.readTree(response.body());
    }

    private static JsonNode named(JsonNode list, String field, String value) {
        return StreamSupport.stream(list.spliterator(), false).filter(item -> item.path(field).asText().equals(value))
                .findFirst().orElseThrow(() -> new AssertionError("no " + value + " in " + list));
    }

    private static JsonNode edge(JsonNode graph, String from, String to) {
        return StreamSupport.stream(graph.path("edges").spliterator(), false)
                .filter(edge -> edge.path("from").asText().equals(from) && edge.path("to").asText().equals(to))
                .findFirst().orElseThrow(() -> new AssertionError("no edge " + from + "->" + to + " in " + graph));
    }

    @Test
    void theGraphShowsTheConfiguredCallsBeforeTrafficAndCountsCallsAfter() throws Exception {
        try (RunningCast cast = RunningCast.start(0, RunningCast.onAnyPort())) {
            JsonNode before = get(cast, "/api/graph");
            assertEquals(List.of("front", "middle", "back"), StreamSupport.stream(before.path("services").spliterator(),
                    false).map(service -> service.path("name").asText()).toList());
            assertEquals(1, named(before.path("services"), "name", "front").path("instances").asInt());
            assertEquals("B", edge(before, "front", "middle").path("method").asText());
            assertEquals(0, edge(before, "middle", "back").path("calls").asLong());

            for (int i = 0; i < 5; i++) {
                cast.front().a(NOTHING);
            }
            cast.settle();
            JsonNode after = get(cast, "/api/graph");
            for (String service : List.of("front", "middle", "back")) {
                JsonNode figures = named(after.path("services"), "name", service);
                assertEquals(5, figures.path("calls").asLong(), service + ": " + figures);
                assertEquals(0, figures.path("errors").asLong());
                assertTrue(figures.path("rate_per_s").asDouble() > 0, figures.toString());
                assertTrue(figures.path("p99_ms").asDouble() >= figures.path("p50_ms").asDouble()
                        && figures.path("p50_ms").asDouble() > 0, figures.toString());
            }
            assertEquals(5, edge(after, "front", "middle").path("calls").asLong());
            assertEquals(5, edge(after, "middle", "back").path("calls").asLong());
            assertEquals(2, after.path("edges").size(), "observed calls join the configured edges: " + after);
        }
    }

    @Test
    void underLoadTheGraphCountsEveryCallWhileTracesAreSampled() throws Exception {
        SpanCollector collector = new SpanCollector();
        Resource busy = Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), "busy"));
        int calls = 20_000;
        try (SdkTracerProvider tracing = SdkTracerProvider.builder().setResource(busy).addSpanProcessor(collector)
                        .build();
                LiveView view = LiveView.start(RunningCast.onAnyPort(), new Topology(List.of(), false), collector,
                        new StandingFaults(), RuntimeEvents.NONE)) {
            Tracer tracer = tracing.get("test");
            for (int i = 0; i < calls; i++) {
                Span server = tracer.spanBuilder("thespian.Thespian/A").setSpanKind(SpanKind.SERVER).startSpan();
                if (i % 10 == 0) {
                    server.setStatus(StatusCode.ERROR, "failed");
                }
                server.end();
            }
            JsonNode service = named(get(view, "/api/graph").path("services"), "name", "busy");
            assertEquals(calls, service.path("calls").asLong(), service.toString());
            assertEquals(calls / 10, service.path("errors").asLong(), service.toString());

            JsonNode traces = get(view, "/api/traces?limit=2000");
            long takenIn = traces.path("kept").asLong() + traces.path("dropped").asLong();
            assertTrue(takenIn > 0 && takenIn < calls / 2, "traces taken in, at " + calls + " in a second or so: "
                    + takenIn);
            assertTrue(traces.path("skipped").asLong() > 0, traces.path("skipped").toString());
        }
    }

    @Test
    void tracesAreListedNewestFirstFilteredAndShownSpanBySpan() throws Exception {
        try (RunningCast cast = RunningCast.start(0, RunningCast.onAnyPort())) {
            cast.front().a(NOTHING);
            Thread.sleep(5);
            assertThrows(StatusRuntimeException.class, () -> cast.front("back:abort=UNAVAILABLE").a(NOTHING));
            cast.settle();
            JsonNode all = get(cast, "/api/traces?limit=10").path("traces");
            assertEquals(2, all.size(), all.toString());
            JsonNode failed = all.get(0);
            assertTrue(failed.path("error").asBoolean(), "the newest first: " + all);
            assertFalse(all.get(1).path("error").asBoolean());
            assertEquals("front", failed.path("root_service").asText());
            assertEquals("thespian.Thespian/A", failed.path("root_name").asText());
            assertEquals(List.of("front", "middle", "back"), StreamSupport.stream(failed.path("services").spliterator(),
                    false).map(JsonNode::asText).toList());
            assertTrue(failed.path("duration_ms").asDouble() > 0 && failed.path("span_count").asInt() >= 5, failed.toString());

            assertEquals(1, get(cast, "/api/traces?limit=1").path("traces").size());
            assertEquals(1, get(cast, "/api/traces?error=true").path("traces").size());
            assertEquals(2, get(cast, "/api/traces?service=back").path("traces").size());
            assertEquals(0, get(cast, "/api/traces?service=nobody").path("traces").size());

            JsonNode trace = get(cast, "/api/traces/" + failed.path("trace_id").asText());
            assertEquals(failed.path("trace_id").asText(), trace.path("trace_id").asText());
            JsonNode server = named(trace.path("spans"), "name", "thespian.Thespian/C");
            assertEquals("back", server.path("service").asText());
            assertEquals("SERVER", server.path("kind").asText());
            assertTrue(server.path("status").asText().startsWith("ERROR: injected fault"), server.toString());
            assertEquals("true", server.path("attributes").path("thespian.fault.injected").asText());
            assertTrue(server.path("start_offset_ms").asDouble() > 0 && server.path("duration_ms").asDouble() >= 0);
            JsonNode root = named(trace.path("spans"), "name", "thespian.Thespian/A");
            assertEquals("", root.path("parent_span_id").asText());
            assertEquals(0.0, root.path("start_offset_ms").asDouble());
            assertEquals(404, call(cast, "GET", "/api/traces/0123", null).statusCode());
        }
    }

    @Test
    void aStandingPlanFromTheApiReachesEveryCallUntilDeleted() throws Exception {
        try (RunningCast cast = RunningCast.start(0, RunningCast.onAnyPort())) {
            String plan = "{\"plan\": \"back:abort=UNAVAILABLE\"}";
            assertEquals(403, call(cast, "PUT", "/api/faults", plan).statusCode(), "no X-Thespian-Request");
            HttpResponse<String> bad = call(cast, "PUT", "/api/faults", "{\"plan\": \"back:abort=UNAVAILABLE,x:y\"}",
                    "X-Thespian-Request", "1");
            assertEquals(400, bad.statusCode());
            assertTrue(JSON.readTree(bad.body()).path("error").asText().startsWith("thespian-fault entry 2 \"x:y\""),
                    bad.body());
            cast.front().a(NOTHING);

            HttpResponse<String> put = call(cast, "PUT", "/api/faults", plan, "X-Thespian-Request", "1");
            assertEquals(200, put.statusCode(), put.body());
            assertEquals("back:abort=UNAVAILABLE", get(cast, "/api/faults").path("plan").asText());
            StatusRuntimeException error = assertThrows(StatusRuntimeException.class, () -> cast.front().a(NOTHING));
            assertEquals(Status.Code.UNAVAILABLE, error.getStatus().getCode());
            cast.settle();
            JsonNode failed = get(cast, "/api/traces?error=true").path("traces");
            assertEquals(1, failed.size(), "the fault shows in spans as the header's do: " + failed);

            assertEquals(403, call(cast, "DELETE", "/api/faults", null).statusCode());
            assertEquals(200, call(cast, "DELETE", "/api/faults", null, "X-Thespian-Request", "1").statusCode());
            assertEquals("", get(cast, "/api/faults").path("plan").asText());
            cast.front().a(NOTHING);
        }
    }

    @Test
    void onlyItsOwnHostIsAnsweredAndTheTokenGuardsTheApiButNotThePage() throws Exception {
        LiveViewSettings guarded = LiveViewSettings.parse("127.0.0.1:0", "--ui", Optional.of("s3cret"), Map.of())
                .orElseThrow();
        try (RunningCast cast = RunningCast.start(0, guarded)) {
            int port = cast.view.url().getPort();
            for (String host : List.of("127.0.0.1:" + port, "localhost:" + port)) {
                assertEquals(401, rawStatus(port, host, "/api/graph"), host);
            }
            for (String host : List.of("attacker.example:" + port, "127.0.0.1:1", "localhost")) {
                assertEquals(403, rawStatus(port, host, "/api/graph"), host);
                assertEquals(403, rawStatus(port, host, "/"), host);
            }
            assertEquals(200, call(cast, "GET", "/", null).statusCode());
            assertEquals(401, call(cast, "GET", "/api/graph", null, "Authorization", "Bearer wrong").statusCode());
            assertEquals(200, call(cast, "GET", "/api/graph", null, "Authorization", "Bearer s3cret").statusCode());
            HttpResponse<String> page = call(cast, "GET", "/", null);
            assertTrue(page.headers().firstValue("Content-Security-Policy").orElse("").contains("script-src 'self'"));
            assertFalse(page.body().contains("<script>") || page.body().contains(" style="),
                    "no inline script or style: " + page.body());
            assertEquals(200, call(cast, "GET", "/vendor/cytoscape.min.js", null).statusCode());
            assertEquals(404, call(cast, "GET", "/org/thespian/ui/LiveView.class", null).statusCode());
        }
    }

    /** The status of a GET that sends {@code host} as Host, which java.net.http will not let a caller choose. */
    private static int rawStatus(int port, String host, String path) throws Exception {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String status = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
                    .readLine();
            return Integer.parseInt(status.split(" ")[1]);
        }
    }

    @Test
    void theEventStreamPushesTheGraphAndTracesEverySecond() throws Exception {
        try (RunningCast cast = RunningCast.start(0, RunningCast.onAnyPort())) {
            cast.front().a(NOTHING);
            HttpRequest request = HttpRequest.newBuilder(cast.view.url().resolve("/api/events")).build();
            HttpResponse<InputStream> response = HTTP.send(request, HttpResponse.BodyHandlers.ofInputStream());
            assertEquals("text/event-stream; charset=utf-8", response.headers().firstValue("Content-Type").orElse(""));
            List<String> events = new ArrayList<>();
            long start = System.nanoTime();
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                String event = null;
                for (String line = lines.readLine(); line != null && events.stream().filter("graph"::equals).count() < 3;
                        line = lines.readLine()) {
                    if (line.startsWith("event: ")) {
                        event = line.substring(7);
                    } else if (line.startsWith("data: ")) {
                        JsonNode data = JSON.readTree(line.substring(6));
                        assertTrue(data.isObject(), line);
                        events.add(event);
                    }
                }
            }
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertTrue(events.containsAll(List.of("graph", "traces", "faults")), events.toString());
            assertTrue(took.compareTo(Duration.ofSeconds(20)) < 0, "three rounds took " + took);
        }
    }

    @Test
    void aTakenDefaultPortMovesTheViewToTheNextFreeOneAndClosingFreesIt() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            LiveViewSettings settings = new LiveViewSettings("127.0.0.1", taken.getLocalPort(), true, Optional.empty(),
                    10);
            URI url;
            try (RunningCast cast = RunningCast.start(0, settings)) {
                url = cast.view.url();
                assertTrue(url.getPort() > taken.getLocalPort(), url.toString());
                assertEquals(200, call(cast, "GET", "/api/graph", null).statusCode());
            }
            assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", url.getPort()).close());
        }
    }

    @Test
    void badSettingsAreOneLineNamingWhatIsWrong() {
        LiveViewSettings.Invalid address = assertThrows(LiveViewSettings.Invalid.class,
                () -> LiveViewSettings.parse("8080", "--ui", Optional.empty(), Map.of()));
        assertEquals("--ui must be HOST:PORT (such as 127.0.0.1:8080) or off, got \"8080\"", address.getMessage());
        LiveViewSettings.Invalid open = assertThrows(LiveViewSettings.Invalid.class,
                () -> LiveViewSettings.parse("0.0.0.0:8080", "THESPIAN_UI", Optional.empty(), Map.of()));
        assertTrue(open.getMessage().startsWith("THESPIAN_UI 0.0.0.0:8080 can be reached from other machines: set"
                + " THESPIAN_ADMIN_TOKEN"), open.getMessage());
        assertTrue(assertDoesNotThrow(() -> LiveViewSettings.parse("0.0.0.0:8080", "THESPIAN_UI", Optional.of("t"),
                Map.of())).isPresent());
        LiveViewSettings.Invalid traces = assertThrows(LiveViewSettings.Invalid.class,
                () -> LiveViewSettings.parse(null, "--ui", Optional.empty(), Map.of("THESPIAN_UI_TRACES", "0")));
        assertEquals("THESPIAN_UI_TRACES must be a whole number from 1 to 1000000, got \"0\"", traces.getMessage());
        assertEquals(Optional.empty(), assertDoesNotThrow(() -> LiveViewSettings.parse("off", "--ui", Optional.empty(),
                Map.of())));
    }

    private static <T> T assertDoesNotThrow(org.junit.jupiter.api.function.ThrowingSupplier<T> supplier) {
        return org.junit.jupiter.api.Assertions.assertDoesNotThrow(supplier);
    }
}
