package org.thespian.telemetry.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.LayoutBase;
import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
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
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
    private static final JsonFactory JSON = new JsonFactory();
    private static final Set<String> OWN_FIELDS =
            Set.of("timestamp", "level", "message", "logger", "thread", "service_name", "service_instance_id",
                    "exception");

    private static volatile Timestamp lastTimestamp = new Timestamp(Long.MIN_VALUE, "");

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
        StringWriter out = new StringWriter(256);
        try (JsonGenerator json = JSON.createGenerator(out)) {
            write(json, event);
        } catch (IOException e) {
            throw new UncheckedIOException("a StringWriter does not fail", e);
        }
        return out.toString();
    }

    /** The same object as UTF-8 bytes with the line's newline, for stdout: no String or copy in between. */
    byte[] toLine(ILoggingEvent event) {
        ByteArrayBuilder out = new ByteArrayBuilder(512);
        try (JsonGenerator json = JSON.createGenerator(out, JsonEncoding.UTF8)) {
            write(json, event);
        } catch (IOException e) {
            throw new UncheckedIOException("a byte array does not fail", e);
        }
        out.append('\n');
        return out.toByteArray();
    }

    private void write(JsonGenerator json, ILoggingEvent event) throws IOException {
        Map<String, String> mdc = event.getMDCPropertyMap();
        json.writeStartObject();
        json.writeStringField("timestamp", timestamp(event.getTimeStamp()));
        json.writeStringField("level", event.getLevel().toString());
        json.writeStringField("message", event.getFormattedMessage());
        json.writeStringField("logger", event.getLoggerName());
        json.writeStringField("thread", event.getThreadName());
        json.writeStringField("service_name", mdc.getOrDefault(LoggingSetup.SERVICE_NAME, serviceName));
        json.writeStringField("service_instance_id", mdc.getOrDefault(LoggingSetup.SERVICE_INSTANCE_ID, instanceId));
        writeContext(json, mdc, event.getKeyValuePairs());
        IThrowableProxy thrown = event.getThrowableProxy();
        if (thrown != null) {
            json.writeStringField("exception", ThrowableProxyUtil.asString(thrown));
        }
        json.writeEndObject();
    }

    /** Under load tens of lines share a millisecond: each millisecond is formatted once. */
    private static String timestamp(long millis) {
        Timestamp last = lastTimestamp;
        if (last.millis() != millis) {
            last = new Timestamp(millis, TIMESTAMP.format(Instant.ofEpochMilli(millis)));
            lastTimestamp = last;
        }
        return last.text();
    }

    private record Timestamp(long millis, String text) {
    }

    /*
     * A name is written once: our own fields first, then MDC, then key-value pairs. A repeated key would make the line
     * ambiguous to JSON readers such as LogQL's `| json`, which keep one of the values without saying which.
     */
    private static void writeContext(JsonGenerator json, Map<String, String> mdc, List<KeyValuePair> keyValues)
            throws IOException {
        for (Map.Entry<String, String> entry : mdc.entrySet()) {
            if (!OWN_FIELDS.contains(entry.getKey())) {
                json.writeStringField(entry.getKey(), entry.getValue());
            }
        }
        if (keyValues == null) {
            return;
        }
        Set<String> written = new HashSet<>();
        for (KeyValuePair pair : keyValues) {
            if (!OWN_FIELDS.contains(pair.key) && !mdc.containsKey(pair.key) && written.add(pair.key)) {
                json.writeFieldName(pair.key);
                writeValue(json, pair.value);
            }
        }
    }

    private static void writeValue(JsonGenerator json, Object value) throws IOException {
        if (value == null) {
            json.writeNull();
        } else if (value instanceof Boolean flag) {
            json.writeBoolean(flag);
        } else if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte) {
            json.writeNumber(((Number) value).longValue());
        } else if ((value instanceof Double || value instanceof Float) && Double.isFinite(((Number) value).doubleValue())) {
            json.writeNumber(((Number) value).doubleValue());
        } else {
            // NaN and infinities are not JSON numbers; anything else is shown the way the message would show it.
            json.writeString(value.toString());
        }
    }
}
