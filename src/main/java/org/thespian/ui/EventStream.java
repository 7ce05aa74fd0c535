package org.thespian.ui;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * {@code GET /api/events}: Server-Sent Events, one {@code graph} and one {@code traces} event a second. The events
 * are rendered once a second for all pages together, and only while some page listens.
 */
final class EventStream implements AutoCloseable {

    static final long PERIOD_MILLIS = 1_000;
    /** Pages listening at once; each holds one of the view's threads. */
    static final int MAX_LISTENERS = 16;

    private final Supplier<Map<String, Object>> snapshot;
    private final ScheduledExecutorService ticker;
    private final AtomicInteger listeners = new AtomicInteger();
    private byte[] latest = new byte[0];
    private long sequence;
    private boolean closed;

    EventStream(Supplier<Map<String, Object>> snapshot) {
        this.snapshot = snapshot;
        this.ticker = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "thespian-live-view-events");
            thread.setDaemon(true);
            return thread;
        });
        ticker.scheduleAtFixedRate(this::publish, 0, PERIOD_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void publish() {
        if (listeners.get() == 0) {
            return;
        }
        try {
            StringBuilder text = new StringBuilder();
            for (Map.Entry<String, Object> event : snapshot.get().entrySet()) {
                text.append("event: ").append(event.getKey()).append('\n')
                        .append("data: ").append(new String(LiveView.json(event.getValue()), StandardCharsets.UTF_8))
                        .append("\n\n");
            }
            byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
            synchronized (this) {
                latest = bytes;
                sequence++;
                notifyAll();
            }
        } catch (IOException | RuntimeException e) {
            // the next tick tries again
        }
    }

    /** Streams events to this exchange until the page goes away or the view closes. */
    void serve(HttpExchange exchange) throws IOException {
        if (listeners.incrementAndGet() > MAX_LISTENERS) {
            listeners.decrementAndGet();
            LiveView.send(exchange, 503, Map.of("error", "at most " + MAX_LISTENERS + " pages may listen at once"));
            return;
        }
        try {
            exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
            exchange.getResponseHeaders().set("Cache-Control", "no-store");
            exchange.sendResponseHeaders(200, 0);
            OutputStream out = exchange.getResponseBody();
            out.write(": live view events\n\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
            ticker.execute(this::publish); // the first events now, not in up to a second
            long seen = 0;
            while (true) {
                byte[] next;
                synchronized (this) {
                    while (!closed && sequence == seen) {
                        wait(15_000);
                        if (sequence == seen && !closed) {
                            break; // a comment below keeps proxies from closing a quiet stream
                        }
                    }
                    if (closed) {
                        return;
                    }
                    next = sequence == seen ? ": keep-alive\n\n".getBytes(StandardCharsets.UTF_8) : latest;
                    seen = sequence;
                }
                out.write(next);
                out.flush();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            listeners.decrementAndGet();
        }
    }

    @Override
    public void close() {
        ticker.shutdownNow();
        synchronized (this) {
            closed = true;
            notifyAll();
        }
    }
}
