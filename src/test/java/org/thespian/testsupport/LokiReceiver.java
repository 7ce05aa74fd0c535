package org.thespian.testsupport;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.thespian.testsupport.HttpExchanges.Reply;

/**
 * A Loki push endpoint ({@code POST /loki/api/v1/push}) on a free loopback port that records the lines it is sent.
 * It reads Loki's JSON push format, structured metadata included (the third element of a value):
 * <pre>{"streams":[{"stream":{label:value...},"values":[["&lt;unix nanos&gt;","&lt;line&gt;",{key:value...}]]}]}</pre>
 */
public final class LokiReceiver implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<Map<String, String>> STRING_MAP = new TypeReference<>() {
    };

    private final Inbox<ReceivedLogLine> lines = new Inbox<>("Loki log lines");
    private final HttpServer http;

    private LokiReceiver(int status) throws IOException {
        http = HttpExchanges.start(Map.of("/loki/api/v1/push", HttpExchanges.post((exchange, body) -> {
            if (!HttpExchanges.hasContentType(exchange, "application/json")) {
                return Reply.text(415, "this receiver reads Loki's JSON push format only");
            }
            try {
                lines.addAll(parse(JSON.readTree(body)));
            } catch (JsonProcessingException | RuntimeException e) {
                return Reply.text(400, "not a Loki JSON push: " + e);
            }
            return status == 204 ? Reply.empty(204) : Reply.text(status, "refused by the test: status " + status);
        })));
    }

    public static LokiReceiver start() throws IOException {
        return new LokiReceiver(204);
    }

    /** A Loki that reads each push (recording its lines) and answers {@code status}, e.g. 400 or 503. */
    public static LokiReceiver answering(int status) throws IOException {
        return new LokiReceiver(status);
    }

    /** Loki's base address, {@code http://127.0.0.1:<port>}, without the push path. */
    public URI address() {
        return Loopback.url(http.getAddress().getPort());
    }

    public List<ReceivedLogLine> lines() {
        return lines.snapshot();
    }

    public List<ReceivedLogLine> awaitLines(Predicate<List<ReceivedLogLine>> until, Duration timeout) {
        return lines.await(until, timeout);
    }

    @Override
    public void close() {
        http.stop(0);
    }

    private static List<ReceivedLogLine> parse(JsonNode push) {
        List<ReceivedLogLine> parsed = new ArrayList<>();
        for (JsonNode stream : push.path("streams")) {
            Map<String, String> labels = JSON.convertValue(stream.path("stream"), STRING_MAP);
            for (JsonNode value : stream.path("values")) {
                Map<String, String> metadata = value.has(2) ? JSON.convertValue(value.get(2), STRING_MAP) : Map.of();
                parsed.add(new ReceivedLogLine(labels, metadata, Long.parseLong(value.get(0).asText()),
                        value.get(1).asText()));
            }
        }
        return parsed;
    }
}
