package org.thespian.testsupport;

import io.grpc.netty.shaded.io.netty.buffer.Unpooled;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.Http2Exception;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An HTTP/2 client written by hand, frame by frame, to do what well-behaved clients never do: stop after the
 * preface, open streams and reset them at once, send bytes that are not the message they claim to be. Header
 * blocks use HPACK's static table and literals without indexing, so no HPACK state is needed.
 */
public final class RawHttp2 implements AutoCloseable {

    public static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    public static final int DATA = 0x0;
    public static final int HEADERS = 0x1;
    public static final int RST_STREAM = 0x3;
    public static final int SETTINGS = 0x4;
    public static final int PING = 0x6;
    public static final int GOAWAY = 0x7;
    private static final int END_STREAM = 0x1;
    private static final int END_HEADERS = 0x4;
    private static final int ACK = 0x1;
    private static final int CANCEL = 0x8;

    /** One frame as read: its type, flags, stream and payload. */
    public record Frame(int type, int flags, int streamId, byte[] payload) {
    }

    private final Socket socket;
    private final OutputStream out;
    private final DataInputStream in;
    private final DefaultHttp2HeadersDecoder hpack = new DefaultHttp2HeadersDecoder(false);

    private RawHttp2(Socket socket) throws IOException {
        this.socket = socket;
        this.out = new BufferedOutputStream(socket.getOutputStream(), 1 << 16);
        this.in = new DataInputStream(socket.getInputStream());
    }

    public static RawHttp2 connect(int port) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        return new RawHttp2(socket);
    }

    /** Only the 24 bytes of the connection preface, no SETTINGS after it. */
    public RawHttp2 sendPrefaceOnly() throws IOException {
        out.write(PREFACE);
        out.flush();
        return this;
    }

    /** The preface and an empty SETTINGS, then the server's SETTINGS acknowledged: a usable connection. */
    public RawHttp2 handshake(Duration timeout) throws IOException {
        out.write(PREFACE);
        frame(SETTINGS, 0, 0, new byte[0]);
        out.flush();
        Frame frame;
        do {
            frame = read(timeout);
        } while (frame.type() != SETTINGS || (frame.flags() & ACK) != 0);
        frame(SETTINGS, ACK, 0, new byte[0]);
        out.flush();
        return this;
    }

    /** Sends a PING and reads up to its acknowledgement: the server has then read everything sent before it. */
    public void sync(Duration timeout) throws IOException {
        frame(PING, 0, 0, new byte[8]);
        out.flush();
        Frame frame;
        do {
            frame = read(timeout);
        } while (frame.type() != PING || (frame.flags() & ACK) == 0);
    }

    /** HEADERS of a gRPC POST to {@code path}, leaving the stream open for DATA unless {@code endStream}. */
    public void headers(int streamId, String path, boolean endStream) throws IOException {
        ByteArrayOutputStream block = new ByteArrayOutputStream();
        block.write(0x83); // :method POST
        block.write(0x86); // :scheme http
        literalWithIndexedName(block, 4, path); // :path
        literalWithIndexedName(block, 1, "localhost"); // :authority
        literal(block, "content-type", "application/grpc");
        literal(block, "te", "trailers");
        frame(HEADERS, END_HEADERS | (endStream ? END_STREAM : 0), streamId, block.toByteArray());
    }

    /** One gRPC message (uncompressed) in a DATA frame that ends the stream. */
    public void message(int streamId, byte[] message) throws IOException {
        message(streamId, message, true);
    }

    /** One gRPC message (uncompressed) in a DATA frame, ending the stream or leaving it open. */
    public void message(int streamId, byte[] message, boolean endStream) throws IOException {
        byte[] payload = new byte[5 + message.length];
        payload[1] = (byte) (message.length >>> 24);
        payload[2] = (byte) (message.length >>> 16);
        payload[3] = (byte) (message.length >>> 8);
        payload[4] = (byte) message.length;
        System.arraycopy(message, 0, payload, 5, message.length);
        frame(DATA, endStream ? END_STREAM : 0, streamId, payload);
    }

    public void reset(int streamId) throws IOException {
        frame(RST_STREAM, 0, streamId, new byte[] {0, 0, 0, CANCEL});
    }

    public void flush() throws IOException {
        out.flush();
    }

    /** The next frame; throws EOFException when the server has closed the connection. */
    public Frame read(Duration timeout) throws IOException {
        socket.setSoTimeout((int) Math.max(1, timeout.toMillis()));
        int length = in.readUnsignedShort() << 8 | in.readUnsignedByte();
        int type = in.readUnsignedByte();
        int flags = in.readUnsignedByte();
        int streamId = in.readInt() & 0x7FFFFFFF;
        byte[] payload = new byte[length];
        in.readFully(payload);
        return new Frame(type, flags, streamId, payload);
    }

    /**
     * The header fields of a HEADERS frame the server sent, by name. Frames must be decoded in the order they came
     * (HPACK's table lives as long as the connection), and only HEADERS frames that carry a whole block.
     */
    public Map<String, String> headersOf(Frame frame) throws IOException {
        if (frame.type() != HEADERS || (frame.flags() & END_HEADERS) == 0) {
            throw new IllegalArgumentException("not a HEADERS frame with a whole block: type " + frame.type());
        }
        Map<String, String> fields = new LinkedHashMap<>();
        try {
            hpack.decodeHeaders(frame.streamId(), Unpooled.wrappedBuffer(frame.payload()))
                    .forEach(field -> fields.put(field.getKey().toString(), field.getValue().toString()));
        } catch (Http2Exception e) {
            throw new IOException("the server's header block does not decode: " + e.getMessage(), e);
        }
        return fields;
    }

    /** Whether a frame ends its stream (a HEADERS frame with it carries the trailers, or a trailers-only answer). */
    public static boolean endsStream(Frame frame) {
        return (frame.flags() & END_STREAM) != 0;
    }

    /**
     * Reads until {@code count} streams have ended with a HEADERS frame (their trailers, or a trailers-only answer) and
     * gives those header fields by stream; other frames are read and dropped.
     */
    public Map<Integer, Map<String, String>> awaitTrailers(int count, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<Integer, Map<String, String>> ended = new LinkedHashMap<>();
        while (ended.size() < count) {
            Frame frame = read(Duration.ofNanos(Math.max(deadline - System.nanoTime(), 1)));
            if (frame.type() == HEADERS) {
                Map<String, String> fields = headersOf(frame);
                if (endsStream(frame)) {
                    ended.put(frame.streamId(), fields);
                }
            }
        }
        return ended;
    }

    /** Reads and drops frames until the server closes the connection; false if it is still open after {@code timeout}. */
    public boolean awaitClosedByServer(Duration timeout) throws IOException {
        return awaitClosedByServer(timeout, false);
    }

    /**
     * As {@link #awaitClosedByServer(Duration)}, but acknowledges each PING, as every HTTP/2 stack does for an idle
     * connection: a graceful close, which waits for the answer to its PING, then need not wait out its timeout.
     */
    public boolean awaitClosedByServerAnsweringPings(Duration timeout) throws IOException {
        return awaitClosedByServer(timeout, true);
    }

    private boolean awaitClosedByServer(Duration timeout, boolean answerPings) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (System.nanoTime() < deadline) {
                Frame frame = read(Duration.ofNanos(Math.max(deadline - System.nanoTime(), 1)));
                if (answerPings && frame.type() == PING && (frame.flags() & ACK) == 0) {
                    frame(PING, ACK, 0, frame.payload());
                    out.flush();
                }
            }
            return false;
        } catch (EOFException | java.net.SocketException closed) {
            return true;
        } catch (SocketTimeoutException stillOpen) {
            return false;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    private void frame(int type, int flags, int streamId, byte[] payload) throws IOException {
        out.write(payload.length >>> 16);
        out.write(payload.length >>> 8);
        out.write(payload.length);
        out.write(type);
        out.write(flags);
        out.write(streamId >>> 24);
        out.write(streamId >>> 16);
        out.write(streamId >>> 8);
        out.write(streamId);
        out.write(payload);
    }

    private static void literalWithIndexedName(ByteArrayOutputStream block, int nameIndex, String value) {
        block.write(nameIndex); // 0000xxxx: literal without indexing, name from the static table
        string(block, value);
    }

    private static void literal(ByteArrayOutputStream block, String name, String value) {
        block.write(0);
        string(block, name);
        string(block, value);
    }

    private static void string(ByteArrayOutputStream block, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        if (bytes.length > 126) {
            throw new IllegalArgumentException("longer than a one-byte HPACK length: " + text);
        }
        block.write(bytes.length);
        block.writeBytes(bytes);
    }
}
