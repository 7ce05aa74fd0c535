package org.thespian.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.thespian.server.RuntimeOptions;

/** Issue 9's env vars and THESPIAN_MAX_HOPS: defaults, and one clear error per bad value. */
class RuntimeSettingsTest {

    @Test
    void defaultsAreSafe() throws Exception {
        RuntimeOptions runtime = Settings.from(Map.of("SERVICE_NAME", "payment")).runtime();
        assertEquals(new RuntimeOptions("payment", true, 16, false, Optional.empty(), Optional.empty()), runtime);
    }

    @Test
    void everyVariableIsRead() throws Exception {
        RuntimeOptions runtime = Settings.from(Map.of("THESPIAN_FAULT_HEADERS", "false", "THESPIAN_MAX_HOPS", "3",
                "THESPIAN_ADMIN", "true", "THESPIAN_ADMIN_TOKEN", "t0ken")).runtime();
        assertFalse(runtime.faultHeaders());
        assertEquals(3, runtime.maxHops());
        assertTrue(runtime.admin());
        assertEquals(Optional.of("t0ken"), runtime.adminToken());
    }

    @Test
    void badValuesNameTheirVariable() {
        assertProblem(Map.of("THESPIAN_MAX_HOPS", "0"), "THESPIAN_MAX_HOPS must be a whole number from 1 to 1000");
        assertProblem(Map.of("THESPIAN_FAULT_HEADERS", "maybe"), "THESPIAN_FAULT_HEADERS must be true or false");
        assertProblem(Map.of("THESPIAN_ADMIN", "yes please"), "THESPIAN_ADMIN must be true or false");
        assertProblem(Map.of("THESPIAN_ADMIN_TOKEN", " "), "THESPIAN_ADMIN_TOKEN must be printable ASCII");
        assertProblem(Map.of("THESPIAN_ADMIN_TOKEN", "two words"), "got \"<hidden>\"");
        assertProblem(Map.of("THESPIAN_WATCH_CONFIG", "true"), "THESPIAN_WATCH_CONFIG must be false unless CONFIG_FILE");
    }

    private static void assertProblem(Map<String, String> env, String expected) {
        Settings.InvalidSetting error = assertThrows(Settings.InvalidSetting.class, () -> Settings.from(env));
        assertTrue(error.getMessage().contains(expected), error.getMessage());
    }
}
