package org.thespian.bench;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;

/**
 * The first calls a fresh server answers against the same calls once it is warm. See {@link Bench}.
 *
 * <p>The client warms itself first, against a bare server of its own, so that what is measured is the server's
 * first calls and not the client's: a client started cold is slow in the same way. It then says {@code ready}, waits
 * for the target's port to take connections, and sends the first {@code calls} calls with {@code concurrency} in
 * flight, on a new connection (its set-up counts, as a newcomer's first call pays it too). Then the same load runs
 * for {@code warm-s} seconds, unmeasured, and {@code rounds} more rounds of {@code calls} calls, each on a new
 * connection, give the warmed figures (the median round's p99). With {@code --server-log}, the server's own view of
 * the same calls (its request log's {@code answered OK in X ms}) is reported beside the client's.
 */
final class FirstCalls {

    private static final long DRAIN_S = 60;
    private static final long PORT_WAIT_S = 120;
    private static final Pattern ANSWERED = Pattern.compile("answered OK in ([0-9.]+) ms");

    private FirstCalls() {
    }

    static void run(Bench.Options options) throws Exception {
        int port = options.integer("port", -1);
        int calls = options.integer("calls", 200);
        int concurrency = options.integer("concurrency", 10);
        int rounds = options.integer("rounds", 7);
        warmClient(options.integer("client-warmup-s", 10), concurrency);
        System.out.println("ready");
        System.out.flush();

        awaitPort(port);
        long portOpen = System.currentTimeMillis();
        long[] first = onNewConnection(port, calls, concurrency);
        ManagedChannel channel = Bench.channel(port);
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(options.integer("warm-s", 15));
        while (System.nanoTime() < until) {
            fire(channel, calls, concurrency);
        }
        Bench.shutdown(channel);
        List<long[]> warm = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            warm.add(onNewConnection(port, calls, concurrency));
        }
        warm.sort((a, b) -> Long.compare(p99(a), p99(b)));
        long[] median = warm.get(rounds / 2);

        Map<String, String> ratio = new HashMap<>();
        ratio.put("p99_ratio", String.format(java.util.Locale.ROOT, "%.2f", (double) p99(first) / p99(median)));
        ratio.put("first_ok", Integer.toString(first.length));
        ratio.put("port_open_epoch_ms", Long.toString(portOpen));
        ratio.put("warm_p99s_ms", String.join("/", warm.stream().map(round -> Bench.millis(p99(round))).toList()));
        String log = options.text("server-log", "");
        Map<String, String> server = log.isEmpty() ? Map.of() : serverView(Path.of(log), calls, rounds);
        Bench.result(ratio, Bench.percentiles("first_", first), Bench.percentiles("warm_", median), server);
    }

    /** The client's own calls and connection, until they are compiled: against a bare server in this process. */
    private static void warmClient(int seconds, int concurrency) throws Exception {
        Server own = NettyServerBuilder.forAddress(new InetSocketAddress(Bench.HOST, 0))
                .directExecutor()
                .addService(new ThespianGrpc.ThespianImplBase() {
                    @Override
                    public void a(Nothing request, StreamObserver<Nothing> responses) {
                        responses.onNext(request);
                        responses.onCompleted();
                    }
                })
                .build()
                .start();
        try {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (System.nanoTime() < until) {
                onNewConnection(own.getPort(), 1000, concurrency);
            }
        } finally {
            own.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static void awaitPort(int port) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(PORT_WAIT_S);
        while (System.nanoTime() < until) {
            try (Socket ignored = new Socket(Bench.HOST, port)) {
                return;
            } catch (IOException notYet) {
                Thread.sleep(2);
            }
        }
        throw new IllegalStateException("port " + port + " never took a connection");
    }

    private static long[] onNewConnection(int port, int calls, int concurrency) throws InterruptedException {
        ManagedChannel channel = Bench.channel(port);
        try {
            return fire(channel, calls, concurrency);
        } finally {
            Bench.shutdown(channel);
        }
    }

    /** {@code calls} calls, {@code concurrency} in flight, each answer starting the next; latencies of the OK ones. */
    private static long[] fire(ManagedChannel channel, int calls, int concurrency) throws InterruptedException {
        long[] latencies = new long[calls];
        boolean[] ok = new boolean[calls];
        AtomicInteger next = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(calls);
        Runnable[] start = new Runnable[1];
        start[0] = () -> {
            int index = next.getAndIncrement();
            if (index >= calls) {
                return;
            }
            long begin = System.nanoTime();
            Bench.call(channel, status -> {
                latencies[index] = System.nanoTime() - begin;
                ok[index] = status.isOk();
                if (!status.isOk()) {
                    System.err.println("first-calls: call " + index + " answered " + status);
                }
                done.countDown();
                start[0].run();
            });
        };
        for (int i = 0; i < Math.min(concurrency, calls); i++) {
            start[0].run();
        }
        if (!done.await(DRAIN_S, TimeUnit.SECONDS)) {
            throw new IllegalStateException(done.getCount() + " of " + calls + " calls never ended");
        }
        long[] okLatencies = new long[calls];
        int count = 0;
        for (int i = 0; i < calls; i++) {
            if (ok[i]) {
                okLatencies[count++] = latencies[i];
            }
        }
        return Arrays.copyOf(okLatencies, count);
    }

    private static long p99(long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        return sorted.length == 0 ? 0 : sorted[Math.max(0, (int) Math.ceil(0.99 * sorted.length) - 1)];
    }

    /**
     * The same calls as the server saw them: the first {@code calls} request lines of its log, and the last
     * {@code rounds} × {@code calls} (the warmed rounds; their median p99, as for the client).
     */
    private static Map<String, String> serverView(Path log, int calls, int rounds) throws Exception {
        Thread.sleep(500); // the log is written in batches
        List<Long> answered = new ArrayList<>();
        for (String line : Files.readAllLines(log)) {
            Matcher match = ANSWERED.matcher(line);
            if (match.find()) {
                answered.add(Math.round(Double.parseDouble(match.group(1)) * 1e6));
            }
        }
        if (answered.size() < calls * (rounds + 1)) {
            return Map.of("server_lines", Integer.toString(answered.size()));
        }
        long[] first = answered.subList(0, calls).stream().mapToLong(Long::longValue).toArray();
        List<long[]> warm = new ArrayList<>();
        for (int i = rounds; i > 0; i--) {
            warm.add(answered.subList(answered.size() - i * calls, answered.size() - (i - 1) * calls).stream()
                    .mapToLong(Long::longValue).toArray());
        }
        warm.sort((a, b) -> Long.compare(p99(a), p99(b)));
        Map<String, String> view = new HashMap<>();
        view.putAll(Bench.percentiles("server_first_", first));
        view.putAll(Bench.percentiles("server_warm_", warm.get(rounds / 2)));
        view.put("server_p99_ratio", String.format(java.util.Locale.ROOT, "%.2f",
                (double) p99(first) / Math.max(1, p99(warm.get(rounds / 2)))));
        return view;
    }
}
