package org.thespian.bench;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;

/**
 * What bench/run.sh needs besides the load tool itself; run from the compiled test classes:
 * {@code java -cp target/test-classes:target/thespian.jar org.thespian.bench.Bench MODE ...}.
 *
 * <pre>
 * sink    [--port 0]
 *         a bare grpc-java server answering every unary method with an empty message: a valid OTLP
 *         Export*ServiceResponse and a valid Nothing, so both an OTLP receiver (it counts spans) and the floor.
 * plain   --port P [--concurrency 64] [--warmup-s 20] [--duration-s 10]
 *         the plainest grpc-java async client loop (generated stub style, no measuring beyond counting), the
 *         yardstick the load tool must keep up with; prints the load tool's JSON keys it has.
 * burst   --port P [--calls 5000] [--expect-ms 200] [--warmup-s 20] [--warmup-bursts 3] [--server-pids p]
 *         fires K calls at once, on the fresh server and again after a warm-up, and reports how late they are.
 * measure [--server-pids p,q] [--helper-pids h] -- COMMAND...
 *         runs COMMAND (the load tool with --json, or plain), samples CPU from /proc meanwhile, and prints the
 *         command's figures with the CPU used in its measured window.
 * engine  --config JSON [--rounds 10] [--requests 2000000]
 *         the engine alone with the tracing listener, method A back to back on one thread; a line per round.
 * logline [--rounds 8] [--lines 1000000]
 *         a request's log line made and encoded as stdout gets it, back to back on one thread; a line per round.
 * first-calls --port P [--calls 200] [--concurrency 10] [--client-warmup-s 10] [--warm-s 15] [--rounds 7]
 *         [--server-log FILE]
 *         warms itself, says ready, and once P takes connections sends the first calls of a fresh server, then
 *         the same calls once it is warm (see {@link FirstCalls}).
 * </pre>
 *
 * burst, measure and first-calls print one line {@code RESULT key=value ...} on stdout; the sink prints
 * {@code listening PORT}, then a line per method and second: {@code sink METHOD requests=N bytes=N items=N}.
 * Everything stays on 127.0.0.1.
 */
public final class Bench {

    static final String HOST = "127.0.0.1";
    private static final Nothing NOTHING = Nothing.getDefaultInstance();

    private Bench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            throw new IllegalArgumentException(
                    "usage: sink|plain|burst|measure|engine|logline|first-calls [--key value]...; see the class"
                            + " comment");
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        switch (args[0]) {
            case "sink" -> Sink.run(Options.parse(rest));
            case "plain" -> PlainLoop.run(Options.parse(rest));
            case "burst" -> Burst.run(Options.parse(rest));
            case "measure" -> Measure.run(rest);
            case "engine" -> EngineLoop.run(Options.parse(rest));
            case "logline" -> LogLineLoop.run(Options.parse(rest));
            case "first-calls" -> FirstCalls.run(Options.parse(rest));
            default -> throw new IllegalArgumentException("unknown mode " + args[0] + "; see the class comment");
        }
    }

    /** Starts one unary call as the generated async stub does; {@code done} gets its status. */
    static void call(Channel channel, Consumer<Status> done) {
        ClientCalls.asyncUnaryCall(channel.newCall(ThespianGrpc.getAMethod(), CallOptions.DEFAULT), NOTHING,
                new StreamObserver<>() {
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

    /** One channel to 127.0.0.1, its callbacks on the transport thread, like the load tool's. */
    static ManagedChannel channel(int port) {
        return Grpc.newChannelBuilderForAddress(HOST, port, InsecureChannelCredentials.create())
                .directExecutor()
                .build();
    }

    static void shutdown(ManagedChannel channel) throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    /** p50/p90/p99/max in ms of {@code nanos} (sorted in place), keys prefixed; empty input gives "-". */
    static Map<String, String> percentiles(String prefix, long[] nanos) {
        Arrays.sort(nanos);
        Map<String, String> values = new HashMap<>();
        for (var entry : Map.of("p50", 0.50, "p90", 0.90, "p99", 0.99, "max", 1.0).entrySet()) {
            int rank = (int) Math.ceil(entry.getValue() * nanos.length) - 1;
            values.put(prefix + entry.getKey() + "_ms", nanos.length == 0 ? "-" : millis(nanos[Math.max(rank, 0)]));
        }
        return values;
    }

    static String millis(long nanos) {
        return String.format(Locale.ROOT, "%.2f", nanos / 1e6);
    }

    static String perRequestMicros(long cpuNanos, long requests) {
        return requests == 0 || cpuNanos < 0 ? "-" : String.format(Locale.ROOT, "%.1f", cpuNanos / 1e3 / requests);
    }

    /** One line of sorted key=value pairs, so the output is stable for bench/run.sh. */
    @SafeVarargs
    static void result(Map<String, String>... parts) {
        Map<String, String> all = new TreeMap<>();
        for (Map<String, String> part : parts) {
            all.putAll(part);
        }
        StringBuilder line = new StringBuilder("RESULT");
        all.forEach((key, value) -> line.append(' ').append(key).append('=').append(value));
        System.out.println(line);
    }

    /** {@code --key value ...} */
    record Options(Map<String, String> values) {
        static Options parse(String[] args) {
            if (args.length % 2 != 0) {
                throw new IllegalArgumentException("expected --key value pairs, got " + List.of(args));
            }
            Map<String, String> values = new HashMap<>();
            for (int i = 0; i < args.length; i += 2) {
                if (!args[i].startsWith("--")) {
                    throw new IllegalArgumentException("expected --option, got " + args[i]);
                }
                values.put(args[i].substring(2), args[i + 1]);
            }
            return new Options(values);
        }

        String text(String name, String fallback) {
            return values.getOrDefault(name, fallback);
        }

        int integer(String name, int fallback) {
            return Integer.parseInt(text(name, Integer.toString(fallback)));
        }

        static List<String> list(String commaSeparated) {
            return new ArrayList<>(Arrays.stream(commaSeparated.split(",")).filter(s -> !s.isBlank()).toList());
        }
    }
}
