package org.thespian.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

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

    /**
     * Fixed ports (such as the live view's default, 8080) reserved among the test JVMs of this build for as long as
     * this is open, waiting until no other holds them: for the docs' servers, which must listen where the docs say,
     * and for tests of a default, whose process could take such a port from a doc's server starting beside it.
     */
    public static final class ReservedPorts implements AutoCloseable {
        private final List<FileChannel> files = new ArrayList<>();

        public ReservedPorts(List<Integer> ports) {
            Path folder = ThespianProcess.jar().toAbsolutePath().getParent();
            try {
                for (int port : ports.stream().sorted().distinct().toList()) { // in order: two holders never deadlock
                    FileChannel file = FileChannel.open(folder.resolve("port-" + port + ".lock"),
                            StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    files.add(file);
                    file.lock();
                }
            } catch (IOException e) {
                close();
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void close() {
            for (FileChannel file : files) {
                try {
                    file.close(); // and with it the lock
                } catch (IOException e) {
                    // closed all the same
                }
            }
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
