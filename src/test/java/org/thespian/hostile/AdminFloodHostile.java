package org.thespian.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.thespian.admin.proto.AdminGrpc;
import org.thespian.admin.proto.GetConfigRequest;
import org.thespian.testsupport.RawHttp2;
import org.thespian.testsupport.ThespianProcess;

/**
 * A 1 MB config, then 700 GetConfig calls on one connection whose client never reads (it gives no HTTP/2 flow
 * control credit): before admin calls were admitted, every answer waited in direct memory and the jar ran out of it
 * in seconds. Now the connection gets its share of the admin limit, and the rest are refused at once. Half a
 * minute, so {@code bench/hostile.sh} runs it, not {@code mvn verify}.
 */
class AdminFloodHostile {

    private static final int CALLS = 700;
    private static final Duration HOLD = Duration.ofSeconds(10);

    @Test
    void getConfigCallsThatAreNeverReadStayWithinTheAdminLimit() throws Exception {
        Path config = Files.createTempFile("thespian-large-config", ".json");
        try {
            Files.writeString(config, "{\"grpc_method_a\": null}" + " ".repeat(1 << 20));
            try (ThespianProcess thespian = ThespianProcess.start(List.of("-Xmx128m"), Map.of("CONFIG_FILE",
                    config.toString(), "THESPIAN_ADMIN", "true", "THESPIAN_LOG_LEVEL", "WARN"))) {
                flood(thespian);
            }
        } finally {
            Files.delete(config);
        }
    }

    private static void flood(ThespianProcess thespian) throws Exception {
        long residentBefore = residentMegabytes(thespian.pid());
        try (RawHttp2 neverReads = RawHttp2.connect(thespian.port()).handshake(HOLD)) {
            for (int i = 0; i < CALLS; i++) {
                neverReads.headers(2 * i + 1, "/thespian.admin.v1.Admin/GetConfig", false);
                neverReads.message(2 * i + 1, new byte[0]);
            }
            neverReads.flush();
            Map<String, Integer> answers = new TreeMap<>();
            long deadline = System.nanoTime() + HOLD.toNanos();
            while (answers.values().stream().mapToInt(Integer::intValue).sum() < CALLS && System.nanoTime() < deadline) {
                RawHttp2.Frame frame = neverReads.read(HOLD);
                if (frame.type() == RawHttp2.HEADERS) {
                    Map<String, String> fields = neverReads.headersOf(frame);
                    if (!RawHttp2.endsStream(frame)) {
                        answers.merge("admitted (the answer waits for credit)", 1, Integer::sum);
                    } else if ("8".equals(fields.get("grpc-status"))) {
                        answers.merge("RESOURCE_EXHAUSTED", 1, Integer::sum);
                    }
                }
            }
            Thread.sleep(HOLD.toMillis());
            boolean alive = thespian.isAlive();
            ServingStatus health = HealthGrpc.newBlockingStub(thespian.channel()).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.getDefaultInstance()).getStatus();
            int answered = AdminGrpc.newBlockingStub(thespian.channel()).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .getConfig(GetConfigRequest.getDefaultInstance()).getConfigJson().length();
            long grown = residentMegabytes(thespian.pid()) - residentBefore;
            System.out.println(CALLS + " GetConfig calls (1 MB config) on one connection that never reads, -Xmx128m: "
                    + answers + "; " + HOLD.toSeconds() + " s later alive " + alive + ", health " + health
                    + ", another client's GetConfig answered, resident memory grown by " + grown + " MB");
            assertTrue(alive, thespian.stderr());
            assertEquals(ServingStatus.SERVING, health);
            assertEquals(CALLS, answers.values().stream().mapToInt(Integer::intValue).sum(), "answers: " + answers);
            assertTrue(answered > 1 << 20);
        }
    }

    private static long residentMegabytes(long pid) throws IOException {
        return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream()
                .filter(line -> line.startsWith("VmRSS:"))
                .mapToLong(line -> Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024)
                .findFirst()
                .orElseThrow();
    }
}
