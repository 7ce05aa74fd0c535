package org.thespian.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
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
import org.thespian.proto.ThespianGrpc;
import org.thespian.testsupport.RawHttp2;
import org.thespian.testsupport.ThespianProcess;

/**
 * 1,100 connections that finish the HTTP/2 handshake (preface and SETTINGS) and then say nothing, against a jar
 * limited to 1,024 descriptors: the handshake timeout no longer applies and the idle timeout is 2 minutes, so only
 * the connection cap keeps descriptors free. While they are held, a new client's health check and call are
 * answered. About a minute, so {@code bench/hostile.sh} runs it, not {@code mvn verify}.
 */
class ConnectionFloodHostile {

    private static final int CONNECTIONS = 1_100;
    private static final Duration BOUND = Duration.ofSeconds(20);

    @Test
    void idleConnectionsPastTheCapMakeRoomForANewClient() throws Exception {
        try (ThespianProcess thespian = ThespianProcess.start(List.of(), Map.of("THESPIAN_LOG_LEVEL", "WARN"))) {
            Process limit = new ProcessBuilder("prlimit", "--pid", Long.toString(thespian.pid()), "--nofile=1024:1024")
                    .inheritIO().start();
            assertEquals(0, limit.waitFor());
            List<RawHttp2> connections = new ArrayList<>();
            int failed = 0;
            try {
                for (int i = 0; i < CONNECTIONS; i++) {
                    try {
                        connections.add(RawHttp2.connect(thespian.port()).handshake(BOUND));
                    } catch (IOException e) {
                        failed++;
                    }
                }
                long start = System.nanoTime();
                ManagedChannel client = Grpc.newChannelBuilderForAddress("127.0.0.1", thespian.port(),
                        InsecureChannelCredentials.create()).build();
                ServingStatus health;
                try {
                    health = HealthGrpc.newBlockingStub(client).withDeadlineAfter(10, TimeUnit.SECONDS)
                            .check(HealthCheckRequest.getDefaultInstance()).getStatus();
                    ThespianGrpc.newBlockingStub(client).withDeadlineAfter(10, TimeUnit.SECONDS)
                            .a(Nothing.getDefaultInstance());
                } finally {
                    client.shutdownNow();
                }
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                int closedByServer = 0;
                for (RawHttp2 connection : connections) {
                    if (connection.awaitClosedByServer(Duration.ofMillis(5))) {
                        closedByServer++;
                    }
                }
                System.out.println(CONNECTIONS + " connections with preface and SETTINGS, then silent, at a 1,024-descriptor"
                        + " limit: " + connections.size() + " opened, " + failed + " failed to open, " + closedByServer
                        + " closed by the server; during the hold a new client got health " + health
                        + " and a call answered in " + millis + " ms");
                assertEquals(ServingStatus.SERVING, health);
                assertTrue(closedByServer > 0, "no connection closed to stay under the cap");
                assertTrue(thespian.isAlive());
            } finally {
                for (RawHttp2 connection : connections) {
                    connection.close();
                }
            }
        }
    }
}
