package org.thespian.server;

import com.sun.management.UnixOperatingSystemMXBean;
import io.grpc.Attributes;
import io.grpc.Grpc;
import io.grpc.ServerTransportFilter;
import io.grpc.netty.shaded.io.grpc.netty.GrpcHttp2ConnectionHandler;
import io.grpc.netty.shaded.io.grpc.netty.InternalProtocolNegotiator;
import io.grpc.netty.shaded.io.grpc.netty.InternalProtocolNegotiators;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandler;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.ChannelInboundHandlerAdapter;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.Http2Connection;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.Http2Stream;
import io.grpc.netty.shaded.io.netty.util.AsciiString;
import java.lang.management.ManagementFactory;
import java.util.Comparator;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.thespian.common.DropReport;

/**
 * Every open connection of the servers that share a {@link ProcessResources}, from accept to close, under a cap below the
 * process's descriptor limit. Past the cap a new connection closes another: one that never finished its HTTP/2
 * handshake (the oldest first), else one with no stream open (the longest silent first), else, when every
 * connection has calls open, the newcomer itself. Descriptors never run out, so the server can always accept, and a
 * new client or a health check gets in however many idle or half-open connections are held.
 *
 * <p>grpc-java has no connection limit of its own: a handler is put in front of gRPC's on every connection (through
 * the protocol negotiator, gRPC's plaintext one behind it) to see accepts, reads and closes, and its transport
 * filter marks the end of the handshake and gives every call its {@link Connection} ({@link #KEY}).
 */
final class Connections extends ServerTransportFilter {

    /** The connection a call came on, among the call's attributes. */
    static final Attributes.Key<Connection> KEY = Attributes.Key.create("thespian.connection");

    /** Descriptors kept for everything else (the JVM's files, peers, telemetry, the accept of one more). */
    private static final int MIN_RESERVED_DESCRIPTORS = 128;
    private static final Logger LOG = LoggerFactory.getLogger("thespian.connections");
    /** Handshake-only connections before idle ones; among the first the oldest, among the second the quietest. */
    private static final Comparator<Connection> CLOSED_FIRST = Comparator.comparing(Connection::ready)
            .thenComparingLong(connection -> connection.ready() ? connection.lastReadNanos()
                    : connection.acceptedNanos());

    private final IntSupplier cap;
    private final String capName;
    private final Set<Connection> open = ConcurrentHashMap.newKeySet();
    private final Map<Connection.Addresses, Connection> byAddresses = new ConcurrentHashMap<>();
    /** Connections closed to stay under the cap. */
    private final DropReport closed = new DropReport();

    private Connections(IntSupplier cap, String capName) {
        this.cap = cap;
        this.capName = capName;
    }

    /** {@code fixed} connections at most, or, when empty, a cap below the process's descriptor limit. */
    static Connections capped(OptionalInt fixed) {
        return fixed.isPresent()
                ? new Connections(fixed::getAsInt, "the configured limit")
                : new Connections(Connections::capForDescriptors, "below the process's open-file limit");
    }

    /**
     * The process's open-file limit less an eighth of it (at least 128, at most half), read at every accept: a limit
     * lowered while the process runs (prlimit) counts from the next connection on.
     */
    static int capForDescriptors() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean unix) {
            return capForDescriptors(unix.getMaxFileDescriptorCount());
        }
        return Integer.MAX_VALUE;
    }

    static int capForDescriptors(long descriptorLimit) {
        long reserved = Math.min(descriptorLimit / 2, Math.max(MIN_RESERVED_DESCRIPTORS, descriptorLimit / 8));
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, descriptorLimit - reserved));
    }

    /** Connections open now, handshake done or not. */
    int open() {
        return open.size();
    }

    /** gRPC's plaintext negotiation, behind a handler that puts each new connection under this cap. */
    InternalProtocolNegotiator.ProtocolNegotiator negotiator() {
        InternalProtocolNegotiator.ProtocolNegotiator plaintext = InternalProtocolNegotiators.serverPlaintext();
        return new InternalProtocolNegotiator.ProtocolNegotiator() {
            @Override
            public AsciiString scheme() {
                return plaintext.scheme();
            }

            @Override
            public ChannelHandler newHandler(GrpcHttp2ConnectionHandler grpcHandler) {
                return new Front(plaintext.newHandler(grpcHandler), grpcHandler.connection());
            }

            @Override
            public void close() {
                plaintext.close();
            }
        };
    }

    @Override
    public Attributes transportReady(Attributes attributes) {
        Connection connection = byAddresses.get(new Connection.Addresses(
                attributes.get(Grpc.TRANSPORT_ATTR_LOCAL_ADDR), attributes.get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR)));
        if (connection == null) {
            return attributes;
        }
        connection.settingsReceived();
        return attributes.toBuilder().set(KEY, connection).build();
    }

    private synchronized void accepted(Connection newcomer) {
        open.add(newcomer);
        byAddresses.put(newcomer.addresses(), newcomer);
        int limit = cap.getAsInt();
        if (open.size() <= limit) {
            return;
        }
        Connection closed = open.stream()
                .filter(connection -> connection != newcomer && (!connection.ready() || connection.idle()))
                .min(CLOSED_FIRST)
                .orElse(newcomer);
        forget(closed);
        closed.close();
        report(limit);
    }

    private void forget(Connection connection) {
        open.remove(connection);
        byAddresses.remove(connection.addresses(), connection);
    }

    /** At most one line a minute, however many connections a flood makes it close. */
    private void report(int limit) {
        closed.add(1);
        closed.due(System.nanoTime()).ifPresent(due -> LOG.warn("Closed {} connections in the last minute to stay"
                + " within {} open connections ({}): those without a finished HTTP/2 handshake first, then idle ones,"
                + " else the newest", due.total(), limit, capName));
    }

    /**
     * In front of gRPC's handlers for the life of one connection: puts it under the cap when it is accepted, notes
     * when it was last heard from and how many streams it has open, and forgets it when it closes.
     */
    private final class Front extends ChannelInboundHandlerAdapter {
        private final ChannelHandler negotiation;
        private final Http2Connection http2;
        private Connection connection;

        Front(ChannelHandler negotiation, Http2Connection http2) {
            this.negotiation = negotiation;
            this.http2 = http2;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext context) {
            context.pipeline().addAfter(context.name(), null, negotiation);
            connection = new Connection(context);
            http2.addListener(new Http2ConnectionAdapter() {
                @Override
                public void onStreamActive(Http2Stream stream) {
                    connection.streamsNow(http2.numActiveStreams());
                }

                @Override
                public void onStreamClosed(Http2Stream stream) {
                    connection.streamsNow(http2.numActiveStreams());
                }
            });
            context.channel().closeFuture().addListener(closed -> forget(connection));
            accepted(connection);
        }

        @Override
        public void channelRead(ChannelHandlerContext context, Object message) {
            connection.heard();
            context.fireChannelRead(message);
        }
    }
}
