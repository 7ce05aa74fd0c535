package org.thespian.testsupport;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.thespian.proto.ThespianGrpc;

/**
 * The shaded jar started as a separate OS process with its own environment, as users start containers. Its
 * output is drained into memory (so it can never block on a full pipe) and it is stopped on close.
 */
public final class ThespianProcess implements AutoCloseable {

    /** A JVM starts in a second or two, but far slower on a machine whose cores other work keeps busy. */
    private static final Duration STARTUP = Duration.ofSeconds(90);

    /** Tests do not measure the jar's speed: C1 alone and the serial collector start it on the least CPU. */
    private static final List<String> QUICK_START = List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    private final Process process;
    private final int port;
    /** Appended to by a drain thread, line by line; a copy-on-write list would copy itself per line of a flood. */
    private final List<String> stdout = Collections.synchronizedList(new ArrayList<>());
    private final List<String> stderr = Collections.synchronizedList(new ArrayList<>());
    private final List<Thread> drains = new ArrayList<>();
    private ManagedChannel channel;

    private ThespianProcess(Process process, int port, boolean readStdout) {
        this.process = process;
        this.port = port;
        if (readStdout) {
            drains.add(drain(process.getInputStream(), stdout));
        }
        drains.add(drain(process.getErrorStream(), stderr));
    }

    /** Starts the jar with exactly {@code env} (nothing inherited) plus PORT, unless env sets it. */
    public static ThespianProcess launch(Map<String, String> env, String... args) {
        return launch(List.of(), env, true, args);
    }

    /** Starts the jar on a JVM with {@code jvmOptions} (such as -Xmx64m) and waits until it is serving. */
    public static ThespianProcess start(List<String> jvmOptions, Map<String, String> env) {
        ThespianProcess thespian = launch(jvmOptions, env, true);
        thespian.awaitServing();
        return thespian;
    }

    /**
     * Starts the jar and waits until it is serving, but never reads its stdout, as a careless supervisor
     * would: once the pipe's buffer is full, every write to stdout blocks.
     */
    public static ThespianProcess startWithUnreadStdout(Map<String, String> env) {
        ThespianProcess thespian = launch(List.of(), env, false);
        thespian.awaitServing();
        return thespian;
    }

    private static ThespianProcess launch(List<String> jvmOptions, Map<String, String> env, boolean readStdout,
            String... args) {
        Map<String, String> environment = new HashMap<>(env);
        environment.computeIfAbsent("PORT", ignored -> Integer.toString(freePort()));
        // The test machine's own load is not the server's: a test that wants the adaptive limit sets it.
        environment.putIfAbsent("THESPIAN_OVERLOAD_LAG_MS", "0");
        // Tests do not measure the first calls' speed, and a warm-up would add up to 2 s to every start: a test of the
        // warm-up itself sets it on.
        environment.putIfAbsent("THESPIAN_WARMUP", "off");
        List<String> command = new ArrayList<>(List.of(javaExecutable()));
        command.addAll(quickStartOptions());
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", jar().toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().clear();
        builder.environment().putAll(environment);
        try {
            return new ThespianProcess(builder.start(), parsePort(environment.get("PORT")), readStdout);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The JVM options that start the jar on the least CPU (C1 alone, the serial collector, the jar's class-data
     * archive), for tests that start it by other means, such as the justfile's recipes through JAVA_TOOL_OPTIONS.
     */
    public static List<String> quickStartOptions() {
        List<String> options = new ArrayList<>(QUICK_START);
        options.addAll(ClassDataArchive.jvmOptions(javaExecutable(), jar(), QUICK_START));
        return options;
    }

    /** Starts the jar (with {@code args}, e.g. a subcommand) and waits until PORT's health service reports SERVING. */
    public static ThespianProcess start(Map<String, String> env, String... args) {
        ThespianProcess thespian = launch(env, args);
        thespian.awaitServing();
        return thespian;
    }

    /** A PORT the test made invalid on purpose has no port to talk to: -1. */
    private static int parsePort(String port) {
        try {
            return Integer.parseInt(port);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    public static Path jar() {
        Path jar = Path.of(System.getProperty("thespian.jar", "target/thespian.jar"));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("no shaded jar at " + jar + ": run the tests with `mvn package`");
        }
        return jar;
    }

    /**
     * A port that was free a moment ago and that this JVM has not handed out before: the kernel may give a port it
     * just closed out again at once, and two members of one cast then got the same port.
     */
    public static int freePort() {
        while (true) {
            try (ServerSocket socket = new ServerSocket(0)) {
                if (HANDED_OUT.add(socket.getLocalPort())) {
                    return socket.getLocalPort();
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    public int port() {
        return port;
    }

    public long pid() {
        return process.pid();
    }

    public synchronized ManagedChannel channel() {
        if (channel == null) {
            channel = Grpc.newChannelBuilderForAddress("127.0.0.1", port, InsecureChannelCredentials.create())
                    .build();
        }
        return channel;
    }

    public ThespianGrpc.ThespianBlockingStub blockingStub() {
        return ThespianGrpc.newBlockingStub(channel()).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    public List<String> stdout() {
        return List.copyOf(stdout);
    }

    /**
     * Polls stdout until {@code until} holds for its lines, the process ends or {@code timeout} passes; returns
     * the lines as they are then, for the caller to assert on.
     */
    public List<String> awaitStdout(Predicate<List<String>> until, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!until.test(stdout()) && process.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        return stdout();
    }

    public String stderr() {
        return String.join("\n", List.copyOf(stderr));
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Waits for the process to end by itself and returns its exit code, after its output is all read. */
    public int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("thespian still running after " + timeout + "; stderr: " + stderr());
        }
        for (Thread drain : drains) {
            drain.join(5000);
        }
        return process.exitValue();
    }

    /** Sends SIGTERM, as Kubernetes and `docker stop` do. */
    public void terminate() {
        process.destroy();
    }

    /** Sends the signal of that name (TERM, INT, HUP, ...) with kill(1). */
    public void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-s", name, Long.toString(process.pid())).start();
        if (kill.waitFor() != 0) {
            throw new IOException("kill -s " + name + " " + process.pid() + " failed");
        }
    }

    /**
     * Whether the process started with that signal ignored, as a shell's background jobs start with INT: the JVM
     * keeps such a signal ignored, as POSIX asks, so sending it proves nothing.
     */
    public boolean ignores(String signalName) throws IOException {
        int number = switch (signalName) {
            case "HUP" -> 1;
            case "INT" -> 2;
            case "TERM" -> 15;
            default -> throw new IllegalArgumentException("no number known for SIG" + signalName);
        };
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"))) {
            if (line.startsWith("SigIgn:")) {
                long ignored = Long.parseUnsignedLong(line.substring("SigIgn:".length()).trim(), 16);
                return (ignored & (1L << (number - 1))) != 0;
            }
        }
        throw new IllegalStateException("no SigIgn in /proc/" + pid() + "/status");
    }

    /** Waits until PORT's health service reports SERVING: after {@link #launch}, to start several jars at once. */
    public void awaitServing() {
        long deadline = System.nanoTime() + STARTUP.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("thespian exited with " + process.exitValue() + " during startup; stderr: "
                        + stderr() + "; stdout: " + stdout());
            }
            try {
                // A channel whose connect was refused waits a second, then 1.6, 2.6, ... before it tries again, and
                // fails every call until then: without this, a jar that listens waited for that, at every start.
                channel().resetConnectBackoff();
                ServingStatus status = HealthGrpc.newBlockingStub(channel())
                        .withDeadlineAfter(1, TimeUnit.SECONDS)
                        .check(HealthCheckRequest.getDefaultInstance()).getStatus();
                if (status == ServingStatus.SERVING) {
                    return;
                }
            } catch (StatusRuntimeException notYet) {
                // not listening yet
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        close();
        throw new AssertionError("thespian did not report SERVING within " + STARTUP + "; stderr: " + stderr());
    }

    @Override
    public void close() {
        if (channel != null) {
            channel.shutdownNow();
        }
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static Thread drain(InputStream stream, List<String> lines) {
        Thread thread = new Thread(() -> {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                    lines.add(line);
                }
            } catch (IOException ignored) {
                // the process ended
            }
        }, "thespian-output-" + stream.hashCode());
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private static String javaExecutable() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
