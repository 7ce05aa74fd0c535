package org.thespian.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.thespian.proto.Nothing;
import org.thespian.testsupport.RawHttp2;
import org.thespian.testsupport.ThespianProcess;

/**
 * Descriptor exhaustion: 1,100 connections that send only the HTTP/2 preface, against a jar limited
 * to 1,024 descriptors. The server closes them after its handshake timeout (10 s) and serves again. About
 * 30 s, so {@code bench/hostile.sh} runs it, not {@code mvn verify}.
 */
class PrefaceFloodHostile {

    private static final int CONNECTIONS = 1_100;
    private static final Duration HANDSHAKE_TIMEOUT_AND_MARGIN = Duration.ofSeconds(25);

    @Test
    void prefaceOnlyConnectionsAreClosedAndTheServerServesAgain() throws Exception {
        try (ThespianProcess thespian = ThespianProcess.start(Map.of())) {
            Process limit = new ProcessBuilder("prlimit", "--pid", Long.toString(thespian.pid()), "--nofile=1024:1024")
                    .inheritIO().start();
            assertEquals(0, limit.waitFor());
            List<RawHttp2> connections = new ArrayList<>();
            int refused = 0;
            long start = System.nanoTime();
            for (int i = 0; i < CONNECTIONS; i++) {
                try {
                    connections.add(RawHttp2.connect(thespian.port()).sendPrefaceOnly());
                } catch (IOException e) {
                    refused++;
                }
            }
            int closedByServer = 0;
            for (RawHttp2 connection : connections) {
                Duration left = HANDSHAKE_TIMEOUT_AND_MARGIN.minusNanos(System.nanoTime() - start);
                if (connection.awaitClosedByServer(left.isNegative() ? Duration.ofMillis(1) : left)) {
                    closedByServer++;
                }
                connection.close();
            }
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
            System.out.println(CONNECTIONS + " preface-only connections at a 1,024-descriptor limit: " + connections.size()
                    + " opened, " + refused + " failed to open, " + closedByServer + " closed by the server, all within "
                    + seconds + " s");
            assertEquals(connections.size(), closedByServer, "connections the server left open");
            assertEquals(ServingStatus.SERVING, HealthGrpc.newBlockingStub(thespian.channel())
                    .withDeadlineAfter(10, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance()).getStatus());
            thespian.blockingStub().a(Nothing.getDefaultInstance());
            assertTrue(thespian.isAlive());
        }
    }
}
