package org.thespian.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.thespian.engine.EngineLimits;

/** THESPIAN_MAX_ACTIONS_IN_FLIGHT and THESPIAN_MAX_ACTIONS_PER_TRACE: defaults, values, one clear error each. */
class WorkBudgetSettingsTest {

    @Test
    void defaultsFollowTheHeapAndTheDocumentedBudget() throws Exception {
        EngineLimits limits = Settings.from(Map.of()).limits().engine();
        assertEquals(EngineLimits.defaultMaxActionsInFlight(Runtime.getRuntime().maxMemory()),
                limits.maxActionsInFlight());
        assertEquals(100_000, limits.maxActionsPerTrace());
        assertEquals(4_096, EngineLimits.defaultMaxActionsInFlight(64L << 20));
        assertEquals(28_672, EngineLimits.defaultMaxActionsInFlight(256L << 20));
        assertEquals(256, EngineLimits.defaultMaxActionsInFlight(16L << 20));
    }

    @Test
    void valuesAreRead() throws Exception {
        EngineLimits limits = Settings.from(Map.of("THESPIAN_MAX_ACTIONS_IN_FLIGHT", "50",
                "THESPIAN_MAX_ACTIONS_PER_TRACE", "300")).limits().engine();
        assertEquals(50, limits.maxActionsInFlight());
        assertEquals(300, limits.maxActionsPerTrace());
    }

    @Test
    void badValuesNameTheirVariable() {
        assertProblem("THESPIAN_MAX_ACTIONS_IN_FLIGHT", "0", "THESPIAN_MAX_ACTIONS_IN_FLIGHT must be a whole number from 1");
        assertProblem("THESPIAN_MAX_ACTIONS_PER_TRACE", "-5",
                "THESPIAN_MAX_ACTIONS_PER_TRACE must be a whole number from 1 to 1000000000, got \"-5\"");
    }

    private static void assertProblem(String variable, String value, String expected) {
        Settings.InvalidSetting error = assertThrows(Settings.InvalidSetting.class,
                () -> Settings.from(Map.of(variable, value)));
        assertTrue(error.getMessage().contains(expected), error.getMessage());
    }
}
