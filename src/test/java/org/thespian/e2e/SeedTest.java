package org.thespian.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.thespian.proto.Nothing;
import org.thespian.testsupport.InProcessThespian;

/** THESPIAN_SEED makes every failure roll reproducible: a server started afresh repeats the same outcomes. */
class SeedTest {

    @Test
    void theSameSeedRepeatsTheSameOutcomesInANewServer() {
        Map<String, String> env = Map.of("THESPIAN_SEED", "7", "CONFIG_JSON", """
                {"grpc_method_a": {"tracing_name": "coin", "operations": [
                  {"ConcurrentActions": [
                    {"Sleep": {"tracing_name": "heads", "duration_ms": 1, "failure_chance": 0.5}},
                    {"Sleep": {"tracing_name": "tails", "duration_ms": 2, "failure_chance": 0.5}}]}]}}""");
        List<String> first = outcomes(env, 40);
        assertEquals(first, outcomes(env, 40));
        assertTrue(first.contains("OK") && first.stream().anyMatch(outcome -> outcome.contains("heads"))
                && first.stream().anyMatch(outcome -> outcome.contains("tails")), first.toString());
    }

    @Test
    void servicesWithTheSameConfigAndSeedRollDiceOfTheirOwn() {
        String coin = """
                {"grpc_method_a": {"tracing_name": "coin", "operations": [
                  {"Action": {"Sleep": {"tracing_name": "flip", "duration_ms": 0, "failure_chance": 0.5}}}]}}""";
        List<String> checkout = outcomes(Map.of("THESPIAN_SEED", "7", "CONFIG_JSON", coin, "SERVICE_NAME", "checkout"), 40);
        List<String> payment = outcomes(Map.of("THESPIAN_SEED", "7", "CONFIG_JSON", coin, "SERVICE_NAME", "payment"), 40);
        assertNotEquals(checkout, payment, "two services failed in lockstep");
        assertEquals(checkout, outcomes(Map.of("THESPIAN_SEED", "7", "CONFIG_JSON", coin, "SERVICE_NAME", "checkout"),
                40), "the same service with the same seed rolled differently");
    }

    private static List<String> outcomes(Map<String, String> env, int calls) {
        try (InProcessThespian thespian = InProcessThespian.start(env)) {
            List<String> outcomes = new ArrayList<>();
            for (int i = 0; i < calls; i++) {
                try {
                    thespian.blockingStub().a(Nothing.getDefaultInstance());
                    outcomes.add("OK");
                } catch (StatusRuntimeException e) {
                    outcomes.add(e.getStatus().getDescription());
                }
            }
            return outcomes;
        }
    }
}
