package org.thespian.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.thespian.cast.Cast;
import org.thespian.cast.CastParser;
import org.thespian.cast.CastServers;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;
import org.thespian.server.ServerLimits;
import org.thespian.testsupport.ThespianProcess;

class CastRunnerTest {

    private static final String FOUR = """
            name: four
            members:
              - {name: a, port: 7000, config: {}}
              - {name: b, port: 7001, config: {}}
              - {name: c, port: 7002, config: {}, env: {THESPIAN_MAX_IN_FLIGHT: 10}}
              - {name: d, port: 7003, config: {}}
            """;

    @Test
    void membersShareTheHeapsDefaultInFlightCapUnlessACapIsGiven(@TempDir Path dir) throws Exception {
        Cast cast = CastParser.parse(Files.writeString(dir.resolve("four.cast.yaml"), FOUR));
        int share = ServerLimits.defaultMaxInFlight(Runtime.getRuntime().maxMemory(), 4);

        CastRunner.Checked byDefault = CastRunner.check(cast, Map.of());
        assertEquals(share, maxInFlight(byDefault, "a"));
        assertEquals(share, maxInFlight(byDefault, "d"));
        assertEquals(10, maxInFlight(byDefault, "c"), "a member's own cap wins");

        CastRunner.Checked given = CastRunner.check(cast, Map.of("THESPIAN_MAX_IN_FLIGHT", "500"));
        assertEquals(500, maxInFlight(given, "a"), "the process's cap applies to each member");
        assertEquals(10, maxInFlight(given, "c"));
    }

    @Test
    void aMemberWithAShortAdminTokenIsRefusedByName(@TempDir Path dir) throws Exception {
        Cast cast = CastParser.parse(Files.writeString(dir.resolve("guarded.cast.yaml"), """
                name: guarded
                members:
                  - {name: open, port: 7000, config: {}}
                  - {name: payment, port: 7001, config: {}, env: {THESPIAN_ADMIN: "true", THESPIAN_ADMIN_TOKEN: t0k}}
                """));
        CastRunner.InvalidEnvironment refused = assertThrows(CastRunner.InvalidEnvironment.class,
                () -> CastRunner.check(cast, Map.of()));
        assertEquals("member \"payment\": THESPIAN_ADMIN_TOKEN must be at least 16 characters (e.g. openssl rand"
                + " -hex 16), got \"<hidden, length 3>\"", refused.getMessage());
    }

    @Test
    void membersWithTheSameConfigAndSeedRollDiceOfTheirOwn(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("coin.json"), """
                {"grpc_method_a": {"tracing_name": "coin", "operations": [
                  {"Action": {"Sleep": {"tracing_name": "flip", "duration_ms": 0, "failure_chance": 0.5}}}]}}""");
        String twins = """
                name: twins
                members:
                  - {name: left, port: %d, config: coin.json}
                  - {name: right, port: %d, config: coin.json}
                """.formatted(ThespianProcess.freePort(), ThespianProcess.freePort());
        Cast cast = CastParser.parse(Files.writeString(dir.resolve("twins.cast.yaml"), twins));
        Serving.Running<CastServers> running = CastRunner.start(CastRunner.check(cast, Map.of("THESPIAN_SEED", "7",
                "THESPIAN_WARMUP", "off")), false, member -> List.of());
        try {
            Map<String, List<String>> outcomes = new HashMap<>();
            for (CastServers.Running member : running.servers().members()) {
                outcomes.put(member.member().name(), outcomes(member.server().port(), 40));
            }
            assertNotEquals(outcomes.get("left"), outcomes.get("right"), "two members failed in lockstep");
        } finally {
            running.stop(Duration.ZERO, Duration.ZERO);
        }
    }

    /** Whether each of {@code calls} calls of A answered OK or failed. */
    private static List<String> outcomes(int port, int calls) {
        ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", port,
                InsecureChannelCredentials.create()).build();
        try {
            List<String> outcomes = new ArrayList<>();
            for (int i = 0; i < calls; i++) {
                try {
                    ThespianGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                            .a(Nothing.getDefaultInstance());
                    outcomes.add("OK");
                } catch (StatusRuntimeException e) {
                    outcomes.add(e.getStatus().getCode().name());
                }
            }
            return outcomes;
        } finally {
            channel.shutdownNow();
        }
    }

    private static int maxInFlight(CastRunner.Checked checked, String member) {
        return checked.members().get(member).limits().maxInFlight();
    }
}
