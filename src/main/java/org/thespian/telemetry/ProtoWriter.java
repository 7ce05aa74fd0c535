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

    /** Hex digits' values by character: a lookup, as random digits defeat a branch's prediction. */
    private static final byte[] NIBBLES = new byte[128];

    static {
        for (int digit = 0; digit < 16; digit++) {
            NIBBLES[Character.forDigit(digit, 16)] = (byte) digit;
        }
    }

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
        ensure(1 + length);
        byte[] bytes = buffer;
        int start = position;
        int at = start + 1;
        for (int i = 0; i < length; i++) {
            char c = value.charAt(i);
            if (c >= 0x80) {
                // Not ASCII: the JDK's encoder, for the length and the bytes.
                writeLengthAndBytes(value.getBytes(StandardCharsets.UTF_8));
                return;
            }
            bytes[at++] = (byte) c;
        }
        position = at;
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
        byte[] bytes = buffer;
        int at = position;
        bytes[at++] = (byte) length;
        for (int i = 0; i < length; i++) {
            bytes[at++] = (byte) (nibble(hex.charAt(2 * i)) << 4 | nibble(hex.charAt(2 * i + 1)));
        }
        position = at;
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
        littleEndian(value, 8);
    }

    void fixed32(int field, int value) {
        if (value != 0) {
            tag(field, FIXED32);
            littleEndian(value, 4);
        }
    }

    private void littleEndian(long value, int count) {
        ensure(count);
        byte[] bytes = buffer;
        int at = position;
        for (int i = 0; i < count; i++) {
            bytes[at++] = (byte) (value >>> (8 * i));
        }
        position = at;
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
        int tag = field << 3 | wireType;
        if (tag < 0x80) {
            ensure(1);
            buffer[position++] = (byte) tag;
        } else {
            varint(tag);
        }
    }

    private void varint(long value) {
        ensure(10);
        byte[] bytes = buffer;
        int at = position;
        long rest = value;
        while ((rest & ~0x7FL) != 0) {
            bytes[at++] = (byte) (rest | 0x80);
            rest >>>= 7;
        }
        bytes[at++] = (byte) rest;
        position = at;
    }

    private static int varintSize(int value) {
        return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5;
    }

    private static int nibble(char hex) {
        return NIBBLES[hex & 0x7F];
    }

    private void ensure(int more) {
        if (position + more > buffer.length) {
            buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, position + more));
        }
    }
}
