package org.thespian.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.thespian.admin.proto.AdminGrpc;
import org.thespian.admin.proto.GetConfigRequest;
import org.thespian.admin.proto.GetConfigResponse;
import org.thespian.config.ConfigSource;
import org.thespian.engine.Dice;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;

/** Issue 9 item 5: with THESPIAN_WATCH_CONFIG, a changed CONFIG_FILE is loaded like SetConfig. */
class ConfigWatcherTest {

    private static final String OK_A = "{\"grpc_method_a\": null}";
    private static final String FAILING_A = """
            // fails every call
            {"grpc_method_a": {"tracing_name": "edited", "operations": [
                {"Action": {"Sleep": {"tracing_name": "fail", "duration_ms": 0, "failure_chance": 1}}}]}}""";

    @Test
    void anEditedFileIsLoadedAndABadEditKeepsTheRunningConfig(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("config.jsonc");
        Files.writeString(file, OK_A);
        try (Watched watched = new Watched(file)) {
            Files.writeString(dir.resolve("unrelated.txt"), "not the config");
            Files.writeString(file, FAILING_A);
            assertEquals(FAILING_A, watched.awaitRevision(2).getConfigJson());
            assertThrows(StatusRuntimeException.class, () -> watched.thespian().a(Nothing.getDefaultInstance()));

            Files.writeString(file, "{\"grpc_method_a\": {\"tracing_name\": \"broken\"}}");
            Files.writeString(file, FAILING_A.replace("edited", "edited again"));
            assertEquals(3, watched.awaitRevision(3).getRevision());

            Files.writeString(file, "{\"grpc_method_a\": {\"tracing_name\": \"broken\"}}");
            Thread.sleep(ConfigWatcher.QUIET_MS * 4);
            assertEquals(3, watched.revision().getRevision(), "a bad edit leaves the running config");
        }
    }

    /** A mounted ConfigMap: config.json → ..data/config.json, and an update swaps the ..data symlink. */
    @Test
    void aKubernetesConfigMapSwapIsLoaded(@TempDir Path dir) throws Exception {
        Path first = Files.createDirectory(dir.resolve("..2026_11_29_15_00_00.1"));
        Files.writeString(first.resolve("config.json"), OK_A);
        Files.createSymbolicLink(dir.resolve("..data"), first.getFileName());
        Path file = Files.createSymbolicLink(dir.resolve("config.json"), Path.of("..data/config.json"));
        try (Watched watched = new Watched(file)) {
            Path second = Files.createDirectory(dir.resolve("..2026_11_29_15_01_00.2"));
            Files.writeString(second.resolve("config.json"), FAILING_A, StandardCharsets.UTF_8);
            Path temporary = Files.createSymbolicLink(dir.resolve("..data_tmp"), second.getFileName());
            Files.move(temporary, dir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
            Files.delete(first.resolve("config.json"));
            Files.delete(first);
            assertEquals(FAILING_A, watched.awaitRevision(2).getConfigJson());
        }
    }

    /** A server started with CONFIG_FILE and THESPIAN_WATCH_CONFIG, as Main starts it. */
    private static final class Watched implements AutoCloseable {
        private final ThespianServer server;
        private final ManagedChannel channel;

        Watched(Path file) throws Exception {
            ConfigSource.LoadedConfig config = ConfigSource.load(Map.of("CONFIG_FILE", file.toString()));
            server = ThespianServer.start(0, config, Dice.of(OptionalLong.empty()), TlsChannelCredentials.create(),
                    Instrumentation.NONE, ServerLimits.defaults(), new RuntimeOptions("watched", true, 16, true, Optional.empty(),
                            Optional.of(file)));
            channel = Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(),
                    InsecureChannelCredentials.create()).build();
        }

        ThespianGrpc.ThespianBlockingStub thespian() {
            return ThespianGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
        }

        GetConfigResponse revision() {
            return AdminGrpc.newBlockingStub(channel).getConfig(GetConfigRequest.getDefaultInstance());
        }

        GetConfigResponse awaitRevision(long number) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            GetConfigResponse current = revision();
            while (current.getRevision() < number && System.nanoTime() < deadline) {
                Thread.sleep(20);
                current = revision();
            }
            assertEquals(number, current.getRevision(), "revision after the change: " + current);
            return current;
        }

        @Override
        public void close() throws InterruptedException {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            server.stop(Duration.ofSeconds(1));
        }
    }
}
