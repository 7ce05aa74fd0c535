package org.thespian.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.thespian.admin.proto.AdminGrpc;
import org.thespian.admin.proto.GetConfigRequest;
import org.thespian.admin.proto.GetConfigResponse;
import org.thespian.config.ConfigSource;
import org.thespian.engine.Dice;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;

/** With THESPIAN_WATCH_CONFIG, a changed CONFIG_FILE is loaded like SetConfig. */
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

    @Test
    void aBusyDirectoryDoesNotPutOffTheReload(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("config.json");
        Files.writeString(file, OK_A);
        try (Watched watched = new Watched(file); Busy busy = new Busy(dir.resolve("busy.log"))) {
            Thread.sleep(ConfigWatcher.QUIET_MS * 2); // the other file is being written throughout
            watched.assertLoadedAfterWriting(file);
        }
    }

    @Test
    void aLinkIntoAnotherDirectoryIsFollowedToItsTarget(@TempDir Path dir) throws Exception {
        Path elsewhere = Files.createDirectory(dir.resolve("elsewhere"));
        Path target = Files.writeString(elsewhere.resolve("real.json"), OK_A);
        Path here = Files.createDirectory(dir.resolve("here"));
        Path file = Files.createSymbolicLink(here.resolve("config.json"), target);
        try (Watched watched = new Watched(file)) {
            watched.assertLoadedAfterWriting(target);
        }
    }

    @Test
    void aDirectoryDeletedAndCreatedAgainIsWatchedAgainAfterOneLine(@TempDir Path parent) throws Exception {
        Path dir = Files.createDirectory(parent.resolve("config"));
        Path file = Files.writeString(dir.resolve("config.json"), OK_A);
        try (Watched watched = new Watched(file); RuntimeLines lines = new RuntimeLines(dir.toString())) {
            Files.delete(file);
            Files.delete(dir);
            lines.await(line -> line.contains("is gone"));
            Thread.sleep(ConfigWatcher.LOOK_AGAIN_MS * 3); // it is looked for more than once meanwhile
            Files.createDirectory(dir);
            watched.assertLoadedAfterWriting(file);
            assertEquals(List.of("config watch: the directory " + dir + " is gone; CONFIG_FILE is loaded again once it"
                    + " is back"), lines.matching(line -> line.contains("gone")));
        }
    }

    /** Writes to a file beside the config every 50 ms, as a log or a cache would. */
    private static final class Busy implements AutoCloseable {
        private final Thread writer;

        Busy(Path file) {
            writer = new Thread(() -> {
                try {
                    for (int i = 0; !Thread.currentThread().isInterrupted(); i++) {
                        Files.writeString(file, "line " + i + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                        Thread.sleep(50);
                    }
                } catch (IOException | InterruptedException stopped) {
                    // closed
                }
            }, "busy-directory");
            writer.start();
        }

        @Override
        public void close() throws InterruptedException {
            writer.interrupt();
            writer.join();
        }
    }

    /** The lines of the thespian.runtime logger that mention {@code about}. */
    private static final class RuntimeLines implements AutoCloseable {
        private final Logger logger = (Logger) LoggerFactory.getLogger("thespian.runtime");
        private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
        private final String about;

        RuntimeLines(String about) {
            this.about = about;
            appender.setContext(logger.getLoggerContext());
            appender.start();
            logger.addAppender(appender);
        }

        List<String> matching(Predicate<String> wanted) {
            synchronized (appender.list) {
                return appender.list.stream().map(ILoggingEvent::getFormattedMessage)
                        .filter(line -> line.contains(about) && wanted.test(line)).toList();
            }
        }

        void await(Predicate<String> wanted) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (matching(wanted).isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertFalse(matching(wanted).isEmpty(), "no such line about " + about);
        }

        @Override
        public void close() {
            logger.detachAppender(appender);
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

        /** Writes a new config to {@code written} and waits for it to run as revision 2. */
        void assertLoadedAfterWriting(Path written) throws IOException, InterruptedException {
            Files.writeString(written, FAILING_A);
            assertEquals(FAILING_A, awaitRevision(2).getConfigJson());
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
