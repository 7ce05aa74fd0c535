package org.thespian.telemetry;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Protocol buffer wire format written in one pass into a growable array. A nested message's length is written
 * after its body: {@link #startMessage} reserves one byte for it, and {@link #endMessage} moves the body along in
 * the rare case the length needs more (a message of 128 bytes or more). Writing sizes first, as protobuf's own
 * writers do, would walk every span and attribute twice.
 *
 * <p>Zero numbers and empty strings are left out where proto3 leaves them out; the {@code always} methods are for
 * the fields of a {@code oneof}, whose presence is the value.
 */
final class ProtoWriter {

    private static final int LENGTH_DELIMITED = 2;
    private static final int VARINT = 0;
    private static final int FIXED64 = 1;
    private static final int FIXED32 = 5;

    private byte[] buffer;
    private int position;

    ProtoWriter(int initialBytes) {
        this.buffer = new byte[initialBytes];
    }

    void reset() {
        position = 0;
    }

    int size() {
        return position;
    }

    byte[] buffer() {
        return buffer;
    }

    /** @return where the message starts, for {@link #endMessage} */
    int startMessage(int field) {
        tag(field, LENGTH_DELIMITED);
        ensure(1);
        return position++;
    }

    void endMessage(int start) {
        int length = position - start - 1;
        int lengthBytes = varintSize(length);
        if (lengthBytes > 1) {
            ensure(lengthBytes - 1);
            System.arraycopy(buffer, start + 1, buffer, start + lengthBytes, length);
            position += lengthBytes - 1;
        }
        int at = start;
        long rest = length;
        while (rest >= 0x80) {
            buffer[at++] = (byte) (rest | 0x80);
            rest >>>= 7;
        }
        buffer[at] = (byte) rest;
    }

    void string(int field, String value) {
        if (!value.isEmpty()) {
            alwaysString(field, value);
        }
    }

    void alwaysString(int field, String value) {
        tag(field, LENGTH_DELIMITED);
        int length = value.length();
        ensure(5 + length);
        int start = position;
        position++;
        for (int i = 0; i < length; i++) {
            char c = value.charAt(i);
            if (c >= 0x80) {
                // Not ASCII: the JDK's encoder, for the length and the bytes.
                position = start;
                writeLengthAndBytes(value.getBytes(StandardCharsets.UTF_8));
                return;
            }
            buffer[position++] = (byte) c;
        }
        endMessage(start);
    }

    void alwaysBytes(int field, byte[] value) {
        tag(field, LENGTH_DELIMITED);
        writeLengthAndBytes(value);
    }

    /** A trace or span id given in lowercase hex (as the SDK keeps it), written as its bytes. */
    void hexId(int field, String hex) {
        int length = hex.length() / 2;
        tag(field, LENGTH_DELIMITED);
        ensure(1 + length);
        buffer[position++] = (byte) length;
        for (int i = 0; i < length; i++) {
            buffer[position++] = (byte) (nibble(hex.charAt(2 * i)) << 4 | nibble(hex.charAt(2 * i + 1)));
        }
    }

    void uint(int field, long value) {
        if (value != 0) {
            alwaysUint(field, value);
        }
    }

    void alwaysUint(int field, long value) {
        tag(field, VARINT);
        varint(value);
    }

    void fixed64(int field, long value) {
        if (value != 0) {
            alwaysFixed64(field, value);
        }
    }

    void alwaysFixed64(int field, long value) {
        tag(field, FIXED64);
        ensure(8);
        for (int i = 0; i < 8; i++) {
            buffer[position++] = (byte) (value >>> (8 * i));
        }
    }

    void fixed32(int field, int value) {
        if (value != 0) {
            tag(field, FIXED32);
            ensure(4);
            for (int i = 0; i < 4; i++) {
                buffer[position++] = (byte) (value >>> (8 * i));
            }
        }
    }

    private void raw(byte[] encoded) {
        ensure(encoded.length);
        System.arraycopy(encoded, 0, buffer, position, encoded.length);
        position += encoded.length;
    }

    private void writeLengthAndBytes(byte[] value) {
        varint(value.length);
        raw(value);
    }

    private void tag(int field, int wireType) {
        varint((long) field << 3 | wireType);
    }

    private void varint(long value) {
        ensure(10);
        long rest = value;
        while ((rest & ~0x7FL) != 0) {
            buffer[position++] = (byte) (rest | 0x80);
            rest >>>= 7;
        }
        buffer[position++] = (byte) rest;
    }

    private static int varintSize(int value) {
        return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5;
    }

    private static int nibble(char hex) {
        return hex <= '9' ? hex - '0' : hex - 'a' + 10;
    }

    private void ensure(int more) {
        if (position + more > buffer.length) {
            buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, position + more));
        }
    }
}
