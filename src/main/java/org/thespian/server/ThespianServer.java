package org.thespian.server;

import io.grpc.ChannelCredentials;
import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.ProtoReflectionService;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.thespian.config.Config;
import org.thespian.config.ConfigSource.LoadedConfig;
import org.thespian.config.TextFile;
import org.thespian.engine.Dice;
import org.thespian.engine.Engine;
import org.thespian.engine.Scheduler;
import org.thespian.proto.ThespianGrpc;

/**
 * A running Thespian: the service on all interfaces, with the standard health service and server reflection
 * so grpcurl needs no proto file, behind the limits of {@link ServerLimits}; and, when asked for, the admin
 * service and a watch on CONFIG_FILE.
 */
public final class ThespianServer implements ServerGroup {

    /** Clients may ping this often (peers of ours ping every {@link PeerChannels#KEEPALIVE}). */
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
    static final int MAX_RESETS_PER_WINDOW = 100_000;
    static final int RESET_WINDOW_SECONDS = 10;
    /** Every request of ours is a few bytes; reflection's answers are the largest messages and go out. */
    static final int MAX_INBOUND_MESSAGE_BYTES = 1 << 20;
    static final int MAX_INBOUND_METADATA_BYTES = 64 << 10;
    /**
     * With the admin service, a message may carry a whole config (SetConfig, GetConfig): up to the size of a config
     * file, and room for the rest of the message. Both ends of an admin call allow this much.
     */
    public static final int MAX_ADMIN_MESSAGE_BYTES = TextFile.MAX_BYTES + (64 << 10);

    /**
     * The health service name that only the process's own life changes: a liveness probe asks for it, so a replica
     * made NOT_SERVING on purpose (SetHealth) or draining is taken out of rotation, not restarted.
     */
    public static final String LIVENESS_SERVICE = "thespian.liveness";

    /**
     * Admin calls in flight at once. A call holds its place until its answer has left, so a client that never reads
     * its answers holds at most this many configs in the server's buffers.
     */
    static final int MAX_ADMIN_IN_FLIGHT = 16;

    private final Server server;
    private final HealthControl health;
    private final Admission admission;
    private final Optional<ConfigWatcher> watcher;
    private final Optional<ProcessResources> ownResources;
    private final LiveConfig live;
    private final StandingFaults standingFaults;
    private final AtomicBoolean stopping = new AtomicBoolean();

    private ThespianServer(Server server, HealthControl health, Admission admission,
            Optional<ConfigWatcher> watcher, Optional<ProcessResources> ownResources, LiveConfig live,
            StandingFaults standingFaults) {
        this.server = server;
        this.health = health;
        this.admission = admission;
        this.watcher = watcher;
        this.ownResources = ownResources;
        this.live = live;
        this.standingFaults = standingFaults;
    }

    /** Binds {@code port} and starts serving, with the default limits. */
    public static ThespianServer start(int port, Config config, Dice dice, ChannelCredentials peerTls,
            Instrumentation instrumentation) throws IOException {
        return start(port, config, dice, peerTls, instrumentation, ServerLimits.defaults());
    }

    /** Binds {@code port} and starts serving {@code config} with the default {@link RuntimeOptions}. */
    public static ThespianServer start(int port, Config config, Dice dice, ChannelCredentials peerTls,
            Instrumentation instrumentation, ServerLimits limits) throws IOException {
        return start(port, new LoadedConfig(config, "in-process", "{}"), dice, peerTls, instrumentation, limits,
                RuntimeOptions.defaults(config.serviceName().orElse("thespian")));
    }

    /** Binds {@code port} and starts serving; nothing is left running if the port cannot be bound. */
    public static ThespianServer start(int port, LoadedConfig config, Dice dice, ChannelCredentials peerTls,
            Instrumentation instrumentation, ServerLimits limits, RuntimeOptions options) throws IOException {
        ProcessResources resources = ProcessResources.open(peerTls, instrumentation.clientInterceptors(), limits,
                PeerDirectory.AS_CONFIGURED);
        try {
            return start(new InetSocketAddress(port), config, dice, instrumentation, limits, options, resources,
                    Optional.of(resources));
        } catch (IOException e) {
            resources.close();
            throw e;
        }
    }

    /**
     * Starts one of several servers of this process (a cast's members) that share {@code resources}; stopping
     * this server leaves the resources open for the others.
     */
    public static ThespianServer start(int port, LoadedConfig config, Dice dice, Instrumentation instrumentation,
            ServerLimits limits, RuntimeOptions options, ProcessResources resources) throws IOException {
        return start(new InetSocketAddress(port), config, dice, instrumentation, limits, options, resources,
                Optional.empty());
    }

    /** A server built as every other, on a port of 127.0.0.1 the system picks: a {@link Rehearsal}'s. */
    static ThespianServer startOnLoopback(LoadedConfig config, Dice dice, Instrumentation instrumentation,
            ServerLimits limits, RuntimeOptions options, ProcessResources resources) throws IOException {
        return start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), config, dice, instrumentation, limits,
                options, resources, Optional.empty());
    }

    @SuppressWarnings("deprecation") // v1alpha reflection: older grpcurl releases only speak that one
    private static ThespianServer start(InetSocketAddress address, LoadedConfig config, Dice dice,
            Instrumentation instrumentation, ServerLimits limits, RuntimeOptions options, ProcessResources resources,
            Optional<ProcessResources> owned) throws IOException {
        RuntimeEvents events = instrumentation.runtimeEvents();
        Scheduler scheduler = resources.scheduler();
        GrpcPeerCaller peers = resources.peers();
        Engine engine = new Engine(scheduler, peers, instrumentation.actionListener(), limits.engine(),
                resources.actionsInFlight(), resources.budget().share(limits.engine(), events::backgroundCallDropped));
        HealthControl health = new HealthControl(events);
        // This server's key among those sharing the peer channels: a config change retires only channels that
        // no member of the process still names.
        Object peerUser = new Object();
        LiveConfig live = new LiveConfig(config, options.serviceName(), revision -> {
            peers.use(peerUser, revision.config().peers());
            engine.declareResources(revision.config().resources().values());
            engine.declareBreakersAndLimits(revision.config());
            events.configChanged(revision.number(), revision.origin());
        });
        CallStats stats = new CallStats();
        ThespianGrpc.getServiceDescriptor().getMethods().forEach(method -> stats.track(method.getFullMethodName()));
        AdaptiveLimit newWork = new AdaptiveLimit(limits.maxInFlight(), limits.overloadLag());
        RequestArrival arrival = resources.requestArrival();
        Admission admission = new Admission(limits.maxInFlight(), newWork, resources.heap(), stats, arrival);
        admission.followLag(resources.lag());
        ThespianService service = new ThespianService(live, engine, dice,
                new FaultPlan.Target(options.serviceName(), options.instanceId()),
                new FaultInjector(scheduler, instrumentation.actionListener(), events), events);
        // Telemetry's interceptors come nearly last, so they run nearly first: refused, cut-off and hop-limited calls
        // are traced and logged like any other, and counted in the admin service's stats. Only load shed while the
        // process runs behind passes by them: tracing and logging each call would cost what shedding saves.
        List<ServerInterceptor> interceptors = new ArrayList<>();
        interceptors.add(new RequestMetadataInterceptor(options.maxHops(), options.faultHeaders(),
                limits.engine().maxActionsPerTrace(), resources.standingFaults()));
        interceptors.add(admission); // also the request arrival bound and the connection's share, one wrapper for all
        interceptors.addAll(instrumentation.serverInterceptors());
        interceptors.add(admission.shedding(events)); // outermost: a shed call is neither traced nor logged
        Connections connections = resources.connections();
        // The engine never blocks, so RPCs run on the transport threads: several times the throughput of
        // handing each call to a pool. Plaintext, as the connection cap's negotiator is gRPC's plaintext one.
        NettyServerBuilder builder = resources.transport().serve(NettyServerBuilder.forAddress(address))
                .protocolNegotiator(connections.negotiator())
                .addTransportFilter(connections)
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
                .maxInboundMessageSize(options.admin() ? MAX_ADMIN_MESSAGE_BYTES : MAX_INBOUND_MESSAGE_BYTES)
                .maxInboundMetadataSize(MAX_INBOUND_METADATA_BYTES)
                .addService(ServerInterceptors.intercept(MalformedMessages.refusedIn(service.bindService()),
                        interceptors))
                .addService(ServerInterceptors.intercept(
                        MalformedMessages.refusedIn(health.manager().getHealthService().bindService()), arrival))
                .addService(ServerInterceptors.intercept(
                        MalformedMessages.refusedIn(ProtoReflectionServiceV1.newInstance().bindService()), arrival))
                .addService(ServerInterceptors.intercept(
                        MalformedMessages.refusedIn(ProtoReflectionService.newInstance().bindService()), arrival));
        if (options.admin()) {
            builder.addService(adminService(options, live, health, stats, resources.standingFaults(),
                    instrumentation, arrival));
        }
        Server server = builder.build();
        Optional<ConfigWatcher> watcher = Optional.empty();
        try {
            server.start();
            if (options.watchedFile().isPresent()) {
                watcher = Optional.of(ConfigWatcher.start(options.watchedFile().get(), live, events));
            }
        } catch (IOException e) {
            server.shutdownNow();
            admission.stopFollowingLag();
            throw e;
        }
        peers.use(peerUser, config.config().peers());
        health.set(ServingStatus.SERVING);
        events.configChanged(1, config.origin());
        return new ThespianServer(server, health, admission, watcher, owned, live,
                resources.standingFaults());
    }

    /**
     * The admin service behind the token check (if there is a token), inside telemetry; admitted like
     * thespian.Thespian's calls, under a limit of its own (its answers can be a whole config each).
     */
    private static ServerServiceDefinition adminService(RuntimeOptions options, LiveConfig live,
            HealthControl health, CallStats stats, StandingFaults faults, Instrumentation instrumentation,
            RequestArrival arrival) {
        List<ServerInterceptor> interceptors = new ArrayList<>();
        interceptors.add(arrival);
        // A call past its connection's share is refused before it takes one of the server's places.
        interceptors.add(CallQuota.perServer(MAX_ADMIN_IN_FLIGHT, "admin calls"));
        interceptors.add(CallQuota.perConnection(MAX_ADMIN_IN_FLIGHT, "the admin calls allowed at once",
                Connection::adminCalls));
        options.adminToken().ifPresent(token -> interceptors.add(new AdminAuthentication(token)));
        interceptors.addAll(instrumentation.serverInterceptors());
        return ServerInterceptors.intercept(MalformedMessages.refusedIn(
                new AdminService(live, health, stats, faults, instrumentation.runtimeEvents()).bindService()),
                interceptors);
    }

    /**
     * Twice the in-flight limit: one connection can use its whole share of the budget and still see, as
     * RESOURCE_EXHAUSTED, the calls it sends beyond it, rather than having them wait silently for HTTP/2 stream
     * credit.
     */
    static int maxCallsPerConnection(ServerLimits limits) {
        return (int) Math.min(Integer.MAX_VALUE, 2L * limits.maxInFlight());
    }

    public int port() {
        return server.getPort();
    }

    /** The config new calls run, as GetConfig shows it. */
    public LiveConfig.Revision runningConfig() {
        return live.current();
    }

    /** The standing fault plan this server applies to calls from clients (shared with a cast's other members). */
    @Override
    public StandingFaults standingFaults() {
        return standingFaults;
    }

    /** Calls of thespian.Thespian running now. */
    @Override
    public int inFlight() {
        return admission.inFlight();
    }

    /**
     * Begins the shutdown: reports NOT_SERVING while still taking calls, so that readiness probes steer traffic
     * away before the drain refuses any; from now on SetHealth cannot report SERVING again.
     */
    @Override
    public void reportNotServing() {
        health.startShutdown();
    }

    /**
     * Stops gracefully: reports NOT_SERVING and refuses new calls with UNAVAILABLE, while health checks still
     * get answers; lets calls in flight finish within {@code grace}; cuts off what is left, saying so; then
     * closes every connection. Takes at most {@code grace} plus two seconds; only the first call does anything.
     */
    @Override
    public void stop(Duration grace) throws InterruptedException {
        if (!stopping.compareAndSet(false, true)) {
            return;
        }
        reportNotServing();
        watcher.ifPresent(ConfigWatcher::close);
        admission.startDraining();
        try {
            // Cut off even when none is left: that also ends a call admitted just before the drain began.
            admission.cutOffAll(admission.awaitNoneInFlight(grace) ? "the server is shutting down"
                    : "the shutdown grace of " + grace.toSeconds() + " s (THESPIAN_SHUTDOWN_GRACE_SECONDS) ran out");
            health.enterTerminalState();
            server.shutdown();
            if (!server.awaitTermination(1, TimeUnit.SECONDS)) {
                server.shutdownNow();
                server.awaitTermination(1, TimeUnit.SECONDS);
            }
        } finally {
            admission.stopFollowingLag();
            ownResources.ifPresent(ProcessResources::close);
        }
    }
}
