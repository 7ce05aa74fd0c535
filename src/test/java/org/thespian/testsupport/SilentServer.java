package org.thespian.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A hung backend: accepts TCP connections on a free loopback port, reads whatever arrives and never answers, holding
 * each connection until closed.
 */
public final class SilentServer implements AutoCloseable {

    private final ServerSocket listener = new ServerSocket();
    private final Inbox<Socket> connections = new Inbox<>("a connection");
    private final ExecutorService threads = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "silent-server");
        thread.setDaemon(true);
        return thread;
    });

    private SilentServer() throws IOException {
        listener.bind(Loopback.anyPort());
        threads.execute(this::acceptAll);
    }

    public static SilentServer start() throws IOException {
        return new SilentServer();
    }

    /** {@code http://127.0.0.1:<port>}: usable as an OTLP endpoint or a Loki address. */
    public URI address() {
        return Loopback.url(listener.getLocalPort());
    }

    /** How many connections it has taken, to show that a client did try. */
    public int connectionsAccepted() {
        return connections.snapshot().size();
    }

    /** Waits until some client has connected, failing after {@code timeout}. */
    public void awaitConnection(Duration timeout) {
        connections.await(accepted -> !accepted.isEmpty(), timeout);
    }

    @Override
    public void close() throws IOException, InterruptedException {
        listener.close();
        for (Socket connection : connections.snapshot()) {
            connection.close();
        }
        threads.shutdownNow();
        threads.awaitTermination(5, TimeUnit.SECONDS);
    }

    private void acceptAll() {
        while (!listener.isClosed()) {
            try {
                Socket connection = listener.accept();
                connections.addAll(List.of(connection));
                if (listener.isClosed()) {
                    connection.close(); // accepted while close() ran, perhaps after it closed the others
                    return;
                }
                threads.execute(() -> discardInput(connection));
            } catch (IOException closed) {
                return;
            }
        }
    }

    private static void discardInput(Socket connection) {
        // Reading keeps the client's writes from stalling on a full buffer: only the missing answer should hang it.
        try (InputStream in = connection.getInputStream()) {
            in.transferTo(OutputStream.nullOutputStream());
        } catch (IOException closed) {
            // close() or the client ended the connection; either way there is nothing left to do.
        }
    }
}
