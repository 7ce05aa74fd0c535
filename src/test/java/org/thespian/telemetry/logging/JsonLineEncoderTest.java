package org.thespian.telemetry.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.event.KeyValuePair;

class JsonLineEncoderTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final LoggerContext context = new LoggerContext();

    @Test
    void writesOneLineOfJsonWithExactlyTheDocumentedFields() throws Exception {
        Map<String, String> mdc = new LinkedHashMap<>();
        mdc.put("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736");
        mdc.put("span_id", "00f067aa0ba902b7");
        mdc.put("action", "charge");
        LoggingEvent event = event(Level.WARN, "paid {} for {}", new IllegalStateException("card declined"),
                mdc, "12.50", "order-7");
        event.addKeyValuePair(new KeyValuePair("attempt", 3));
        event.addKeyValuePair(new KeyValuePair("latency_ms", 12.5));
        event.addKeyValuePair(new KeyValuePair("retried", true));
        event.addKeyValuePair(new KeyValuePair("note", "two\nlines"));

        String text = encode(event);

        assertEquals(text.length() - 1, text.indexOf('\n'), "one line, newline-terminated: " + text);
        JsonNode json = JSON.readTree(text);
        assertEquals(List.of("timestamp", "level", "message", "logger", "thread", "service_name",
                "service_instance_id", "trace_id", "span_id", "action", "attempt", "latency_ms", "retried", "note",
                "exception"), fieldNames(json));
        assertEquals("2026-11-25T10:15:30.000Z", json.get("timestamp").asText());
        assertEquals("WARN", json.get("level").asText());
        assertEquals("paid 12.50 for order-7", json.get("message").asText());
        assertEquals("org.thespian.Checkout", json.get("logger").asText());
        assertEquals("worker-1", json.get("thread").asText());
        assertEquals("checkout", json.get("service_name").asText());
        assertEquals("checkout-7f9c", json.get("service_instance_id").asText());
        assertEquals("4bf92f3577b34da6a3ce929d0e0e4736", json.get("trace_id").asText());
        assertEquals("00f067aa0ba902b7", json.get("span_id").asText());
        assertEquals("charge", json.get("action").asText());
        assertEquals(3, json.get("attempt").asLong());
        assertEquals(12.5, json.get("latency_ms").asDouble());
        assertTrue(json.get("retried").asBoolean());
        assertEquals("two\nlines", json.get("note").asText());
        String exception = json.get("exception").asText();
        assertTrue(exception.startsWith("java.lang.IllegalStateException: card declined"), exception);
        assertTrue(exception.contains("at org.thespian.telemetry.logging.JsonLineEncoderTest"), exception);
    }

    @Test
    void omitsExceptionWithoutThrowableAndNeverRepeatsAField() throws Exception {
        Map<String, String> mdc = new LinkedHashMap<>();
        mdc.put("message", "from MDC");
        mdc.put("action", "charge");
        LoggingEvent event = event(Level.INFO, "from the call", null, mdc);
        event.addKeyValuePair(new KeyValuePair("action", "from key-value"));
        event.addKeyValuePair(new KeyValuePair("level", "from key-value"));

        JsonNode json = JSON.readTree(encode(event));

        assertEquals(List.of("timestamp", "level", "message", "logger", "thread", "service_name",
                "service_instance_id", "action"), fieldNames(json));
        assertEquals("from the call", json.get("message").asText());
        assertEquals("INFO", json.get("level").asText());
        assertEquals("charge", json.get("action").asText());
        assertFalse(json.has("exception"));
    }

    /** Written by hand for speed, a line must escape exactly as Jackson would, byte for byte. */
    @Test
    void escapesEveryCharacterAsJacksonDoes() throws Exception {
        StringBuilder text = new StringBuilder();
        for (char c = 0; c < 0x900; c++) {
            text.append(c);
        }
        text.append("\u20ac \ud83c\udfad, half a pair \ud83c, \uffff \\ \" / end");
        Map<String, String> mdc = new LinkedHashMap<>();
        mdc.put("note", text.toString());
        LoggingEvent event = event(Level.INFO, "{}", null, mdc, text.toString());

        String line = encode(event);

        String expected = new String(JSON.writeValueAsBytes(text.toString()), StandardCharsets.UTF_8);
        assertTrue(line.contains("\"message\":" + expected + ","), line);
        assertTrue(line.contains("\"note\":" + expected + "}"), line);
        assertEquals(text.toString(), JSON.readTree(line).get("message").asText());
    }

    /** Times are formatted once a second and their milliseconds added per line: each line still has its own. */
    @Test
    void everyLineHasItsOwnMillisecondWithinAndAcrossSeconds() throws Exception {
        for (String time : List.of("2026-11-25T10:15:30.007Z", "2026-11-25T10:15:30.250Z", "2026-11-25T10:15:30.250Z",
                "2026-11-25T10:15:31.999Z", "2026-11-25T10:15:31.000Z", "1969-12-31T23:59:59.040Z")) {
            LoggingEvent event = event(Level.INFO, "at " + time, null, Map.of());
            event.setInstant(Instant.parse(time));

            assertEquals(time, JSON.readTree(encode(event)).get("timestamp").asText());
        }
    }

    private LoggingEvent event(Level level, String message, Throwable thrown, Map<String, String> mdc,
            Object... arguments) {
        Logger logger = context.getLogger("org.thespian.Checkout");
        LoggingEvent event = new LoggingEvent(Logger.class.getName(), logger, level, message, thrown, arguments);
        event.setInstant(Instant.parse("2026-11-25T10:15:30Z"));
        event.setThreadName("worker-1");
        event.setMDCPropertyMap(mdc);
        return event;
    }

    private String encode(LoggingEvent event) {
        JsonLineEncoder encoder = new JsonLineEncoder();
        encoder.setContext(context);
        encoder.setServiceName("checkout");
        encoder.setInstanceId("checkout-7f9c");
        encoder.start();
        return new String(encoder.encode(event), StandardCharsets.UTF_8);
    }

    private static List<String> fieldNames(JsonNode json) {
        List<String> names = new ArrayList<>();
        json.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
