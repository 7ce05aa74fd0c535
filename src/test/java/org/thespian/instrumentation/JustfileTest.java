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
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;

/** The justfile lists its recipes, and its local server and client recipes start thespians that really answer. */
class JustfileTest {

    private static final List<String> RECIPES = List.of("default", "build", "test", "image", "instrumentation-up",
            "instrumentation-down", "server", "client", "server-container", "client-container", "demo-up", "demo-down",
            "ping", "ping-proto", "clean");
    private static final Duration STARTUP = Duration.ofSeconds(60);
    private static final Path LOGS = RepoFiles.path("target/justfile-test");

    private final List<Process> started = new ArrayList<>();

    @BeforeAll
    static void justIsInstalled() {
        boolean onPath = Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .anyMatch(dir -> Files.isExecutable(Path.of(dir, "just")));
        assumeTrue(onPath, "just is not installed (npm i -g rust-just)");
    }

    @Test
    void listsEveryRecipe() throws Exception {
        Process list = new ProcessBuilder("just", "--list").directory(RepoFiles.ROOT.toFile()).redirectErrorStream(true).start();
        String listing = new String(list.getInputStream().readAllBytes());
        assertEquals(0, list.waitFor(), listing);
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
            // The client's method A calls method B on the server: OK means both answered.
            ThespianGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS).a(Nothing.getDefaultInstance());
        } finally {
            channel.shutdownNow();
        }
    }

    @AfterEach
    void stopProcessTrees() throws InterruptedException {
        for (Process process : started) {
            List<ProcessHandle> tree = Stream.concat(process.descendants(), Stream.of(process.toHandle())).toList();
            tree.forEach(ProcessHandle::destroy);
            for (ProcessHandle handle : tree) {
                try {
                    handle.onExit().get(10, TimeUnit.SECONDS);
                } catch (Exception notYet) {
                    handle.destroyForcibly();
                }
            }
        }
    }

    private void start(String name, String... recipeAndArgs) throws IOException {
        Files.createDirectories(LOGS);
        List<String> command = new ArrayList<>(List.of("just"));
        command.addAll(List.of(recipeAndArgs));
        started.add(new ProcessBuilder(command)
                .directory(RepoFiles.ROOT.toFile())
                .redirectErrorStream(true)
                .redirectOutput(LOGS.resolve(name + ".log").toFile())
                .start());
    }

    private void awaitServing(int port, String name) throws InterruptedException {
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        try {
            Instant deadline = Instant.now().plus(STARTUP);
            while (Instant.now().isBefore(deadline)) {
                assertTrue(started.stream().allMatch(Process::isAlive), () -> "a recipe exited early:\n" + logs());
                try {
                    ServingStatus status = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(2, TimeUnit.SECONDS)
                            .check(HealthCheckRequest.getDefaultInstance()).getStatus();
                    if (status == ServingStatus.SERVING) {
                        return;
                    }
                } catch (StatusRuntimeException notListeningYet) {
                    // the JVM is still starting
                }
                Thread.sleep(250);
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
