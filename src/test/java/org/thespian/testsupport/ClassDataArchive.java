package org.thespian.testsupport;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;

/**
 * A class-data-sharing archive of the shaded jar (JDK 13+ dynamic AppCDS): the classes a Thespian loads to serve,
 * parsed once and mapped by every later JVM, which halves the CPU a jar process spends starting. Made beside the
 * jar by the first test that starts one (under a file lock, since test JVMs run in parallel) and remade when the
 * jar is newer; the other test JVMs start theirs without it meanwhile, rather than wait the few seconds that takes.
 * Without it, for whatever reason, processes start as before: only slower.
 */
final class ClassDataArchive {

    private static final long DUMP_TIMEOUT_SECONDS = 90;
    /** Method A sleeps, then calls its own method B on the given port, which sleeps. */
    private static final String SELF_CALL = """
            {"grpc_method_a": {"tracing_name": "archive", "operations": [
                {"Action": {"Sleep": {"tracing_name": "nap", "duration_ms": 1}}},
                {"Action": {"CallService": {"tracing_name": "self", "service_address": "127.0.0.1",
                    "service_port": %d, "grpc_method": "B"}}}]},
             "grpc_method_b": {"tracing_name": "leaf", "operations": [
                {"Action": {"Sleep": {"tracing_name": "nap", "duration_ms": 1}}}]}}""";
    private static Path archive;
    private static boolean failed;

    private ClassDataArchive() {
    }

    /**
     * The options that map the archive, or none; CDS logging is off so that a stale archive is never a warning in a
     * process's stdout, which tests read.
     */
    static synchronized List<String> jvmOptions(String java, Path jar, List<String> commonOptions) {
        if (archive == null && !failed) {
            archive = readyArchive(java, jar, commonOptions);
        }
        return archive == null ? List.of()
                : List.of("-XX:SharedArchiveFile=" + archive, "-Xlog:cds=off", "-Xlog:cds+dynamic=off");
    }

    /**
     * The archive, made now if it is missing or older than the jar; null while another test JVM makes it (the next
     * start asks again), or when it cannot be made ({@link #failed}).
     */
    private static Path readyArchive(String java, Path jar, List<String> commonOptions) {
        Path target = jar.toAbsolutePath().resolveSibling(jar.getFileName() + ".jsa");
        Path lock = jar.resolveSibling(jar.getFileName() + ".jsa.lock");
        try (FileChannel channel = FileChannel.open(lock, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock held = channel.tryLock()) {
            // The archive is moved into place whole, so one that is there is complete.
            if (upToDate(target, jar)) {
                return target;
            }
            if (held == null) {
                return null;
            }
            Path dumped = Files.createTempFile(target.getParent(), "thespian-", ".jsa");
            Files.delete(dumped);
            if (dumpWhileServing(java, jar, commonOptions, dumped)) {
                Files.move(dumped, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                return target;
            }
            Files.deleteIfExists(dumped);
        } catch (IOException e) {
            // as below: no archive
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        failed = true;
        return null;
    }

    private static boolean upToDate(Path archive, Path jar) throws IOException {
        return Files.isRegularFile(archive)
                && Files.getLastModifiedTime(archive).compareTo(Files.getLastModifiedTime(jar)) >= 0;
    }

    /**
     * Starts the jar the way most tests do (exporting to backends, admin service on, a method that sleeps and calls
     * a peer), makes one call once it serves, then stops it with SIGTERM: the JVM writes the archive at exit. The
     * classes of the request path and the exporters are then in the archive too, not only those of a bare start.
     */
    private static boolean dumpWhileServing(String java, Path jar, List<String> commonOptions, Path dumped)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(java));
        command.addAll(commonOptions);
        command.addAll(List.of("-XX:ArchiveClassesAtExit=" + dumped, "-Xlog:cds=off", "-Xlog:cds+dynamic=off",
                "-jar", jar.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        int port = ThespianProcess.freePort();
        builder.environment().clear();
        builder.environment().putAll(Map.of("PORT", Integer.toString(port),
                "CONFIG_JSON", SELF_CALL.formatted(port), "THESPIAN_ADMIN", "true",
                // Nothing listens there: the exporters start, fail and report it, as in most tests.
                "OTEL_BACKEND_ADDRESS", "http://127.0.0.1:" + ThespianProcess.freePort(),
                "LOKI_ADDRESS", "http://127.0.0.1:" + ThespianProcess.freePort()));
        Process process = builder.start();
        // Bounded even if the jar hangs without a word: the read below ends when the process does.
        CompletableFuture.delayedExecutor(DUMP_TIMEOUT_SECONDS, TimeUnit.SECONDS).execute(process::destroyForcibly);
        try (BufferedReader output = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = output.readLine(); line != null; line = output.readLine()) {
                if (line.contains("serving thespian.Thespian")) {
                    CompletableFuture.runAsync(() -> callThenStop(process, port));
                }
            }
        }
        process.waitFor();
        return process.exitValue() == 0 && Files.isRegularFile(dumped);
    }

    /** One call through the request path, whatever it answers; then SIGTERM (Process.destroy() would close stdout). */
    private static void callThenStop(Process process, int port) {
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        try {
            ThespianGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .a(Nothing.getDefaultInstance());
        } catch (StatusRuntimeException failed) {
            // the archive only needs the classes the call loaded
        } finally {
            channel.shutdownNow();
            process.toHandle().destroy();
        }
    }
}
