package org.thespian.server;

import io.grpc.ChannelCredentials;
import io.grpc.ClientInterceptor;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.ProtoReflectionService;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.thespian.config.Config;
import org.thespian.config.ConfigSource.LoadedConfig;
import org.thespian.engine.ActionListener;
import org.thespian.engine.Dice;
import org.thespian.engine.Engine;
import org.thespian.proto.ThespianGrpc;

/**
 * A running Thespian: the service on all interfaces, with the standard health service and server reflection
 * so grpcurl needs no proto file, and, when asked for, the admin service and a watch on CONFIG_FILE.
 */
public final class ThespianServer {

    private final Server server;
    private final HealthControl health;
    private final GrpcPeerCaller peers;
    private final ScheduledExecutorService timer;
    private final Optional<ConfigWatcher> watcher;

    private ThespianServer(Server server, HealthControl health, GrpcPeerCaller peers,
            ScheduledExecutorService timer, Optional<ConfigWatcher> watcher) {
        this.server = server;
        this.health = health;
        this.peers = peers;
        this.timer = timer;
        this.watcher = watcher;
    }

    /** Binds {@code port} and starts serving {@code config} with the default {@link RuntimeOptions}. */
    public static ThespianServer start(int port, Config config, Dice dice, ChannelCredentials peerTls,
            Instrumentation instrumentation) throws IOException {
        return start(port, new LoadedConfig(config, "in-process", "{}"), dice, peerTls, instrumentation,
                RuntimeOptions.defaults(config.serviceName().orElse("thespian")));
    }

    /** Binds {@code port} and starts serving; nothing is left running if the port cannot be bound. */
    public static ThespianServer start(int port, LoadedConfig config, Dice dice, ChannelCredentials peerTls,
            Instrumentation instrumentation, RuntimeOptions options) throws IOException {
        RuntimeEvents events = instrumentation.runtimeEvents();
        ScheduledExecutorService timer = Engine.newTimer();
        List<ClientInterceptor> clientInterceptors = new ArrayList<>(instrumentation.clientInterceptors());
        clientInterceptors.add(new RequestMetadataForwarding());
        GrpcPeerCaller peers = new GrpcPeerCaller(peerTls, clientInterceptors);
        ActionListener listener = new RequestContextListener(instrumentation.actionListener());
        Engine engine = new Engine(timer, peers, listener);
        HealthControl health = new HealthControl(events);
        LiveConfig live = new LiveConfig(config, revision -> {
            peers.retainOnly(revision.config().peers());
            events.configChanged(revision.number(), revision.origin());
        });
        CallStats stats = new CallStats();
        ThespianGrpc.getServiceDescriptor().getMethods().forEach(method -> stats.track(method.getFullMethodName()));
        ThespianService service = new ThespianService(live, engine, dice, options.serviceName(),
                new FaultInjector(timer, listener, events), events);
        // Telemetry's interceptors come last, so they run first and trace even the calls refused here.
        List<ServerInterceptor> interceptors = new ArrayList<>(List.of(
                new RequestMetadataInterceptor(options.maxHops(), options.faultHeaders()), stats));
        interceptors.addAll(instrumentation.serverInterceptors());
        ServerBuilder<?> builder = Grpc.newServerBuilderForPort(port, InsecureServerCredentials.create())
                // The engine never blocks, so RPCs run on the transport threads: several times the throughput
                // of handing each call to a pool.
                .directExecutor()
                .addService(ServerInterceptors.intercept(service, interceptors))
                .addService(health.manager().getHealthService());
        if (options.admin()) {
            builder.addService(ServerInterceptors.intercept(new AdminService(live, health, stats),
                    adminInterceptors(options, instrumentation)));
        }
        Server server = withReflection(builder).build();
        Optional<ConfigWatcher> watcher = Optional.empty();
        try {
            server.start();
            if (options.watchedFile().isPresent()) {
                watcher = Optional.of(ConfigWatcher.start(options.watchedFile().get(), live, events));
            }
        } catch (IOException e) {
            server.shutdownNow();
            peers.close();
            timer.shutdownNow();
            throw e;
        }
        peers.connect(config.config().peers());
        health.set(ServingStatus.SERVING);
        events.configChanged(1, config.origin());
        return new ThespianServer(server, health, peers, timer, watcher);
    }

    private static List<ServerInterceptor> adminInterceptors(RuntimeOptions options, Instrumentation instrumentation) {
        List<ServerInterceptor> interceptors = new ArrayList<>();
        options.adminToken().ifPresent(token -> interceptors.add(new AdminAuthentication(token)));
        interceptors.addAll(instrumentation.serverInterceptors());
        return interceptors;
    }

    @SuppressWarnings("deprecation") // v1alpha reflection: older grpcurl releases only speak that one
    private static ServerBuilder<?> withReflection(ServerBuilder<?> builder) {
        return builder.addService(ProtoReflectionServiceV1.newInstance())
                .addService(ProtoReflectionService.newInstance());
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
        watcher.ifPresent(ConfigWatcher::close);
        server.shutdown();
        if (!server.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
            server.shutdownNow();
            server.awaitTermination(1, TimeUnit.SECONDS);
        }
        peers.close();
        timer.shutdownNow();
    }
}
