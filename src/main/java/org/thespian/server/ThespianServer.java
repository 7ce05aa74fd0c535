package org.thespian.server;

import io.grpc.ChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionService;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.thespian.config.Config;
import org.thespian.engine.Dice;
import org.thespian.engine.Engine;
import org.thespian.engine.Scheduler;
import org.thespian.proto.ThespianGrpc;

/**
 * A running Thespian: the service on all interfaces, with the standard health service and server reflection
 * so grpcurl needs no proto file, behind the limits of {@link ServerLimits}.
 */
public final class ThespianServer {

    /** Clients may ping this often (peers of ours ping every {@link GrpcPeerCaller#KEEPALIVE}). */
    static final Duration PERMIT_KEEPALIVE = Duration.ofSeconds(5);
    /** Pings a connection that has been quiet this long, to find clients that vanished without closing. */
    static final Duration KEEPALIVE = Duration.ofMinutes(1);
    static final Duration KEEPALIVE_TIMEOUT = Duration.ofSeconds(20);
    /** Connections are renewed this often, so clients rebalance over new replicas ... */
    static final Duration MAX_CONNECTION_AGE = Duration.ofHours(1);
    /** ... and calls on a connection being renewed get this long to finish. */
    static final Duration MAX_CONNECTION_AGE_GRACE = Duration.ofMinutes(10);
    /**
     * RST_STREAM frames a connection may send per window before it gets GOAWAY (the HTTP/2 rapid-reset
     * attack): far above what a load test of short deadlines sends, far below what an attack needs.
     */
    static final int MAX_RESETS_PER_WINDOW = 10_000;
    static final int RESET_WINDOW_SECONDS = 10;
    /** Every request of ours is a few bytes; reflection's answers are the largest messages and go out. */
    static final int MAX_INBOUND_MESSAGE_BYTES = 1 << 20;
    static final int MAX_INBOUND_METADATA_BYTES = 64 << 10;

    private final Server server;
    private final HealthStatusManager health;
    private final Admission admission;
    private final HeapPressure heap;
    private final GrpcPeerCaller peers;
    private final Scheduler scheduler;
    private final AtomicBoolean stopping = new AtomicBoolean();

    private ThespianServer(Server server, HealthStatusManager health, Admission admission, HeapPressure heap,
            GrpcPeerCaller peers, Scheduler scheduler) {
        this.server = server;
        this.health = health;
        this.admission = admission;
        this.heap = heap;
        this.peers = peers;
        this.scheduler = scheduler;
    }

    /** Binds {@code port} and starts serving, with the default limits. */
    public static ThespianServer start(int port, Config config, Dice dice, ChannelCredentials peerTls,
            Instrumentation instrumentation) throws IOException {
        return start(port, config, dice, peerTls, instrumentation, ServerLimits.defaults());
    }

    /** Binds {@code port} and starts serving; nothing is left running if the port cannot be bound. */
    @SuppressWarnings("deprecation") // v1alpha reflection: older grpcurl releases only speak that one
    public static ThespianServer start(int port, Config config, Dice dice, ChannelCredentials peerTls,
            Instrumentation instrumentation, ServerLimits limits) throws IOException {
        Scheduler scheduler = Scheduler.start(limits.engine().cpuThreads());
        GrpcPeerCaller peers = new GrpcPeerCaller(peerTls, instrumentation.clientInterceptors(),
                limits.peerTimeout());
        Engine engine = new Engine(scheduler, peers, instrumentation.actionListener(), limits.engine());
        HealthStatusManager health = new HealthStatusManager();
        HeapPressure heap = HeapPressure.watch();
        Admission admission = new Admission(limits.maxInFlight(), heap);
        ThespianService service = new ThespianService(config, engine, dice);
        // Admission inside telemetry, so refused and cut-off calls are traced and logged like any other.
        List<ServerInterceptor> interceptors = new ArrayList<>();
        interceptors.add(admission);
        interceptors.addAll(instrumentation.serverInterceptors());
        // The engine never blocks, so RPCs run on the transport threads: several times the throughput of
        // handing each call to a pool.
        Server server = NettyServerBuilder.forPort(port, InsecureServerCredentials.create())
                .directExecutor()
                .handshakeTimeout(limits.handshakeTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .maxConnectionIdle(limits.maxConnectionIdle().toMillis(), TimeUnit.MILLISECONDS)
                .maxConnectionAge(MAX_CONNECTION_AGE.toSeconds(), TimeUnit.SECONDS)
                .maxConnectionAgeGrace(MAX_CONNECTION_AGE_GRACE.toSeconds(), TimeUnit.SECONDS)
                .keepAliveTime(KEEPALIVE.toSeconds(), TimeUnit.SECONDS)
                .keepAliveTimeout(KEEPALIVE_TIMEOUT.toSeconds(), TimeUnit.SECONDS)
                .permitKeepAliveTime(PERMIT_KEEPALIVE.toSeconds(), TimeUnit.SECONDS)
                .permitKeepAliveWithoutCalls(false)
                .maxConcurrentCallsPerConnection(maxCallsPerConnection(limits))
                .maxRstFramesPerWindow(MAX_RESETS_PER_WINDOW, RESET_WINDOW_SECONDS)
                .maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES)
                .maxInboundMetadataSize(MAX_INBOUND_METADATA_BYTES)
                .addService(ServerInterceptors.intercept(MalformedMessages.refusedIn(service.bindService()),
                        interceptors))
                .addService(MalformedMessages.refusedIn(health.getHealthService().bindService()))
                .addService(MalformedMessages.refusedIn(ProtoReflectionServiceV1.newInstance().bindService()))
                .addService(MalformedMessages.refusedIn(ProtoReflectionService.newInstance().bindService()))
                .build();
        try {
            server.start();
        } catch (IOException e) {
            heap.close();
            peers.close();
            scheduler.close();
            throw e;
        }
        peers.connect(config.peers());
        health.setStatus("", ServingStatus.SERVING);
        health.setStatus(ThespianGrpc.SERVICE_NAME, ServingStatus.SERVING);
        return new ThespianServer(server, health, admission, heap, peers, scheduler);
    }

    /**
     * Twice the in-flight limit: one connection can use the whole budget and still see, as RESOURCE_EXHAUSTED,
     * the calls it sends beyond it, rather than having them wait silently for HTTP/2 stream credit.
     */
    static int maxCallsPerConnection(ServerLimits limits) {
        return (int) Math.min(Integer.MAX_VALUE, 2L * limits.maxInFlight());
    }

    public int port() {
        return server.getPort();
    }

    /** Calls of thespian.Thespian running now. */
    public int inFlight() {
        return admission.inFlight();
    }

    /**
     * Reports NOT_SERVING while still taking calls, so that readiness probes steer traffic away before the
     * drain refuses any.
     */
    public void reportNotServing() {
        health.setStatus("", ServingStatus.NOT_SERVING);
        health.setStatus(ThespianGrpc.SERVICE_NAME, ServingStatus.NOT_SERVING);
    }

    /**
     * Stops gracefully: reports NOT_SERVING and refuses new calls with UNAVAILABLE, while health checks still
     * get answers; lets calls in flight finish within {@code grace}; cuts off what is left, saying so; then
     * closes every connection. Takes at most {@code grace} plus two seconds; only the first call does anything.
     */
    public void stop(Duration grace) throws InterruptedException {
        if (!stopping.compareAndSet(false, true)) {
            return;
        }
        reportNotServing();
        admission.startDraining();
        try {
            if (!admission.awaitNoneInFlight(grace)) {
                admission.cutOffAll("the shutdown grace of " + grace.toSeconds()
                        + " s (THESPIAN_SHUTDOWN_GRACE_SECONDS) ran out");
            }
            health.enterTerminalState();
            server.shutdown();
            if (!server.awaitTermination(1, TimeUnit.SECONDS)) {
                server.shutdownNow();
                server.awaitTermination(1, TimeUnit.SECONDS);
            }
        } finally {
            heap.close();
            peers.close();
            scheduler.close();
        }
    }
}
