package org.thespian.bench;

import io.grpc.ManagedChannel;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.thespian.load.LoadOptions;
import org.thespian.load.LoadReport;
import org.thespian.load.LoadRun;
import org.thespian.load.Progress;

/** K calls at once, on the fresh server and after a warm-up: how late they come back. See {@link Bench}. */
final class Burst {

    // How long to wait for the calls of a burst; they carry no deadline (a timer each would cost the client).
    private static final long DRAIN_S = 30;

    private Burst() {
    }

    static void run(Bench.Options options) throws Exception {
        int port = options.integer("port", -1);
        int calls = options.integer("calls", 5000);
        long expectNanos = TimeUnit.MILLISECONDS.toNanos(options.integer("expect-ms", 200));
        Processes server = Processes.of(options.text("server-pids", ""));
        ManagedChannel channel = Bench.channel(port);

        long threadsFresh = server.threads();
        long rssFresh = server.rssKb();
        // What a simulation that starts with a burst sees: both JVMs still interpret and compile.
        Result cold = fireAll(channel, calls);
        // Then warm up, as JIT compilation and heap growth are not what we measure. A burst is over in half a
        // second, far too few calls for C2 to catch up on two cores, so the same calls first run as a closed
        // loop (the load tool's, on connections of its own), then as a few bursts.
        LoadReport warmup = LoadRun.run(LoadOptions.parse(List.of("--target", Bench.HOST + ":" + port,
                "--concurrency", Integer.toString(calls), "--duration", options.integer("warmup-s", 20) + "s")),
                Progress.Listener.NONE);
        StringBuilder warmups = new StringBuilder("warm-up: " + warmup.calls() + " calls " + calls
                + " at a time, then bursts all done in ms:");
        for (int i = options.integer("warmup-bursts", 3); i > 0; i--) {
            warmups.append(' ').append(Bench.millis(fireAll(channel, calls).completionNanos));
        }
        System.err.println(warmups);
        Thread.sleep(1000);
        long threadsIdle = server.threads();
        long rssIdle = server.rssKb();
        PeakSampler peak = new PeakSampler(server);
        CpuSnapshot before = CpuSnapshot.take(server, Processes.SELF, Processes.NONE);
        long start = System.nanoTime();
        Result burst = fireAll(channel, calls);
        long elapsed = System.nanoTime() - start;
        CpuSnapshot used = CpuSnapshot.take(server, Processes.SELF, Processes.NONE).since(before);
        peak.stop();
        Bench.shutdown(channel);

        Bench.result(Map.of(
                "calls", Integer.toString(calls),
                "ok", Integer.toString(burst.latencies.length),
                "errors", Integer.toString(calls - burst.latencies.length),
                "issue_ms", Bench.millis(burst.issueNanos),
                "completion_ms", Bench.millis(burst.completionNanos),
                "server_cpu_us", Bench.perRequestMicros(used.serverTotal(), calls),
                "foreign_cores", used.foreignCores(elapsed),
                "server_threads_ms", used.serverThreadsMillis(),
                "threads", threadsFresh + "/" + threadsIdle + "/" + peak.threads,
                "rss_mb", rssFresh / 1024 + "/" + rssIdle / 1024 + "/" + peak.rssKb / 1024),
                Map.of("cold_completion_ms", Bench.millis(cold.completionNanos)),
                Bench.percentiles("cold_over_", cold.overshoot(expectNanos)),
                Bench.percentiles("over_", burst.overshoot(expectNanos)));
    }

    private record Result(long[] latencies, long issueNanos, long completionNanos) {
        /** How much longer than {@code expectNanos} each OK call took. */
        long[] overshoot(long expectNanos) {
            return Arrays.stream(latencies).map(latency -> latency - expectNanos).toArray();
        }
    }

    /** Starts {@code calls} calls back to back and waits for all; latencies of the OK ones. */
    private static Result fireAll(ManagedChannel channel, int calls) throws InterruptedException {
        long[] latencies = new long[calls];
        boolean[] ok = new boolean[calls];
        AtomicLong lastEnd = new AtomicLong();
        CountDownLatch done = new CountDownLatch(calls);
        long first = System.nanoTime();
        for (int i = 0; i < calls; i++) {
            int index = i;
            long start = System.nanoTime();
            Bench.call(channel, status -> {
                long end = System.nanoTime();
                latencies[index] = end - start;
                ok[index] = status.isOk();
                lastEnd.accumulateAndGet(end, Math::max);
                done.countDown();
            });
        }
        long issued = System.nanoTime() - first;
        if (!done.await(DRAIN_S, TimeUnit.SECONDS)) {
            throw new IllegalStateException(done.getCount() + " calls of the burst never ended");
        }
        long[] okLatencies = new long[calls];
        int count = 0;
        for (int i = 0; i < calls; i++) {
            if (ok[i]) {
                okLatencies[count++] = latencies[i];
            }
        }
        return new Result(Arrays.copyOf(okLatencies, count), issued, lastEnd.get() - first);
    }

    /** Samples the server's thread count and RSS every 10 ms and keeps the highest. */
    private static final class PeakSampler {
        private final Thread thread;
        private volatile boolean running = true;
        volatile long threads;
        volatile long rssKb;

        PeakSampler(Processes server) {
            thread = new Thread(() -> {
                while (running) {
                    threads = Math.max(threads, server.threads());
                    rssKb = Math.max(rssKb, server.rssKb());
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "peak-sampler");
            thread.start();
        }

        void stop() throws InterruptedException {
            running = false;
            thread.join();
        }
    }
}
