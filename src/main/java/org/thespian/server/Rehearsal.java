package org.thespian.server;

import io.grpc.CallOptions;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.thespian.config.Config;
import org.thespian.config.ConfigSource.LoadedConfig;
import org.thespian.config.Method;
import org.thespian.config.Peer;
import org.thespian.engine.Dice;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;

/**
 * The warm-up before serving (THESPIAN_WARMUP). A JVM runs new code slowly until its JIT has compiled it, so a fresh
 * instance answered its first calls hundreds of milliseconds late. Before the real ports open, each server of the
 * process is built as it will serve (the same service, interceptors, engine and telemetry classes, its own config)
 * on a port of 127.0.0.1 the system picks, and answers real gRPC calls for at most {@link #BUDGET}; then the real
 * servers start on compiled code.
 *
 * <p>Nothing of it is seen outside the process. Its servers have resources of their own (timers, peer channels,
 * budgets, nothing the real servers count), and the instrumentation they are given records spans, metric points
 * and log lines that go nowhere. Every peer they call is a stand-in on loopback that answers OK at once, so no
 * real peer gets a call. Its calls carry no fault plan and no trace context.
 *
 * <p>Every wait (a sleep, a hold, a retry's back-off, a CPU burn) lasts at most {@link #LONGEST_WAIT}: what warms
 * the JIT is the number of calls through the code, and a config's long sleeps would otherwise leave a rehearsal
 * of a second or two with a handful of calls. A sleep still goes through the timer, as it will when serving.
 */
public final class Rehearsal {

    /**
     * The calls and {@link #AFTER_CALLS}: what the warm-up adds to the start. Building its servers comes first, and
     * loads what the real servers then find loaded.
     */
    static final Duration BUDGET = Duration.ofSeconds(2);
    /** Enough calls for the request path to be compiled; a rehearsal stops at whichever comes first. */
    static final int MAX_CALLS = 20_000;
    /** Calls in flight, spread over the servers and their methods. */
    static final int IN_FLIGHT = 32;
    static final Duration LONGEST_WAIT = Duration.ofMillis(1);
    /**
     * The end of the budget, kept from the calls: the JIT still compiles what they made hot, so the real port opens
     * once it has compiled nothing for {@link #COMPILER_QUIET} (or the budget is spent), and the first real calls do
     * not share the CPU with it.
     */
    static final Duration AFTER_CALLS = Duration.ofMillis(200);
    private static final Duration COMPILER_QUIET = Duration.ofMillis(25);
    private static final String LOOPBACK = InetAddress.getLoopbackAddress().getHostAddress();

    /** A server to rehearse: as it will serve, but with instrumentation whose records go nowhere. */
    public record Part(LoadedConfig config, Dice dice, Instrumentation instrumentation, ServerLimits limits,
            RuntimeOptions options) {
    }

    private Rehearsal() {
    }

    /**
     * What a rehearsal did, for the startup line.
     *
     * @param took     the calls and the wait for a quiet JIT after them
     * @param building building the rehearsal's servers, before the calls
     */
    public record Summary(int calls, Duration took, Duration building) {
        public String describe() {
            return String.format(Locale.ROOT, "warm-up: %d calls rehearsed in %.1f s, after %.1f s building", calls,
                    took.toMillis() / 1000.0, building.toMillis() / 1000.0);
        }
    }

    /**
     * Rehearses every part at once (a cast's members share the process, as they will when serving) and returns at
     * most {@link #BUDGET} after its servers are built, those stopping in the background.
     *
     * @param shared the limits of the process (the peer timeout, the CPU threads)
     * @throws IOException when loopback cannot be bound
     */
    public static Summary run(List<Part> parts, ServerLimits shared) throws IOException, InterruptedException {
        long begin = System.nanoTime();
        AtomicReference<Peer> standInAddress = new AtomicReference<>();
        List<ThespianServer> servers = new ArrayList<>();
        List<ManagedChannel> channels = new ArrayList<>();
        ProcessResources resources = ProcessResources.rehearsal(parts.get(0).instrumentation().clientInterceptors(), shared,
                LONGEST_WAIT, peer -> List.of(standInAddress.get()));
        long built;
        Calls calls;
        try {
            // The peer of every call: a server of the default config, whose methods answer OK at once.
            ThespianServer standIn = startOnLoopback(new Part(new LoadedConfig(Config.empty(), "rehearsal", "{}"),
                    Dice.of(OptionalLong.empty()), parts.get(0).instrumentation(), shared, parts.get(0).options()),
                    resources);
            servers.add(standIn);
            standInAddress.set(new Peer(LOOPBACK, standIn.port(), false));
            List<Target> targets = new ArrayList<>();
            for (Part part : parts) {
                ThespianServer server = startOnLoopback(part, resources);
                servers.add(server);
                ManagedChannel channel = Grpc.newChannelBuilderForAddress(LOOPBACK, server.port(),
                                InsecureChannelCredentials.create())
                        .executor(resources.scheduler().continuations())
                        .build();
                channels.add(channel);
                methodsOf(part.config().config()).forEach(method -> targets.add(new Target(channel, method)));
            }
            built = System.nanoTime();
            calls = new Calls(targets, built + BUDGET.minus(AFTER_CALLS).toNanos());
            calls.runUntilDone();
        } finally {
            channels.forEach(ManagedChannel::shutdownNow);
            stopInBackground(servers, resources);
        }
        awaitQuietCompiler(built + BUDGET.toNanos());
        return new Summary(calls.answered.get(), Duration.ofNanos(System.nanoTime() - built),
                Duration.ofNanos(built - begin));
    }

    /**
     * The rehearsal's servers take no more calls (their only client is gone) and listen on ports no one else knows:
     * they are stopped while the real ones start, which saves the real port the wait for their connections to close.
     */
    private static void stopInBackground(List<ThespianServer> servers, ProcessResources resources) {
        Thread stopper = new Thread(() -> {
            try {
                for (ThespianServer server : servers) {
                    server.stop(Duration.ZERO);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                resources.close();
            }
        }, "thespian-rehearsal-stop");
        stopper.setDaemon(true);
        stopper.start();
    }

    private static void awaitQuietCompiler(long until) throws InterruptedException {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        if (jit == null || !jit.isCompilationTimeMonitoringSupported()) {
            return;
        }
        long compiling = jit.getTotalCompilationTime();
        while (until - System.nanoTime() > COMPILER_QUIET.toNanos()) {
            Thread.sleep(COMPILER_QUIET.toMillis());
            long since = jit.getTotalCompilationTime();
            if (since == compiling) {
                return;
            }
            compiling = since;
        }
    }

    /** A cold JVM runs late by nature: the adaptive limit is off, or the rehearsal would refuse its own calls. */
    private static ThespianServer startOnLoopback(Part part, ProcessResources resources) throws IOException {
        return ThespianServer.startOnLoopback(part.config(), part.dice(), part.instrumentation(), part.limits()
                .withOverloadLag(Duration.ZERO), part.options().unchangeable(), resources);
    }

    /** The methods the config gives a function, or A alone when it gives none (every call then takes that path). */
    private static List<MethodDescriptor<Nothing, Nothing>> methodsOf(Config config) {
        List<Method> methods = config.methods().isEmpty() ? List.of(Method.A) : List.copyOf(config.methods().keySet());
        return methods.stream().map(method -> switch (method) {
            case A -> ThespianGrpc.getAMethod();
            case B -> ThespianGrpc.getBMethod();
            case C -> ThespianGrpc.getCMethod();
        }).toList();
    }

    private record Target(ManagedChannel channel, MethodDescriptor<Nothing, Nothing> method) {
    }

    /**
     * {@link #IN_FLIGHT} loops, each starting its next call when the last one answers, over the targets in turn,
     * until the deadline or {@link #MAX_CALLS}. Every call's deadline is the rehearsal's, so none outlives it.
     */
    private static final class Calls {
        private static final Duration LATE_ANSWERS = Duration.ofMillis(50);

        private final List<Target> targets;
        private final long deadline;
        private final AtomicInteger started = new AtomicInteger();
        private final AtomicInteger answered = new AtomicInteger();
        private final CountDownLatch loopsEnded = new CountDownLatch(IN_FLIGHT);

        Calls(List<Target> targets, long deadline) {
            this.targets = targets;
            this.deadline = deadline;
        }

        void runUntilDone() throws InterruptedException {
            for (int i = 0; i < IN_FLIGHT; i++) {
                next();
            }
            // The calls' own deadlines end them by the rehearsal's; what a busy machine answers late is cancelled.
            loopsEnded.await(Math.max(0, deadline - System.nanoTime()) + LATE_ANSWERS.toNanos(), TimeUnit.NANOSECONDS);
        }

        private void next() {
            int number = started.getAndIncrement();
            long left = deadline - System.nanoTime();
            if (number >= MAX_CALLS || left <= 0) {
                loopsEnded.countDown();
                return;
            }
            Target target = targets.get(number % targets.size());
            ClientCalls.asyncUnaryCall(target.channel().newCall(target.method(),
                    CallOptions.DEFAULT.withDeadlineAfter(left, TimeUnit.NANOSECONDS)), Nothing.getDefaultInstance(),
                    new StreamObserver<>() {
                        @Override
                        public void onNext(Nothing answer) {
                        }

                        @Override
                        public void onError(Throwable failure) {
                            answered.incrementAndGet();
                            next(); // a configured failure, a refusal, the deadline: all rehearse their paths
                        }

                        @Override
                        public void onCompleted() {
                            answered.incrementAndGet();
                            next();
                        }
                    });
        }
    }
}
