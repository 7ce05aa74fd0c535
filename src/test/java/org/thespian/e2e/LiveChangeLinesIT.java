package org.thespian.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.thespian.admin.proto.AdminGrpc;
import org.thespian.admin.proto.ServingStatus;
import org.thespian.admin.proto.SetConfigRequest;
import org.thespian.admin.proto.SetHealthRequest;
import org.thespian.testsupport.ThespianProcess;

/**
 * docs/faults.md promises that every change to a running instance is visible: each health flip, refused SetConfig,
 * bad edit of a watched file and new revision is its own log line, however quickly they follow one another (the
 * once-a-minute limit on repeated warnings must not swallow them).
 */
class LiveChangeLinesIT {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @Test
    void everyChangeInQuickSuccessionHasItsLine() throws Exception {
        Path file = dir.resolve("config.json");
        Files.writeString(file, "{}");
        try (ThespianProcess thespian = ThespianProcess.start(Map.of("CONFIG_FILE", file.toString(),
                "THESPIAN_WATCH_CONFIG", "true", "THESPIAN_ADMIN", "true"))) {
            AdminGrpc.AdminBlockingStub admin = AdminGrpc.newBlockingStub(thespian.channel());
            for (ServingStatus status : List.of(ServingStatus.NOT_SERVING, ServingStatus.SERVING,
                    ServingStatus.NOT_SERVING, ServingStatus.SERVING)) {
                admin.setHealth(SetHealthRequest.newBuilder().setStatus(status).build());
            }
            for (int i = 0; i < 3; i++) {
                assertThrows(StatusRuntimeException.class, () -> admin.setConfig(
                        SetConfigRequest.newBuilder().setConfigJson("{\"grpc_method_a\": 1}").build()));
            }
            admin.setConfig(SetConfigRequest.newBuilder().setConfigJson("{\"grpc_method_b\": null}").build());
            admin.setConfig(SetConfigRequest.newBuilder().setConfigJson("{\"grpc_method_c\": null}").build());
            for (int edit = 1; edit <= 2; edit++) {
                Files.writeString(file, "{\"grpc_method_a\": " + edit + "}");
                int edits = edit;
                thespian.awaitStdout(lines -> count(lines, refused("CONFIG_FILE")) == edits, WAIT);
            }

            List<String> lines = thespian.awaitStdout(all -> count(all, line -> line.contains("health set to")) == 4
                    && count(all, refused("SetConfig")) == 3, WAIT);
            assertEquals(4, count(lines, line -> line.contains("health set to")), String.join("\n", lines));
            assertEquals(3, count(lines, refused("SetConfig")), String.join("\n", lines));
            assertEquals(2, count(lines, refused("CONFIG_FILE")), String.join("\n", lines));
            for (int revision = 1; revision <= 3; revision++) {
                String running = "\"message\":\"config revision " + revision + " from ";
                assertEquals(1, count(lines, line -> line.contains(running)), String.join("\n", lines));
            }
            assertEquals(0, count(lines, line -> line.contains("more suppressed")), String.join("\n", lines));
        }
    }

    private static Predicate<String> refused(String origin) {
        return line -> line.contains("\"message\":\"new config from " + origin) && line.contains("refused");
    }

    private static long count(List<String> lines, Predicate<String> matching) {
        return lines.stream().filter(matching).count();
    }
}
