package org.thespian.instrumentation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;
import org.thespian.testsupport.ThespianProcess;

/**
 * Every recipe that needs no Docker, run as users run it: the listing, the local server and client, and the
 * recipes that call them (grpcurl, or {@code buf curl} when grpcurl is missing). Not run here: build, test and
 * clean (the Maven build that runs this test), otlp-log (needs the stack's collector) and the Docker recipes.
 */
@Execution(ExecutionMode.CONCURRENT) // each test starts processes of its own
class JustfileIT {

    private static final List<String> RECIPES = List.of("default", "build", "test", "image", "instrumentation-up",
            "instrumentation-down", "server", "client", "server-container", "client-container", "demo-up", "demo-down",
            "ping", "ping-proto", "load", "otlp-log", "clean");
    private static final Duration STARTUP = Duration.ofSeconds(60);
    private static final Path LOGS = RepoFiles.path("target/justfile-test");

    private final List<Process> started = new ArrayList<>();

    @BeforeAll
    static void justIsInstalled() {
        String hint = "just is not installed (npm i -g rust-just)";
        if (onPath("just").isEmpty() && System.getenv("CI") != null) {
            throw new AssertionError(hint);
        }
        assumeTrue(onPath("just").isPresent(), hint);
    }

    private static Optional<Path> onPath(String executable) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .map(dir -> Path.of(dir, executable)).filter(Files::isExecutable).findFirst();
    }

    @Test
    void listsEveryRecipe() throws Exception {
        Run list = just(System.getenv("PATH")); // the default recipe lists them
        String listing = list.output();
        assertEquals(0, list.exitCode(), listing);
        for (String recipe : RECIPES) {
            assertTrue(Pattern.compile("(?m)^\\s+" + Pattern.quote(recipe) + "\\b").matcher(listing).find(),
                    () -> recipe + " is missing from\n" + listing);
        }
    }

    @Test
    @Timeout(180)
    void serverAndClientRecipesRunThespiansThatAnswer() throws Exception {
        assertTrue(Files.isRegularFile(RepoFiles.path("target/thespian.jar")), "the recipes run target/thespian.jar");
        int[] ports = freePorts(2);
        int serverPort = ports[0];
        int clientPort = ports[1];
        start("server", "server", String.valueOf(serverPort));
        start("client", "client", String.valueOf(clientPort), String.valueOf(serverPort));

        awaitServing(serverPort, "server");
        awaitServing(clientPort, "client");
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", clientPort).usePlaintext().build();
        try {
            // The client's method A calls method B on the server: OK means both answered. The two start side by
            // side: when the client tried the server before it listened, its calls fail at once until its channel's
            // next attempt (a second at most), as any gRPC client's would.
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (true) {
                try {
                    ThespianGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                            .a(Nothing.getDefaultInstance());
                    break;
                } catch (io.grpc.StatusRuntimeException notYet) {
                    assertTrue(System.nanoTime() < until && notYet.getStatus().getDescription() != null
                            && notYet.getStatus().getDescription().contains("connection refused"), notYet.toString());
                    Thread.sleep(50);
                }
            }
        } finally {
            channel.shutdownNow();
        }

        String path = System.getenv("PATH");
        assertAnswers(just(path, "ping", String.valueOf(clientPort)));
        assertAnswers(just(path, "ping-proto", String.valueOf(serverPort), "B"));
        Run load = just(path, "load", "5", String.valueOf(clientPort));
        assertEquals(0, load.exitCode(), load.output());
        assertTrue(load.output().contains("5 calls of thespian.Thespian/A on localhost:" + clientPort + ": 5 OK, 0 failed"),
                load.output());

        // Without grpcurl the recipes use buf; without either they say what to install.
        Path bufOnly = toolbox("node", "just", "bash", "buf");
        assertAnswers(just(bufOnly.toString(), "ping", String.valueOf(serverPort), "B"));
        Run neither = just(toolbox("node", "just", "bash").toString(), "ping", String.valueOf(serverPort));
        assertEquals(127, neither.exitCode(), neither.output());
        assertTrue(neither.output().contains("needs grpcurl or buf on the PATH"), neither.output());
    }

    @Test
    void callsThatFailExitNonZero() throws Exception {
        String deadPort = String.valueOf(freePorts(1)[0]);
        String path = System.getenv("PATH");
        Run ping = just(path, "ping", deadPort);
        assertTrue(ping.exitCode() != 0, ping.output());
        Run load = just(path, "load", "3", deadPort);
        assertEquals(1, load.exitCode(), load.output());
        assertTrue(load.output().contains("3 calls of thespian.Thespian/A on localhost:" + deadPort + ": 0 OK, 3 failed"),
                load.output());
        assertTrue(load.output().contains("no call succeeded"), load.output());
        Run badCount = just(path, "load", "many");
        assertEquals(2, badCount.exitCode(), badCount.output());
        assertTrue(badCount.output().contains("COUNT must be a whole number of at least 1, got \"many\""), badCount.output());
    }

    private record Run(int exitCode, String output) {
    }

    /** Runs a recipe to its end with {@code path} as PATH; stdout and stderr together. */
    private static Run just(String path, String... recipeAndArgs) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(onPath("just").orElseThrow().toString()));
        command.addAll(List.of(recipeAndArgs));
        ProcessBuilder builder = new ProcessBuilder(command).directory(RepoFiles.ROOT.toFile()).redirectErrorStream(true);
        builder.environment().put("PATH", path);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes());
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "just " + String.join(" ", recipeAndArgs) + " hangs: " + output);
        return new Run(process.exitValue(), output);
    }

    private static void assertAnswers(Run call) {
        assertEquals(0, call.exitCode(), call.output());
        assertEquals("{}", call.output().strip());
    }

    /** A directory to use as PATH that holds only {@code executables}, linked from the real PATH (npm's need node). */
    private static Path toolbox(String... executables) throws IOException {
        Path dir = Files.createTempDirectory(Files.createDirectories(LOGS), "path-");
        for (String executable : executables) {
            Path real = onPath(executable).orElseThrow(() -> new AssertionError(executable + " is not on PATH"));
            Files.createSymbolicLink(dir.resolve(executable), real.toRealPath());
        }
        return dir;
    }

    @AfterEach
    void stopProcessTrees() throws InterruptedException {
        // Every tree is signalled before any is waited for: the thespians shut down side by side.
        List<ProcessHandle> trees = started.stream()
                .flatMap(process -> Stream.concat(process.descendants(), Stream.of(process.toHandle())))
                .toList();
        trees.forEach(ProcessHandle::destroy);
        for (ProcessHandle handle : trees) {
            try {
                handle.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception notYet) {
                handle.destroyForcibly();
            }
        }
    }

    private void start(String name, String... recipeAndArgs) throws IOException {
        Files.createDirectories(LOGS);
        List<String> command = new ArrayList<>(List.of("just"));
        command.addAll(List.of(recipeAndArgs));
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(RepoFiles.ROOT.toFile())
                .redirectErrorStream(true)
                .redirectOutput(LOGS.resolve(name + ".log").toFile());
        // The recipe's `java -jar` as written, on the options that start a JVM on the least CPU.
        builder.environment().put("JAVA_TOOL_OPTIONS", String.join(" ", ThespianProcess.quickStartOptions()));
        // As ThespianProcess does: these tests do not measure the first calls, and a warm-up costs each start 2 s.
        builder.environment().put("THESPIAN_WARMUP", "off");
        started.add(builder.start());
    }

    private void awaitServing(int port, String name) throws InterruptedException {
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        try {
            Instant deadline = Instant.now().plus(STARTUP);
            while (Instant.now().isBefore(deadline)) {
                assertTrue(started.stream().allMatch(Process::isAlive), () -> "a recipe exited early:\n" + logs());
                try {
                    // As ThespianProcess does: a refused connect would otherwise wait out the channel's back-off
                    // (a second, then 1.6, 2.6, ...) after the JVM listens.
                    channel.resetConnectBackoff();
                    ServingStatus status = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(2, TimeUnit.SECONDS)
                            .check(HealthCheckRequest.getDefaultInstance()).getStatus();
                    if (status == ServingStatus.SERVING) {
                        return;
                    }
                } catch (StatusRuntimeException notListeningYet) {
                    // the JVM is still starting
                }
                Thread.sleep(50);
            }
            throw new AssertionError("the " + name + " on port " + port + " did not start within " + STARTUP + ":\n" + logs());
        } finally {
            channel.shutdownNow();
        }
    }

    private static String logs() {
        try (Stream<Path> files = Files.list(LOGS)) {
            StringBuilder all = new StringBuilder();
            for (Path file : files.sorted().toList()) {
                all.append("--- ").append(file.getFileName()).append('\n').append(Files.readString(file));
            }
            return all.toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int[] freePorts(int count) throws IOException {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                sockets.add(new ServerSocket(0));
            }
            return sockets.stream().mapToInt(ServerSocket::getLocalPort).toArray();
        } finally {
            for (ServerSocket socket : sockets) {
                socket.close();
            }
        }
    }
}
