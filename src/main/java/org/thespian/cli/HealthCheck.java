package org.thespian.cli;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.util.concurrent.TimeUnit;

/**
 * {@code thespian healthcheck}: asks the local instance's gRPC health service, so a container HEALTHCHECK
 * needs nothing but the jar.
 */
final class HealthCheck {

    private HealthCheck() {
    }

    /** Exit code 0 when the server on {@code port} is SERVING, 1 otherwise. */
    static int run(int port) {
        ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", port,
                InsecureChannelCredentials.create()).build();
        try {
            ServingStatus status = HealthGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(3, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.getDefaultInstance())
                    .getStatus();
            System.out.println(status);
            return status == ServingStatus.SERVING ? 0 : 1;
        } catch (StatusRuntimeException e) {
            System.out.println("unhealthy: " + e.getStatus().getCode() + " from 127.0.0.1:" + port);
            return 1;
        } finally {
            channel.shutdownNow();
        }
    }
}
