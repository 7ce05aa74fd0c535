package org.thespian.cast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;
import org.thespian.testsupport.ThespianProcess;

/**
 * A cast on a small heap, run as the image runs the jar (with {@code -XX:+ExitOnOutOfMemoryError}): its members leak
 * into one heap, so the memory cap is the process's, and it refuses before the heap runs out.
 */
@Execution(ExecutionMode.CONCURRENT) // each test starts a process of its own
class CastHeapIT {

    private static final Duration EXIT = Duration.ofSeconds(60);
    private static final String SMALL_HEAP = "-Xmx64m -XX:+ExitOnOutOfMemoryError";

    @TempDir
    Path dir;

    @Test
    void fourMembersLeakingIntoASmallHeapAreRefusedAtTheProcesssCapAndTheJvmLives() throws Exception {
        List<Integer> ports = List.of(ThespianProcess.freePort(), ThespianProcess.freePort(),
                ThespianProcess.freePort(), ThespianProcess.freePort());
        StringBuilder file = new StringBuilder("name: leaky\nmembers:\n");
        for (int i = 0; i < ports.size(); i++) {
            file.append("  - {name: m").append(i).append(", port: ").append(ports.get(i)).append(", config: ")
                    .append("{grpc_method_a: {tracing_name: leak, operations: [{Action: {Memory: {tracing_name: leak,")
                    .append(" megabytes: 14, hold_ms: forever}}}]}}}\n");
        }
        Path cast = Files.writeString(dir.resolve("leaky.cast.yaml"), file);
        // The live view on a port of its own: 8080 is for the docs' casts, which DocCommandsIT runs as written.
        try (ThespianProcess process = ThespianProcess.start(Map.of("PORT", String.valueOf(ports.get(0)),
                "JAVA_TOOL_OPTIONS", SMALL_HEAP), "cast", cast.toString(), "--ui", "127.0.0.1:0")) {
            leak(ports.get(0));
            for (int round = 0; round < 3; round++) {
                for (int port : ports) {
                    StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> leak(port),
                            "a member held 14 MB more past the process's cap of a quarter of the heap");
                    assertEquals(Status.Code.RESOURCE_EXHAUSTED, refused.getStatus().getCode());
                    String description = refused.getStatus().getDescription();
                    String own = port == ports.get(0) ? "14" : "0";
                    assertTrue(description.matches("leak > leak: holding 14 MB more would pass the memory cap: 14 of"
                            + " 1[4-6] MB held by this process's 4 members, " + own + " of them by this one"
                            + " \\(THESPIAN_MEMORY_CAP_MB\\)"), description);
                }
            }
            assertTrue(process.isAlive(), "the JVM lives: " + process.stderr());
            assertFalse(ownStderr(process).contains("OutOfMemoryError"), process.stderr());
            process.terminate();
            assertEquals(0, process.awaitExit(EXIT), process.stderr());
        }
    }

    @Test
    void aMemoryCapThatLeavesTheHeapNoMarginIsRefusedAtStart() throws Exception {
        Path cast = Files.writeString(dir.resolve("one.cast.yaml"),
                "name: one\nmembers:\n  - {name: m, port: " + ThespianProcess.freePort() + ", config: {}}\n");
        try (ThespianProcess process = ThespianProcess.launch(Map.of("JAVA_TOOL_OPTIONS", SMALL_HEAP,
                "THESPIAN_MEMORY_CAP_MB", "48"), "cast", cast.toString())) {
            assertEquals(2, process.awaitExit(EXIT), process.stderr());
            String error = ownStderr(process);
            assertTrue(error.matches("thespian: THESPIAN_MEMORY_CAP_MB must be a whole number from 0 to 2[0-9] \\(more"
                    + " would leave the 6[0-4] MB heap too little room for the rest of Thespian; give the JVM more heap"
                    + " with -Xmx\\), got \"48\""), error);
        }
    }

    /** What the process wrote to stderr, without the JVM's note that it read JAVA_TOOL_OPTIONS. */
    private static String ownStderr(ThespianProcess process) {
        return process.stderr().lines().filter(line -> !line.startsWith("Picked up JAVA_TOOL_OPTIONS"))
                .collect(Collectors.joining("\n"));
    }

    private static void leak(int port) {
        ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", port,
                InsecureChannelCredentials.create()).build();
        try {
            ThespianGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS).a(Nothing.getDefaultInstance());
        } finally {
            channel.shutdownNow();
        }
    }
}
