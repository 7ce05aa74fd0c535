package org.thespian.server;

import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import java.net.SocketAddress;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One accepted connection, from accept to close: what {@link Connections} needs to choose which one to close when
 * there are too many, and the calls it holds of each budget that one connection may only take a share of.
 * The HTTP/2 state is written on the connection's event loop and read from any thread.
 */
final class Connection {

    /** A pair of addresses names one open TCP connection; gRPC's transport attributes carry the same pair. */
    record Addresses(SocketAddress local, SocketAddress remote) {
    }

    private final ChannelHandlerContext front;
    private final Addresses addresses;
    private final long acceptedNanos = System.nanoTime();
    private final AtomicInteger calls = new AtomicInteger();
    private final AtomicInteger adminCalls = new AtomicInteger();
    private volatile boolean ready;
    private volatile int openStreams;
    private volatile long lastReadNanos = acceptedNanos;

    /** @param front the context of a handler in front of gRPC's, so that closing from it skips gRPC's graceful close */
    Connection(ChannelHandlerContext front) {
        this.front = front;
        this.addresses = new Addresses(front.channel().localAddress(), front.channel().remoteAddress());
    }

    Addresses addresses() {
        return addresses;
    }

    /** The client's HTTP/2 SETTINGS came: the handshake is over (gRPC's transportReady). */
    void settingsReceived() {
        ready = true;
    }

    boolean ready() {
        return ready;
    }

    void streamsNow(int open) {
        openStreams = open;
    }

    /** Open, after its handshake, with no stream open: closing it ends no call. */
    boolean idle() {
        return ready && openStreams == 0;
    }

    void heard() {
        lastReadNanos = System.nanoTime();
    }

    long acceptedNanos() {
        return acceptedNanos;
    }

    long lastReadNanos() {
        return lastReadNanos;
    }

    /** Calls of thespian.Thespian in flight on this connection. */
    AtomicInteger calls() {
        return calls;
    }

    /** Admin calls in flight on this connection. */
    AtomicInteger adminCalls() {
        return adminCalls;
    }

    /** Closes the socket at once: no GOAWAY, no wait for streams (there are none, or it is a newcomer too many). */
    void close() {
        front.close();
    }
}
