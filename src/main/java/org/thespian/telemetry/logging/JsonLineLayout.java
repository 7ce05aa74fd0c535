package org.thespian.telemetry.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.LayoutBase;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.event.KeyValuePair;

/**
 * Renders a logging event as one JSON object without a trailing newline: the body of a Loki line, and (through
 * {@link JsonLineEncoder}) a stdout line. Fields: {@code timestamp level message logger thread service_name
 * service_instance_id}, then
 * every MDC entry, then the event's key-value pairs, then {@code exception} when a throwable is attached.
 */
public final class JsonLineLayout extends LayoutBase<ILoggingEvent> {

    // ISO_INSTANT drops the fraction when the millis are zero; log lines should all look alike.
    private static final DateTimeFormatter TIMESTAMP =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.").withZone(ZoneOffset.UTC);
    private static final Set<String> OWN_FIELDS =
            Set.of("timestamp", "level", "message", "logger", "thread", "service_name", "service_instance_id",
                    "exception");

    private static volatile Timestamp lastTimestamp = new Timestamp(Long.MIN_VALUE, "", "");

    private String serviceName = "";
    private String instanceId = "";

    public void setServiceName(String serviceName) {
        this.serviceName = serviceName;
    }

    public void setInstanceId(String instanceId) {
        this.instanceId = instanceId;
    }

    @Override
    public String doLayout(ILoggingEvent event) {
        return new String(write(event, ""), StandardCharsets.UTF_8);
    }

    /** The same object as UTF-8 bytes with the line's newline, for stdout: no String or copy in between. */
    byte[] toLine(ILoggingEvent event) {
        return write(event, "\n");
    }

    private byte[] write(ILoggingEvent event, String suffix) {
        Map<String, String> mdc = event.getMDCPropertyMap();
        JsonBytes json = JsonBytes.startObject()
                .field("timestamp", timestamp(event.getTimeStamp()))
                .field("level", event.getLevel().toString())
                .field("message", event.getFormattedMessage())
                .field("logger", event.getLoggerName())
                .field("thread", event.getThreadName())
                .field("service_name", mdc.getOrDefault(LoggingSetup.SERVICE_NAME, serviceName))
                .field("service_instance_id", mdc.getOrDefault(LoggingSetup.SERVICE_INSTANCE_ID, instanceId));
        writeContext(json, mdc, event.getKeyValuePairs());
        IThrowableProxy thrown = event.getThrowableProxy();
        if (thrown != null) {
            json.field("exception", ThrowableProxyUtil.asString(thrown));
        }
        return json.endObject(suffix);
    }

    /**
     * Under load tens of lines share a millisecond, and nearly every line a second: each millisecond's text is made
     * once, and the formatter runs once a second, for the part before the milliseconds.
     */
    private static String timestamp(long millis) {
        Timestamp last = lastTimestamp;
        if (last.millis() != millis) {
            long second = Math.floorDiv(millis, 1000);
            String upToSecond = second == Math.floorDiv(last.millis(), 1000) ? last.upToSecond()
                    : TIMESTAMP.format(Instant.ofEpochSecond(second));
            int milli = (int) Math.floorMod(millis, 1000);
            last = new Timestamp(millis, upToSecond, upToSecond + (char) ('0' + milli / 100)
                    + (char) ('0' + milli / 10 % 10) + (char) ('0' + milli % 10) + 'Z');
            lastTimestamp = last;
        }
        return last.text();
    }

    /** @param upToSecond the text up to the milliseconds: {@code 2026-11-25T10:15:30.} */
    private record Timestamp(long millis, String upToSecond, String text) {
    }

    /*
     * A name is written once: our own fields first, then MDC, then key-value pairs. A repeated key would make the line
     * ambiguous to JSON readers such as LogQL's `| json`, which keep one of the values without saying which.
     */
    private static void writeContext(JsonBytes json, Map<String, String> mdc, List<KeyValuePair> keyValues) {
        for (Map.Entry<String, String> entry : mdc.entrySet()) {
            if (!OWN_FIELDS.contains(entry.getKey())) {
                json.field(entry.getKey(), entry.getValue());
            }
        }
        if (keyValues == null) {
            return;
        }
        Set<String> written = new HashSet<>();
        for (KeyValuePair pair : keyValues) {
            if (!OWN_FIELDS.contains(pair.key) && !mdc.containsKey(pair.key) && written.add(pair.key)) {
                writeValue(json, pair.key, pair.value);
            }
        }
    }

    private static void writeValue(JsonBytes json, String name, Object value) {
        if (value == null) {
            json.field(name, (String) null);
        } else if (value instanceof Boolean flag) {
            json.field(name, flag.booleanValue());
        } else if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte) {
            json.field(name, ((Number) value).longValue());
        } else if ((value instanceof Double || value instanceof Float) && Double.isFinite(((Number) value).doubleValue())) {
            json.field(name, ((Number) value).doubleValue());
        } else {
            // NaN and infinities are not JSON numbers; anything else is shown the way the message would show it.
            json.field(name, value.toString());
        }
    }
}
