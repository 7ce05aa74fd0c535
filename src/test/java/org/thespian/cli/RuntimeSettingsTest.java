package org.thespian.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.thespian.server.RuntimeOptions;

/** The runtime switches' env vars and THESPIAN_MAX_HOPS: defaults, and one clear error per bad value. */
class RuntimeSettingsTest {

    @Test
    void defaultsAreSafe() throws Exception {
        RuntimeOptions runtime = Settings.from(Map.of("SERVICE_NAME", "payment")).runtime();
        assertEquals(new RuntimeOptions("payment", true, 16, false, Optional.empty(), Optional.empty()), runtime);
    }

    @Test
    void everyVariableIsRead() throws Exception {
        RuntimeOptions runtime = Settings.from(Map.of("THESPIAN_FAULT_HEADERS", "false", "THESPIAN_MAX_HOPS", "3",
                "THESPIAN_ADMIN", "true", "THESPIAN_ADMIN_TOKEN", "t0ken-of-16-char")).runtime();
        assertFalse(runtime.faultHeaders());
        assertEquals(3, runtime.maxHops());
        assertTrue(runtime.admin());
        assertEquals(Optional.of("t0ken-of-16-char"), runtime.adminToken());
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

    @Test
    void anAdminTokenHasAtLeast16CharactersAndIsNeverShown() throws Exception {
        assertProblem(Map.of("THESPIAN_ADMIN", "true", "THESPIAN_ADMIN_TOKEN", "x"),
                "THESPIAN_ADMIN_TOKEN must be at least 16 characters (e.g. openssl rand -hex 16), got"
                        + " \"<hidden, length 1>\"");
        assertProblem(Map.of("THESPIAN_ADMIN_TOKEN", "fifteen-chars-x"), "got \"<hidden, length 15>\"");
        assertEquals(Optional.of("sixteen-chars-xy"), Settings.from(Map.of("THESPIAN_ADMIN_TOKEN", "sixteen-chars-xy"))
                .runtime().adminToken());
    }

    @Test
    void aTokenWithoutTheAdminServiceIsWarnedAbout() throws Exception {
        String token = "0123456789abcdef";
        assertTrue(Settings.from(Map.of("THESPIAN_ADMIN_TOKEN", token)).adminTokenWarning().orElseThrow()
                .startsWith("THESPIAN_ADMIN_TOKEN is set but THESPIAN_ADMIN is not true"));
        assertEquals(Optional.empty(), Settings.from(Map.of("THESPIAN_ADMIN_TOKEN", token, "THESPIAN_ADMIN", "true"))
                .adminTokenWarning());
        assertEquals(Optional.empty(), Settings.from(Map.of("THESPIAN_ADMIN", "true")).adminTokenWarning());
        assertEquals(Optional.empty(), Settings.from(Map.of()).adminTokenWarning());
    }

    @Test
    void theInstanceIdIsThespianInstanceIdOrElseTheHostName() throws Exception {
        assertEquals("payment-7d4b9-x2k", Settings.from(Map.of("THESPIAN_INSTANCE_ID", " payment-7d4b9-x2k "))
                .runtime().instanceId());
        assertEquals("payment-7d4b9-x2k", Settings.from(Map.of("HOSTNAME", "payment-7d4b9-x2k")).runtime().instanceId(),
                "Kubernetes sets HOSTNAME to the pod's name");
        assertEquals("pod-a", Settings.from(Map.of("THESPIAN_INSTANCE_ID", "pod-a", "HOSTNAME", "pod-b")).runtime()
                .instanceId(), "the variable wins over the host name");
        assertEquals(InetAddress.getLocalHost().getHostName(), Settings.from(Map.of()).runtime().instanceId());
        assertEquals(InetAddress.getLocalHost().getHostName(), Settings.from(Map.of("THESPIAN_INSTANCE_ID", " "))
                .runtime().instanceId(), "blank counts as unset");
        assertProblem(Map.of("THESPIAN_INSTANCE_ID", "\u200b"), "THESPIAN_INSTANCE_ID must be a name with a visible"
                + " character");
    }

    private static void assertProblem(Map<String, String> env, String expected) {
        Settings.InvalidSetting error = assertThrows(Settings.InvalidSetting.class, () -> Settings.from(env));
        assertTrue(error.getMessage().contains(expected), error.getMessage());
    }
}
