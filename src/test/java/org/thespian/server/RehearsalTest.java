package org.thespian.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.thespian.config.ConfigParser;
import org.thespian.config.ConfigSource.LoadedConfig;
import org.thespian.engine.Dice;
import org.thespian.testsupport.CountingPeer;

class RehearsalTest {

    private final CountingPeer peer;

    RehearsalTest() throws Exception {
        peer = CountingPeer.start();
    }

    @AfterEach
    void stopPeer() {
        peer.close();
    }

    @Test
    void itsCallsHaveTheirWaitsCutShortAndTheirPeersStoodIn() throws Exception {
        String config = """
                {"grpc_method_a": {"tracing_name": "slow", "operations": [
                   {"Action": {"CallService": {"tracing_name": "peer", "service_address": "127.0.0.1",
                                               "service_port": "%d", "grpc_method": "B"}}},
                   {"Action": {"Sleep": {"tracing_name": "nap", "duration_ms": 60000}}},
                   {"Action": {"Cpu": {"tracing_name": "burn", "duration_ms": 60000}}}]}}"""
                .formatted(peer.port());
        Rehearsal.Part part = new Rehearsal.Part(new LoadedConfig(ConfigParser.parse(config), "test", config),
                Dice.of(OptionalLong.empty()), Instrumentation.NONE, ServerLimits.defaults(),
                RuntimeOptions.defaults("rehearsed"));

        Rehearsal.Summary summary = Rehearsal.run(List.of(part), ServerLimits.defaults());

        // Uncut, no call could answer before the rehearsal's end: each loop would have made one call.
        assertTrue(summary.calls() > Rehearsal.IN_FLIGHT, "calls rehearsed: " + summary.calls());
        assertEquals(0, peer.calls(), "calls that reached the configured peer");
        assertTrue(summary.took().compareTo(Duration.ofSeconds(30)) < 0, "the rehearsal took " + summary.took());
        assertTrue(summary.describe().matches("warm-up: \\d+ calls rehearsed in \\d+\\.\\d s"), summary.describe());
    }
}
