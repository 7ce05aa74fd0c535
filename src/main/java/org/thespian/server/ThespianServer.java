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
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
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
    private final Optional<Backstage> ownBackstage;

    private ThespianServer(Server server, HealthStatusManager health, Optional<Backstage> ownBackstage) {
        this.server = server;
        this.health = health;
        this.ownBackstage = ownBackstage;
    }

    /** Binds {@code port} and starts serving; nothing is left running if the port cannot be bound. */
    public static ThespianServer start(int port, Config config, Dice dice, ChannelCredentials peerTls,
            Instrumentation instrumentation) throws IOException {
        return start(port, config, dice, peerTls, instrumentation, EngineLimits.DEFAULT);
    }

    /** As {@link #start(int, Config, Dice, ChannelCredentials, Instrumentation)}, with the engine's limits. */
    public static ThespianServer start(int port, Config config, Dice dice, ChannelCredentials peerTls,
            Instrumentation instrumentation, EngineLimits limits) throws IOException {
        Backstage backstage = Backstage.open(peerTls, instrumentation.clientInterceptors(), UnaryOperator.identity());
        try {
            return start(port, config, dice, instrumentation, limits, backstage, Optional.of(backstage));
        } catch (IOException e) {
            backstage.close();
            throw e;
        }
    }

    /**
     * Starts one of several servers of this process (a cast's members) that share {@code backstage}; stopping
     * this server leaves the backstage open for the others.
     */
    public static ThespianServer start(int port, Config config, Dice dice, Instrumentation instrumentation,
            EngineLimits limits, Backstage backstage) throws IOException {
        return start(port, config, dice, instrumentation, limits, backstage, Optional.empty());
    }

    @SuppressWarnings("deprecation") // v1alpha reflection: older grpcurl releases only speak that one
    private static ThespianServer start(int port, Config config, Dice dice, Instrumentation instrumentation,
            EngineLimits limits, Backstage backstage, Optional<Backstage> owned) throws IOException {
        GrpcPeerCaller peers = backstage.peers();
        Engine engine = new Engine(backstage.scheduler(), peers, instrumentation.actionListener(), limits);
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
        server.start();
        peers.connect(config.peers());
        health.setStatus("", ServingStatus.SERVING);
        health.setStatus(ThespianGrpc.SERVICE_NAME, ServingStatus.SERVING);
        return new ThespianServer(server, health, owned);
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
        ownBackstage.ifPresent(Backstage::close);
    }
}
