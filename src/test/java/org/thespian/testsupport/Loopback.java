package org.thespian.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;

/** Addresses on 127.0.0.1, where every test endpoint lives. */
public final class Loopback {

    static final String HOST = "127.0.0.1";

    private Loopback() {
    }

    /** A port nothing listens on (it was free a moment ago), to stand for a backend that is down. */
    public static URI closedPort() {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(anyPort());
            return url(socket.getLocalPort());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A port that refuses connections for as long as this is open: bound, never listening. A port merely closed
     * again may be handed to another test's process at once (a cast taking free ports), which then answers.
     */
    public static final class RefusingPort implements AutoCloseable {
        private final Socket holder = new Socket();

        public RefusingPort() {
            try {
                holder.bind(anyPort());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        public int port() {
            return holder.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            holder.close();
        }
    }

    /** Whether something on 127.0.0.1 accepts a connection on {@code port}. */
    public static boolean listening(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(HOST, port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static InetSocketAddress anyPort() {
        return new InetSocketAddress(HOST, 0);
    }

    static URI url(int port) {
        return URI.create("http://" + HOST + ":" + port);
    }
}
