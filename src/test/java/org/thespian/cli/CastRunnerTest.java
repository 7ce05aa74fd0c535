package org.thespian.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.thespian.cast.Cast;
import org.thespian.cast.CastParser;
import org.thespian.server.ServerLimits;

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

    private static int maxInFlight(CastRunner.Checked checked, String member) {
        return checked.members().get(member).limits().maxInFlight();
    }
}
