import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.Grpc;
import io.grpc.HandlerRegistry;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerMethodDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.LongSummaryStatistics;
import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;

/**
 * Load for Thespian's benchmarks; run as {@code java -cp target/thespian.jar bench/LoadGenerator.java MODE ...}.
 *
 * <pre>
 * load  --port P [--method A] [--concurrency 64] [--warmup-s 10] [--max-warmup-s 30] [--duration-s 10]
 *       [--connections 1] [--server-pids p,q] [--helper-pids p]
 *       closed loop: keeps N unary calls in flight, measures after the warm-up.
 * burst --port P [--method A] [--calls 5000] [--expect-ms 200] [--warmup-s 20] [--warmup-bursts 3] [--connections 1]
 *       [--server-pids p]
 *       fires K calls at once and measures how late they come back: once on the fresh server ("cold_"), and
 *       again after a warm-up.
 * sink  [--port 0]
 *       a gRPC server answering every unary method with an empty message: a valid OTLP Export*ServiceResponse,
 *       and a valid Nothing, so it is both an OTLP receiver and a bare grpc-java floor for thespian.Thespian.
 * </pre>
 *
 * load and burst print one line {@code RESULT key=value ...} on stdout for bench/run.sh; the sink prints
 * {@code listening PORT}, then a line per method and second: {@code sink METHOD requests=N bytes=N items=N}.
 * Everything stays on 127.0.0.1.
 */
public final class LoadGenerator {

    private static final String HOST = "127.0.0.1";
    private static final Nothing NOTHING = Nothing.getDefaultInstance();
    // How long to wait for calls still in flight at the end. Calls carry no deadline: each one would put a
    // timer on the client's event loop, a cost the server never sees, and this bound is enough against a hang.
    private static final long DRAIN_S = 30;

    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
        switch (options.mode) {
            case "load" -> load(options);
            case "burst" -> burst(options);
            case "sink" -> sink(options);
            default -> throw new IllegalArgumentException("unknown mode " + options.mode + "; see the class comment");
        }
    }

    // ---- load: closed loop ----

    private static void load(Options options) throws Exception {
        int concurrency = options.integer("concurrency", 64);
        int warmupS = options.integer("warmup-s", 10);
        int maxWarmupS = options.integer("max-warmup-s", 30);
        long durationNanos = TimeUnit.SECONDS.toNanos(options.integer("duration-s", 10));
        Processes servers = Processes.of(options.text("server-pids", ""));
        Processes helpers = Processes.of(options.text("helper-pids", ""));
        List<ManagedChannel> channels = channels(options);
        ClosedLoop loop = new ClosedLoop(channels, method(options.text("method", "A")), concurrency);

        loop.start();
        List<Long> rates = warmUp(loop, warmupS, maxWarmupS);
        CpuSnapshot before = CpuSnapshot.take(servers, helpers);
        long from = loop.measure(durationNanos);
        Thread.sleep(TimeUnit.NANOSECONDS.toMillis(from + durationNanos - System.nanoTime()));
        CpuSnapshot used = CpuSnapshot.take(servers, helpers).since(before);
        loop.stop();
        shutdown(channels);

        long ok = loop.okInWindow();
        result(Map.of(
                "rps", String.format(Locale.ROOT, "%.0f", ok / (durationNanos / 1e9)),
                "ok", Long.toString(ok),
                "ok_total", Long.toString(loop.okTotal()),
                "errors", Long.toString(loop.errors()),
                "warmup_s", Integer.toString(rates.size()),
                "server_cpu_us", perRequestMicros(used.serverTotal(), ok),
                "server_cpu_us_each", String.join("/",
                        Arrays.stream(used.servers()).mapToObj(cpu -> perRequestMicros(cpu, ok)).toList()),
                "client_cpu_us", perRequestMicros(used.client(), ok),
                "server_threads_ms", used.serverThreadsMillis(),
                "foreign_cores", used.foreignCores(durationNanos)),
                percentiles("", loop.latencies()));
        loop.reportFirstError();
    }

    /**
     * Runs the loop until the JIT has settled: with two cores busy with the load itself, C2 needs 10-25 s here.
     * Waits at least {@code minS} seconds, then until the rate is steady, at most {@code maxS} seconds. The
     * rate of each second goes to stderr.
     */
    private static List<Long> warmUp(ClosedLoop loop, int minS, int maxS) throws InterruptedException {
        List<Long> rates = new ArrayList<>();
        long done = 0;
        while (rates.size() < maxS && (rates.size() < minS || !steady(rates))) {
            Thread.sleep(1000);
            long total = loop.okTotal();
            rates.add(total - done);
            done = total;
        }
        System.err.println("warm-up req/s: " + rates);
        return rates;
    }

    /** The last three seconds lie within 10% of each other and are not 10% above the three before (still rising). */
    private static boolean steady(List<Long> rates) {
        int n = rates.size();
        if (n < 6) {
            return false;
        }
        LongSummaryStatistics last = rates.subList(n - 3, n).stream().mapToLong(Long::longValue).summaryStatistics();
        double before = rates.subList(n - 6, n - 3).stream().mapToLong(Long::longValue).average().orElse(0);
        return last.getMin() >= 0.9 * last.getMax() && last.getAverage() <= 1.1 * before;
    }

    /** Keeps {@code concurrency} calls in flight: each completion starts the next call. */
    private static final class ClosedLoop {
        private final List<ManagedChannel> channels;
        private final MethodDescriptor<Nothing, Nothing> method;
        private final int concurrency;
        // Exact percentiles from sorted samples; 4M samples cover 400k req/s for 10 s at 32 MB.
        private final long[] latencies = new long[1 << 22];
        private final AtomicInteger recorded = new AtomicInteger();
        private final AtomicLong errors = new AtomicLong();
        private final LongAdder okTotal = new LongAdder();
        private volatile Status firstError;
        private volatile long windowStart = Long.MAX_VALUE;
        private volatile long windowEnd = Long.MAX_VALUE;
        private volatile boolean stopping;
        private final CountDownLatch lanesStopped;
        // A call that fails at once (no server) may complete inside start(): re-firing it inline would recurse.
        private final ScheduledExecutorService retry = Executors.newSingleThreadScheduledExecutor(daemon());

        ClosedLoop(List<ManagedChannel> channels, MethodDescriptor<Nothing, Nothing> method, int concurrency) {
            this.channels = channels;
            this.method = method;
            this.concurrency = concurrency;
            this.lanesStopped = new CountDownLatch(concurrency);
        }

        void start() {
            for (int lane = 0; lane < concurrency; lane++) {
                fire(channels.get(lane % channels.size()));
            }
        }

        /** Records completions from now for {@code nanos}; returns the window's start. */
        long measure(long nanos) {
            long now = System.nanoTime();
            windowEnd = now + nanos;
            windowStart = now;
            return now;
        }

        void stop() throws InterruptedException {
            stopping = true;
            if (!lanesStopped.await(DRAIN_S, TimeUnit.SECONDS)) {
                System.err.println("warning: " + lanesStopped.getCount() + " calls still in flight at the end");
            }
            retry.shutdownNow();
        }

        private void fire(Channel channel) {
            long start = System.nanoTime();
            call(channel, method, status -> finished(channel, start, status));
        }

        private void finished(Channel channel, long start, Status status) {
            long end = System.nanoTime();
            if (status.isOk()) {
                okTotal.increment();
            }
            if (end >= windowStart && end < windowEnd) {
                if (status.isOk()) {
                    int index = recorded.getAndIncrement();
                    if (index < latencies.length) {
                        latencies[index] = end - start;
                    }
                } else {
                    errors.incrementAndGet();
                }
            }
            if (!status.isOk() && firstError == null) {
                firstError = status;
            }
            if (stopping) {
                lanesStopped.countDown();
            } else if (status.isOk()) {
                fire(channel);
            } else {
                retry.schedule(() -> fire(channel), 1, TimeUnit.MILLISECONDS);
            }
        }

        long okInWindow() {
            return recorded.get();
        }

        long okTotal() {
            return okTotal.sum();
        }

        long errors() {
            return errors.get();
        }

        long[] latencies() {
            return Arrays.copyOf(latencies, Math.min(recorded.get(), latencies.length));
        }

        void reportFirstError() {
            if (firstError != null) {
                System.err.println("first error: " + firstError);
            }
        }
    }

    // ---- burst: K calls at once ----

    private static void burst(Options options) throws Exception {
        int calls = options.integer("calls", 5000);
        long expectNanos = TimeUnit.MILLISECONDS.toNanos(options.integer("expect-ms", 200));
        Processes server = Processes.of(options.text("server-pids", ""));
        List<ManagedChannel> channels = channels(options);
        MethodDescriptor<Nothing, Nothing> method = method(options.text("method", "A"));

        long threadsFresh = server.threads();
        long rssFresh = server.rssKb();
        // What a simulation that starts with a burst sees: both JVMs still interpret and compile.
        Burst cold = fireAll(channels, method, calls);
        // Then warm up, as JIT compilation and heap growth are not what we measure. A burst is over in half a
        // second, far too few calls for C2 to catch up on two cores, so the same calls first run as a closed
        // loop (10 s still left C2 compiling during the measured burst here), then as a few bursts.
        ClosedLoop loop = new ClosedLoop(channels, method, calls);
        loop.start();
        Thread.sleep(TimeUnit.SECONDS.toMillis(options.integer("warmup-s", 20)));
        loop.stop();
        StringBuilder warmups = new StringBuilder("warm-up: " + loop.okTotal() + " calls " + calls
                + " at a time, then bursts all done in ms:");
        for (int i = options.integer("warmup-bursts", 3); i > 0; i--) {
            warmups.append(' ').append(millis(fireAll(channels, method, calls).completionNanos));
        }
        System.err.println(warmups);
        Thread.sleep(1000);
        long threadsIdle = server.threads();
        long rssIdle = server.rssKb();
        PeakSampler peak = new PeakSampler(server);
        CpuSnapshot before = CpuSnapshot.take(server, Processes.NONE);
        long start = System.nanoTime();
        Burst burst = fireAll(channels, method, calls);
        long elapsed = System.nanoTime() - start;
        CpuSnapshot used = CpuSnapshot.take(server, Processes.NONE).since(before);
        peak.stop();
        shutdown(channels);

        result(Map.of(
                "calls", Integer.toString(calls),
                "ok", Integer.toString(burst.latencies.length),
                "errors", Integer.toString(calls - burst.latencies.length),
                "issue_ms", millis(burst.issueNanos),
                "completion_ms", millis(burst.completionNanos),
                "server_cpu_us", perRequestMicros(used.serverTotal(), calls),
                "foreign_cores", used.foreignCores(elapsed),
                "server_threads_ms", used.serverThreadsMillis(),
                "threads", threadsFresh + "/" + threadsIdle + "/" + peak.threads,
                "rss_mb", rssFresh / 1024 + "/" + rssIdle / 1024 + "/" + peak.rssKb / 1024),
                Map.of("cold_completion_ms", millis(cold.completionNanos)),
                percentiles("cold_over_", cold.overshoot(expectNanos)),
                percentiles("over_", burst.overshoot(expectNanos)));
    }

    private record Burst(long[] latencies, long issueNanos, long completionNanos) {
        /** How much longer than {@code expectNanos} each OK call took. */
        long[] overshoot(long expectNanos) {
            return Arrays.stream(latencies).map(latency -> latency - expectNanos).toArray();
        }
    }

    /** Starts {@code calls} calls back to back and waits for all; latencies of the OK ones. */
    private static Burst fireAll(List<ManagedChannel> channels, MethodDescriptor<Nothing, Nothing> method, int calls)
            throws InterruptedException {
        long[] latencies = new long[calls];
        boolean[] ok = new boolean[calls];
        AtomicLong lastEnd = new AtomicLong();
        CountDownLatch done = new CountDownLatch(calls);
        long first = System.nanoTime();
        for (int i = 0; i < calls; i++) {
            int index = i;
            long start = System.nanoTime();
            call(channels.get(i % channels.size()), method, status -> {
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
        return new Burst(Arrays.copyOf(okLatencies, count), issued, lastEnd.get() - first);
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

    // ---- sink: accepts any unary method ----

    private static void sink(Options options) throws Exception {
        Map<String, Counts> counts = new ConcurrentHashMap<>();
        Map<String, ServerMethodDefinition<byte[], byte[]>> methods = new ConcurrentHashMap<>();
        // The fallback registry is asked for every call, so definitions are cached per method name.
        HandlerRegistry anyMethod = new HandlerRegistry() {
            @Override
            public ServerMethodDefinition<?, ?> lookupMethod(String name, String authority) {
                return methods.computeIfAbsent(name, ignored -> ServerMethodDefinition.create(
                        MethodDescriptor.newBuilder(BYTES, BYTES)
                                .setType(MethodDescriptor.MethodType.UNARY)
                                .setFullMethodName(name)
                                .build(),
                        ServerCalls.asyncUnaryCall((byte[] request, StreamObserver<byte[]> responses) -> {
                            counts.computeIfAbsent(name, key -> new Counts()).add(request);
                            responses.onNext(new byte[0]);
                            responses.onCompleted();
                        })));
            }
        };
        // directExecutor like Thespian itself, so that as a floor it differs from Thespian only by Thespian.
        Server server = NettyServerBuilder
                .forAddress(new InetSocketAddress(HOST, options.integer("port", 0)), InsecureServerCredentials.create())
                .directExecutor()
                .fallbackHandlerRegistry(anyMethod)
                .build()
                .start();
        System.out.println("listening " + server.getPort());
        System.out.flush();
        Map<String, Long> printed = new HashMap<>();
        while (!Thread.currentThread().isInterrupted()) {
            Thread.sleep(1000);
            counts.forEach((name, count) -> {
                long requests = count.requests.sum();
                if (!Long.valueOf(requests).equals(printed.put(name, requests))) {
                    System.out.printf(Locale.ROOT, "sink %s requests=%d bytes=%d items=%d%n",
                            name, requests, count.bytes.sum(), count.items.sum());
                }
            });
            System.out.flush();
        }
    }

    private static final class Counts {
        final LongAdder requests = new LongAdder();
        final LongAdder bytes = new LongAdder();
        final LongAdder items = new LongAdder();

        void add(byte[] message) {
            requests.increment();
            bytes.add(message.length);
            items.add(otlpItems(message));
        }
    }

    /**
     * The innermost items of an OTLP export request: field 1 (resource_spans / _metrics / _logs), in it field 2
     * (scope_*), in it field 2 (spans / metrics / log_records). All three signals nest the same way. A message
     * of another shape counts what happens to match, e.g. 0 for an empty {@code Nothing}.
     */
    private static long otlpItems(byte[] message) {
        try {
            return countNested(CodedInputStream.newInstance(message), new int[] {1, 2, 2}, 0);
        } catch (IOException e) {
            return 0;
        }
    }

    private static long countNested(CodedInputStream in, int[] path, int depth) throws IOException {
        long count = 0;
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            boolean onPath = WireFormat.getTagFieldNumber(tag) == path[depth]
                    && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED;
            if (onPath && depth == path.length - 1) {
                count++;
                in.skipField(tag);
            } else if (onPath) {
                int limit = in.pushLimit(in.readRawVarint32());
                count += countNested(in, path, depth + 1);
                in.popLimit(limit);
            } else {
                in.skipField(tag);
            }
        }
        return count;
    }

    private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    // ---- shared ----

    /** Starts one unary call; {@code done} gets its status, on a transport thread. */
    private static void call(Channel channel, MethodDescriptor<Nothing, Nothing> method, Consumer<Status> done) {
        ClientCalls.asyncUnaryCall(channel.newCall(method, CallOptions.DEFAULT), NOTHING, new StreamObserver<>() {
            @Override
            public void onNext(Nothing value) {
            }

            @Override
            public void onError(Throwable error) {
                done.accept(Status.fromThrowable(error));
            }

            @Override
            public void onCompleted() {
                done.accept(Status.OK);
            }
        });
    }

    /**
     * Channels to 127.0.0.1. One connection by default, as a Thespian calling a peer uses one. directExecutor:
     * the callbacks only record a number and start the next call, so a pool hop would cost the client (which
     * shares the cores with the server) more than the work.
     */
    private static List<ManagedChannel> channels(Options options) {
        List<ManagedChannel> channels = new ArrayList<>();
        for (int i = options.integer("connections", 1); i > 0; i--) {
            channels.add(Grpc.newChannelBuilderForAddress(HOST, options.integer("port", -1),
                    InsecureChannelCredentials.create()).directExecutor().build());
        }
        return channels;
    }

    private static void shutdown(List<ManagedChannel> channels) throws InterruptedException {
        for (ManagedChannel channel : channels) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @SuppressWarnings("unchecked")
    private static MethodDescriptor<Nothing, Nothing> method(String name) {
        return ThespianGrpc.getServiceDescriptor().getMethods().stream()
                .filter(method -> method.getBareMethodName().equals(name))
                .map(method -> (MethodDescriptor<Nothing, Nothing>) method)
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no method thespian.Thespian/" + name));
    }

    /** p50/p90/p99/max in ms of {@code nanos} (sorted in place), keys prefixed; empty input gives "-". */
    private static Map<String, String> percentiles(String prefix, long[] nanos) {
        Arrays.sort(nanos);
        Map<String, String> values = new HashMap<>();
        for (var entry : Map.of("p50", 0.50, "p90", 0.90, "p99", 0.99, "max", 1.0).entrySet()) {
            int rank = (int) Math.ceil(entry.getValue() * nanos.length) - 1;
            values.put(prefix + entry.getKey() + "_ms", nanos.length == 0 ? "-" : millis(nanos[Math.max(rank, 0)]));
        }
        return values;
    }

    private static String millis(long nanos) {
        return String.format(Locale.ROOT, "%.2f", nanos / 1e6);
    }

    private static String perRequestMicros(long cpuNanos, long requests) {
        return requests == 0 || cpuNanos < 0 ? "-" : String.format(Locale.ROOT, "%.1f", cpuNanos / 1e3 / requests);
    }

    /** One line of sorted key=value pairs, so the output is stable for bench/run.sh. */
    @SafeVarargs
    private static void result(Map<String, String>... parts) {
        Map<String, String> all = new TreeMap<>();
        for (Map<String, String> part : parts) {
            all.putAll(part);
        }
        StringBuilder line = new StringBuilder("RESULT");
        all.forEach((key, value) -> line.append(' ').append(key).append('=').append(value));
        System.out.println(line);
    }

    private static java.util.concurrent.ThreadFactory daemon() {
        return runnable -> {
            Thread thread = new Thread(runnable, "retry");
            thread.setDaemon(true);
            return thread;
        };
    }

    /**
     * CPU time used so far (nanoseconds) by each server, by the servers' threads grouped by what they do, by this
     * client, by helper processes and by the whole machine.
     */
    private record CpuSnapshot(long[] servers, Map<String, Long> serverThreads, long client, long helpers,
            long machine) {
        static CpuSnapshot take(Processes servers, Processes helpers) {
            return new CpuSnapshot(servers.cpuNanosEach(), servers.cpuNanosByThreadKind(), Processes.SELF.cpuNanos(),
                    helpers.cpuNanos(), Processes.machineBusyNanos());
        }

        CpuSnapshot since(CpuSnapshot earlier) {
            long[] each = servers.clone();
            for (int i = 0; i < each.length; i++) {
                each[i] -= earlier.servers[i];
            }
            Map<String, Long> threads = new TreeMap<>(serverThreads);
            earlier.serverThreads.forEach((kind, nanos) -> threads.merge(kind, -nanos, Long::sum));
            return new CpuSnapshot(each, threads, client - earlier.client, helpers - earlier.helpers,
                    machine - earlier.machine);
        }

        long serverTotal() {
            return Arrays.stream(servers).sum();
        }

        /** What the machine spent on anything but this benchmark, in cores: the noise on a measurement. */
        String foreignCores(long elapsedNanos) {
            return String.format(Locale.ROOT, "%.2f",
                    (machine - serverTotal() - client - helpers) / (double) elapsedNanos);
        }

        /** e.g. {@code jit:680,timer:70,transport:130} in ms, the kinds that used any. */
        String serverThreadsMillis() {
            StringJoiner joined = new StringJoiner(",");
            serverThreads.forEach((kind, nanos) -> {
                if (nanos > 0) {
                    joined.add(kind + ":" + nanos / 1_000_000);
                }
            });
            return joined.length() == 0 ? "-" : joined.toString();
        }
    }

    /** Linux figures of processes, from /proc; no pids gives zeros. */
    private record Processes(List<Long> pids) {
        // USER_HZ, the unit of utime/stime in /proc/PID/stat, is 100 on every Linux ABI the JDK runs on.
        private static final long NANOS_PER_TICK = 10_000_000L;
        static final Processes NONE = new Processes(List.of());
        static final Processes SELF = new Processes(List.of(ProcessHandle.current().pid()));

        static Processes of(String commaSeparated) {
            return new Processes(Arrays.stream(commaSeparated.split(","))
                    .filter(pid -> !pid.isBlank())
                    .map(Long::parseLong)
                    .toList());
        }

        long cpuNanos() {
            return Arrays.stream(cpuNanosEach()).sum();
        }

        long[] cpuNanosEach() {
            return pids.stream().mapToLong(Processes::cpuNanos).toArray();
        }

        /** Time all CPUs spent busy (not idle, not waiting for I/O), from the first line of /proc/stat. */
        static long machineBusyNanos() {
            String[] ticks = read("stat").lines().findFirst().orElseThrow().trim().split("\\s+");
            long busy = 0;
            for (int field : new int[] {1, 2, 3, 6, 7, 8}) { // user nice system irq softirq steal
                busy += Long.parseLong(ticks[field]);
            }
            return busy * NANOS_PER_TICK;
        }

        long threads() {
            return pids.stream().mapToLong(pid -> statusField(pid, "Threads:")).sum();
        }

        long rssKb() {
            return pids.stream().mapToLong(pid -> statusField(pid, "VmRSS:")).sum();
        }

        /**
         * CPU time by kind of thread, told by the names (cut to 15 characters in /proc): the transport's event
         * loops, Thespian's timer, telemetry export, the JIT compilers, GC, and the rest (JVM, main, ...).
         */
        Map<String, Long> cpuNanosByThreadKind() {
            Map<String, Long> byKind = new TreeMap<>();
            for (long pid : pids) {
                try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
                    tasks.forEach(task -> {
                        String base = pid + "/task/" + task.getFileName();
                        try {
                            byKind.merge(threadKind(read(base + "/comm").strip()), cpuNanos(base), Long::sum);
                        } catch (UncheckedIOException ended) {
                            // the thread ended while we looked
                        }
                    });
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            return byKind;
        }

        private static String threadKind(String name) {
            if (name.startsWith("grpc-default-wo")) {
                return "transport";
            }
            if (name.equals("thespian-timer")) {
                return "timer";
            }
            if (name.startsWith("BatchSpanProc") || name.startsWith("PeriodicMetric") || name.startsWith("Okio")
                    || name.toLowerCase(Locale.ROOT).startsWith("okhttp")) { // the OTLP exporters' HTTP/2 client
                return "export";
            }
            if (name.startsWith("C1 Compiler") || name.startsWith("C2 Compiler")) {
                return "jit";
            }
            if (name.startsWith("GC ") || name.startsWith("G1 ")) {
                return "gc";
            }
            return "other";
        }

        private static long cpuNanos(long pid) {
            return cpuNanos(Long.toString(pid));
        }

        /** utime + stime of a process (all its threads) or of one task, from its stat file. */
        private static long cpuNanos(String processOrTask) {
            String stat = read(processOrTask + "/stat");
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * NANOS_PER_TICK;
        }

        private static long statusField(long pid, String name) {
            return read(pid + "/status").lines()
                    .filter(line -> line.startsWith(name))
                    .mapToLong(line -> Long.parseLong(line.substring(name.length()).trim().split("\\s+")[0]))
                    .findFirst()
                    .orElse(0);
        }

        private static String read(String file) {
            try {
                return Files.readString(Path.of("/proc", file));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read /proc/" + file, e);
            }
        }
    }

    /** {@code MODE --key value ...} */
    private record Options(String mode, Map<String, String> values) {
        static Options parse(String[] args) {
            if (args.length == 0 || args.length % 2 == 0) {
                throw new IllegalArgumentException("usage: load|burst|sink [--key value]...; see the class comment");
            }
            Map<String, String> values = new HashMap<>();
            for (int i = 1; i < args.length; i += 2) {
                if (!args[i].startsWith("--")) {
                    throw new IllegalArgumentException("expected --option, got " + args[i]);
                }
                values.put(args[i].substring(2), args[i + 1]);
            }
            return new Options(args[0], values);
        }

        String text(String name, String fallback) {
            return values.getOrDefault(name, fallback);
        }

        int integer(String name, int fallback) {
            return Integer.parseInt(text(name, Integer.toString(fallback)));
        }
    }
}
