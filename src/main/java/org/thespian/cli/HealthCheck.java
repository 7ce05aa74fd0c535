package org.thespian.cli;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;

/**
 * {@code thespian healthcheck}: asks the local instance's gRPC health service, so a container HEALTHCHECK
 * needs nothing but the jar.
 */
@Command(name = "healthcheck", description = "Exit 0 if the instance on 127.0.0.1:$PORT reports SERVING, 1"
        + " otherwise (for a container HEALTHCHECK).")
final class HealthCheck implements Callable<Integer> {

    private final Map<String, String> env;

    HealthCheck(Map<String, String> env) {
        this.env = env;
    }

    @Override
    public Integer call() {
        try {
            return run(Settings.port(env));
        } catch (Settings.InvalidSetting e) {
            return Main.usageError(e.getMessage());
        }
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
