package org.thespian.server;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionService;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.thespian.config.Config;
import org.thespian.engine.Dice;
import org.thespian.engine.Engine;
import org.thespian.engine.EngineLimits;
import org.thespian.engine.Scheduler;
import org.thespian.proto.ThespianGrpc;

/**
 * A running Thespian: the service on all interfaces, with the standard health service and server reflection
 * so grpcurl needs no proto file.
 */
public final class ThespianServer {

    private final Server server;
    private final HealthStatusManager health;
    private final GrpcPeerCaller peers;
    private final Scheduler scheduler;

    private ThespianServer(Server server, HealthStatusManager health, GrpcPeerCaller peers,
            Scheduler scheduler) {
        this.server = server;
        this.health = health;
        this.peers = peers;
        this.scheduler = scheduler;
    }

    /** Binds {@code port} and starts serving; nothing is left running if the port cannot be bound. */
    public static ThespianServer start(int port, Config config, Dice dice, ChannelCredentials peerTls,
            Instrumentation instrumentation) throws IOException {
        return start(port, config, dice, peerTls, instrumentation, EngineLimits.DEFAULT);
    }

    /** As {@link #start(int, Config, Dice, ChannelCredentials, Instrumentation)}, with the engine's limits. */
    @SuppressWarnings("deprecation") // v1alpha reflection: older grpcurl releases only speak that one
    public static ThespianServer start(int port, Config config, Dice dice, ChannelCredentials peerTls,
            Instrumentation instrumentation, EngineLimits limits) throws IOException {
        Scheduler scheduler = Scheduler.start(limits.cpuThreads());
        GrpcPeerCaller peers = new GrpcPeerCaller(peerTls, instrumentation.clientInterceptors());
        Engine engine = new Engine(scheduler, peers, instrumentation.actionListener(), limits);
        HealthStatusManager health = new HealthStatusManager();
        ThespianService service = new ThespianService(config, engine, dice);
        // The engine never blocks, so RPCs run on the transport threads: several times the throughput of
        // handing each call to a pool.
        Server server = Grpc.newServerBuilderForPort(port, InsecureServerCredentials.create())
                .directExecutor()
                .addService(ServerInterceptors.intercept(service, instrumentation.serverInterceptors()))
                .addService(health.getHealthService())
                .addService(ProtoReflectionServiceV1.newInstance())
                .addService(ProtoReflectionService.newInstance())
                .build();
        try {
            server.start();
        } catch (IOException e) {
            peers.close();
            scheduler.close();
            throw e;
        }
        peers.connect(config.peers());
        health.setStatus("", ServingStatus.SERVING);
        health.setStatus(ThespianGrpc.SERVICE_NAME, ServingStatus.SERVING);
        return new ThespianServer(server, health, peers, scheduler);
    }

    public int port() {
        return server.getPort();
    }

    /**
     * Stops gracefully: reports NOT_SERVING, refuses new calls, lets calls in flight finish within
     * {@code grace}, then cancels what is left.
     */
    public void stop(Duration grace) throws InterruptedException {
        health.enterTerminalState();
        server.shutdown();
        if (!server.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
            server.shutdownNow();
            server.awaitTermination(1, TimeUnit.SECONDS);
        }
        peers.close();
        scheduler.close();
    }
}
