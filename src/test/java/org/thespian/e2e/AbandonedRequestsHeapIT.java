package org.thespian.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.Status;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;
import org.thespian.testsupport.Loopback;
import org.thespian.testsupport.ThespianProcess;

/**
 * Requests that end badly leave nothing behind, measured from outside as the heap after a full collection
 * ({@code jcmd}): requests cancelled while a retry waits out a ten-minute back-off, and calls to a peer that
 * stays down.
 */
class AbandonedRequestsHeapIT {

    private static final long MARGIN_BYTES = 4L << 20;
    private static final Pattern USED = Pattern.compile("(?:new|tenured|old) generation\\s+total \\d+K, used (\\d+)K");

    @Test
    void requestsCancelledDuringABackOffAndCallsToADownPeerKeepNoHeap() throws Exception {
        try (Loopback.RefusingPort down = new Loopback.RefusingPort()) {
            abandonRequestsTo(down.port());
        }
    }

    private static void abandonRequestsTo(int closed) throws Exception {
        String config = """
                {"grpc_method_a": {"tracing_name": "patient", "operations": [
                   {"Action": {"CallService": {"tracing_name": "call down", "service_address": "127.0.0.1",
                       "service_port": %1$d, "grpc_method": "A",
                       "retries": {"max_attempts": 3, "backoff_ms": 600000, "retry_on": ["UNAVAILABLE"]}}}}]},
                 "grpc_method_b": {"tracing_name": "plain", "operations": [
                   {"Action": {"CallService": {"tracing_name": "call down", "service_address": "127.0.0.1",
                       "service_port": %1$d, "grpc_method": "A"}}}]}}""".formatted(closed);
        try (ThespianProcess thespian = ThespianProcess.start(List.of("-Xmx256m"),
                Map.of("CONFIG_JSON", config, "THESPIAN_LOG_LEVEL", "WARN"))) {
            var stub = ThespianGrpc.newFutureStub(thespian.channel());
            calls(500, 100, () -> stub.withDeadlineAfter(200, TimeUnit.MILLISECONDS).a(Nothing.getDefaultInstance()),
                    Status.Code.DEADLINE_EXCEEDED); // warm-up: classes, JIT, buffers
            calls(2_000, 500, () -> stub.withDeadlineAfter(10, TimeUnit.SECONDS).b(Nothing.getDefaultInstance()),
                    Status.Code.INTERNAL);
            long before = heapAfterGc(thespian.pid());

            calls(5_000, 500, () -> stub.withDeadlineAfter(200, TimeUnit.MILLISECONDS).a(Nothing.getDefaultInstance()),
                    Status.Code.DEADLINE_EXCEEDED);
            long afterBackOffs = heapAfterGc(thespian.pid());
            assertTrue(afterBackOffs - before < MARGIN_BYTES, "5,000 requests cancelled in their back-off kept "
                    + (afterBackOffs - before) / 1024 + " KB of heap (" + before / 1024 + " KB before)");

            calls(30_000, 500, () -> stub.withDeadlineAfter(10, TimeUnit.SECONDS).b(Nothing.getDefaultInstance()),
                    Status.Code.INTERNAL);
            long afterDownPeer = heapAfterGc(thespian.pid());
            assertTrue(afterDownPeer - before < MARGIN_BYTES, "30,000 calls to a closed port kept "
                    + (afterDownPeer - before) / 1024 + " KB of heap (" + before / 1024 + " KB before)");
        }
    }

    /** Makes {@code count} calls, {@code inFlight} at a time, each failing with {@code expected}. */
    private static void calls(int count, int inFlight, java.util.function.Supplier<ListenableFuture<Nothing>> call,
            Status.Code expected) throws Exception {
        List<ListenableFuture<Nothing>> batch = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            batch.add(call.get());
            if (batch.size() == inFlight || i == count - 1) {
                for (ListenableFuture<Nothing> pending : batch) {
                    try {
                        pending.get(30, TimeUnit.SECONDS);
                        throw new AssertionError("expected " + expected + ", got OK");
                    } catch (ExecutionException e) {
                        assertEquals(expected, Status.fromThrowable(e.getCause()).getCode(), e.getCause().toString());
                    }
                }
                batch.clear();
            }
        }
    }

    private static long heapAfterGc(long pid) throws IOException, InterruptedException {
        String info = jcmd(pid, "GC.run", "GC.heap_info");
        Matcher used = USED.matcher(info);
        long kilobytes = 0;
        while (used.find()) {
            kilobytes += Long.parseLong(used.group(1));
        }
        assertTrue(kilobytes > 0, "no heap figures in: " + info);
        return kilobytes * 1024;
    }

    /** The commands one after the other, from a file: one jcmd (a JVM of its own) rather than one each. */
    private static String jcmd(long pid, String... commands) throws IOException, InterruptedException {
        String jcmd = java.nio.file.Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        java.nio.file.Path file = java.nio.file.Files.createTempFile("jcmd-", ".txt");
        java.nio.file.Files.write(file, List.of(commands));
        Process process = new ProcessBuilder(jcmd, Long.toString(pid), "-f", file.toString()).redirectErrorStream(true)
                .start();
        String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, process.waitFor(), output);
        java.nio.file.Files.delete(file);
        return output;
    }
}
