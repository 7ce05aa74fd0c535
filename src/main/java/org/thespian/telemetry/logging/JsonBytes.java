package org.thespian.telemetry.logging;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One JSON object written straight to UTF-8 bytes, for a log line: flat fields of strings, whole and decimal numbers,
 * booleans and null. Written as Jackson writes them (the same escapes: {@code \"}, {@code \\}, {@code \b \t \n \f \r}
 * and six-character escapes with upper-case hex digits for other control characters and for every surrogate;
 * everything else as UTF-8; decimals as {@link Double#toString}). Every request writes a line, and setting up a
 * Jackson generator per line (its context, buffers and a copy out of them) cost more than writing the line.
 */
final class JsonBytes {

    private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);
    /** Each thread writes its lines here first; only the finished line is copied out. */
    private static final ThreadLocal<JsonBytes> SCRATCH = ThreadLocal.withInitial(JsonBytes::new);
    /** A scratch buffer grown past this by a huge line is not kept. */
    private static final int KEPT_BYTES = 64 << 10;

    private byte[] bytes = new byte[1024];
    private int length;
    private boolean firstField;

    private JsonBytes() {
    }

    /** This thread's writer, emptied, with the object opened. */
    static JsonBytes startObject() {
        JsonBytes json = SCRATCH.get();
        json.length = 0;
        json.firstField = true;
        json.put((byte) '{');
        return json;
    }

    /** Closes the object, then {@code suffix} (a newline, or nothing), as a new array. */
    byte[] endObject(String suffix) {
        put((byte) '}');
        for (int i = 0; i < suffix.length(); i++) {
            put((byte) suffix.charAt(i));
        }
        byte[] line = Arrays.copyOf(bytes, length);
        if (bytes.length > KEPT_BYTES) {
            bytes = new byte[1024];
        }
        return line;
    }

    JsonBytes field(String name, String value) {
        name(name);
        if (value == null) {
            ascii("null");
        } else {
            string(value);
        }
        return this;
    }

    JsonBytes field(String name, long value) {
        name(name);
        ascii(Long.toString(value));
        return this;
    }

    JsonBytes field(String name, double value) {
        name(name);
        ascii(Double.toString(value));
        return this;
    }

    JsonBytes field(String name, boolean value) {
        name(name);
        ascii(value ? "true" : "false");
        return this;
    }

    private void name(String name) {
        if (!firstField) {
            put((byte) ',');
        }
        firstField = false;
        string(name);
        put((byte) ':');
    }

    private void ascii(String text) {
        for (int i = 0; i < text.length(); i++) {
            put((byte) text.charAt(i));
        }
    }

    private void string(String text) {
        put((byte) '"');
        int n = text.length();
        room(6 * n + 1); // the most a char takes (a six-character escape), so plain ASCII goes in unchecked
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
                bytes[length++] = (byte) c;
            } else if (c < 0x80) {
                escape(c);
            } else if (c < 0x800) {
                put((byte) (0xC0 | c >> 6));
                put((byte) (0x80 | c & 0x3F));
            } else if (Character.isSurrogate(c)) {
                escape(c);
            } else {
                put((byte) (0xE0 | c >> 12));
                put((byte) (0x80 | c >> 6 & 0x3F));
                put((byte) (0x80 | c & 0x3F));
            }
        }
        put((byte) '"');
    }

    private void escape(char c) {
        put((byte) '\\');
        switch (c) {
            case '"', '\\' -> put((byte) c);
            case '\b' -> put((byte) 'b');
            case '\t' -> put((byte) 't');
            case '\n' -> put((byte) 'n');
            case '\f' -> put((byte) 'f');
            case '\r' -> put((byte) 'r');
            default -> {
                put((byte) 'u');
                put(HEX[c >> 12]);
                put(HEX[c >> 8 & 0xF]);
                put(HEX[c >> 4 & 0xF]);
                put(HEX[c & 0xF]);
            }
        }
    }

    private void put(byte b) {
        room(1);
        bytes[length++] = b;
    }

    private void room(int more) {
        if (length + more > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + more));
        }
    }
}
