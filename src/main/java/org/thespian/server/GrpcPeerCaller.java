package org.thespian.server;

import io.grpc.ChannelCredentials;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ConnectivityState;
import io.grpc.Context;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.CallOptions;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.thespian.config.Action.CallService;
import org.thespian.config.Method;
import org.thespian.config.Peer;
import org.thespian.engine.ActionFailure;
import org.thespian.engine.Execution;
import org.thespian.engine.PeerCaller;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;

/**
 * Calls peers over one long-lived channel per address (the original dialled anew for every call). The
 * caller's deadline and cancellation travel with each call.
 */
public final class GrpcPeerCaller implements PeerCaller, AutoCloseable {

    private static final Nothing NOTHING = Nothing.getDefaultInstance();
    private static final long RECONNECT_WAIT_MS = 1000;
    /**
     * While calls are open, a peer is pinged this often (gRPC's minimum) and given {@link #KEEPALIVE_TIMEOUT}
     * to answer: a hung peer (SIGSTOPped, a dead host behind a live route) fails its calls within seconds.
     */
    static final Duration KEEPALIVE = Duration.ofSeconds(10);
    static final Duration KEEPALIVE_TIMEOUT = Duration.ofSeconds(5);

    private final ChannelCredentials tls;
    private final List<ClientInterceptor> interceptors;
    private final Duration defaultTimeout;
    private final UnaryOperator<Peer> directory;
    private final ConcurrentHashMap<Peer, ManagedChannel> channels = new ConcurrentHashMap<>();
    private final Map<Object, Set<Peer>> namedBy = new HashMap<>();

    /**
     * @param tls            the credentials for {@code https://} peers
     * @param defaultTimeout the deadline of a call whose request came without one (THESPIAN_PEER_TIMEOUT)
     */
    public GrpcPeerCaller(ChannelCredentials tls, List<ClientInterceptor> interceptors, Duration defaultTimeout) {
        this(tls, interceptors, defaultTimeout, UnaryOperator.identity());
    }

    /**
     * @param directory where a configured peer really is, e.g. {@code http://checkout:6379} at a loopback port
     *                  when the whole cast runs in one process
     */
    public GrpcPeerCaller(ChannelCredentials tls, List<ClientInterceptor> interceptors, Duration defaultTimeout,
            UnaryOperator<Peer> directory) {
        this.tls = tls;
        this.interceptors = List.copyOf(interceptors);
        this.defaultTimeout = defaultTimeout;
        this.directory = directory;
    }

    @Override
    public CompletableFuture<Void> call(CallService action, Execution execution, Executor withinAction) {
        CompletableFuture<ManagedChannel> connected = connected(action.peer());
        return connected.isDone()
                ? call(connected.join(), action, execution)
                : connected.thenComposeAsync(channel -> call(channel, action, execution), withinAction);
    }

    /**
     * Starts the call unless the request is already cancelled. Cancellation is hooked up only once the call
     * has started (a call cancelled before its start cannot be started), and a cancel that lands between the
     * check and the start still reaches the call, since the hook runs at once on a cancelled request.
     */
    private CompletableFuture<Void> call(ManagedChannel channel, CallService action, Execution execution) {
        if (execution.isCancelled()) {
            return CompletableFuture.failedFuture(ActionFailure.cancelled(action));
        }
        CallOptions options = CallOptions.DEFAULT;
        OptionalLong deadline = execution.deadlineNanos();
        OptionalLong timeoutMs = action.policy().timeoutMs();
        long timeoutDeadline = timeoutMs.isPresent()
                ? System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs.getAsLong()) : Long.MAX_VALUE;
        boolean byTimeout = timeoutMs.isPresent()
                && (deadline.isEmpty() || timeoutDeadline - deadline.getAsLong() < 0);
        if (byTimeout) {
            deadline = OptionalLong.of(timeoutDeadline);
        }
        long remaining = deadline.isPresent() ? deadline.getAsLong() - System.nanoTime() : defaultTimeout.toNanos();
        options = options.withDeadlineAfter(remaining, TimeUnit.NANOSECONDS);
        String missed = byTimeout ? "within timeout_ms " + timeoutMs.getAsLong()
                : deadline.isPresent() ? "before the deadline"
                : "within THESPIAN_PEER_TIMEOUT (" + defaultTimeout.toMillis() + " ms; the request came without a deadline)";
        Metadata headers = new Metadata();
        if (!action.policy().waitForAnswer()) {
            headers.put(CallHeaders.FIRE_AND_FORGET, "true");
        }
        ClientCall<Nothing, Nothing> call = newCall(channel, action, options);
        CompletableFuture<Void> done = new CompletableFuture<>();
        call.start(new ClientCall.Listener<>() {
            @Override
            public void onClose(Status status, Metadata trailers) {
                if (status.isOk()) {
                    done.complete(null);
                } else {
                    done.completeExceptionally(PeerFailures.of(action, status, trailers, missed));
                }
            }
        }, headers);
        call.request(1);
        call.sendMessage(NOTHING);
        call.halfClose();
        Runnable unregister = execution.onCancel(() -> call.cancel("the caller went away", null));
        done.whenComplete((ignored, error) -> unregister.run());
        return done;
    }

    /**
     * A gRPC call is cancelled with the request context current at its creation, and that context is cancelled
     * once the incoming request is answered: a call not waited for is created under a fork of it, which the
     * request's end does not reach, so the callee's work is not cut short as soon as the caller moves on.
     */
    private static ClientCall<Nothing, Nothing> newCall(ManagedChannel channel, CallService action,
            CallOptions options) {
        if (action.policy().waitForAnswer()) {
            return channel.newCall(descriptor(action.method()), options);
        }
        Context outlivingTheRequest = Context.current().fork();
        Context previous = outlivingTheRequest.attach();
        try {
            return channel.newCall(descriptor(action.method()), options);
        } finally {
            outlivingTheRequest.detach(previous);
        }
    }

    /**
     * The peer's channel, once it is worth calling. A channel that failed to connect waits a backoff (growing
     * to two minutes) before trying again, and fails calls at once meanwhile; but the peer may be back (a
     * container that started later, a restarted pod). So such a channel retries now, and the call waits for
     * that one attempt, at most {@link #RECONNECT_WAIT_MS}, instead of failing on stale news.
     */
    private CompletableFuture<ManagedChannel> connected(Peer peer) {
        ManagedChannel channel = channel(peer);
        if (channel.getState(false) != ConnectivityState.TRANSIENT_FAILURE) {
            return CompletableFuture.completedFuture(channel);
        }
        CompletableFuture<ManagedChannel> attempted = new CompletableFuture<>();
        channel.notifyWhenStateChanged(ConnectivityState.TRANSIENT_FAILURE, () -> channel.notifyWhenStateChanged(
                ConnectivityState.CONNECTING, () -> attempted.complete(channel)));
        channel.resetConnectBackoff();
        return attempted.completeOnTimeout(channel, RECONNECT_WAIT_MS, TimeUnit.MILLISECONDS);
    }

    /** A channel a config change retired a moment ago takes no new calls: such a call opens a fresh one. */
    private ManagedChannel channel(Peer peer) {
        ManagedChannel channel = channels.computeIfAbsent(peer, this::open);
        while (channel.isShutdown()) {
            channels.remove(peer, channel);
            channel = channels.computeIfAbsent(peer, this::open);
        }
        return channel;
    }

    /**
     * Records that {@code user} (one server of this process: a cast has many) calls {@code peers} from now on.
     * Connects to them now, so the first request does not pay for connection setup and class loading inside a
     * concurrent group, where it would delay its siblings' start. Channels that no user names any more (after a
     * config change) stop taking new calls and close once the calls still on them have finished.
     */
    synchronized void use(Object user, Set<Peer> peers) {
        namedBy.put(user, Set.copyOf(peers));
        Set<Peer> named = new HashSet<>();
        namedBy.values().forEach(named::addAll);
        for (Peer peer : channels.keySet()) {
            ManagedChannel retired = named.contains(peer) ? null : channels.remove(peer);
            if (retired != null) {
                retired.shutdown();
            }
        }
        peers.forEach(peer -> channels.computeIfAbsent(peer, this::open).getState(true));
    }

    /** The peers this caller has a channel to. */
    Set<Peer> connectedPeers() {
        return Set.copyOf(channels.keySet());
    }

    private ManagedChannel open(Peer configured) {
        Peer peer = directory.apply(configured);
        ChannelCredentials credentials = peer.tls() ? tls : InsecureChannelCredentials.create();
        return Grpc.newChannelBuilderForAddress(peer.host(), peer.port(), credentials)
                .intercept(interceptors)
                .directExecutor()
                .keepAliveTime(KEEPALIVE.toSeconds(), TimeUnit.SECONDS)
                .keepAliveTimeout(KEEPALIVE_TIMEOUT.toSeconds(), TimeUnit.SECONDS)
                .build();
    }

    private static MethodDescriptor<Nothing, Nothing> descriptor(Method method) {
        return switch (method) {
            case A -> ThespianGrpc.getAMethod();
            case B -> ThespianGrpc.getBMethod();
            case C -> ThespianGrpc.getCMethod();
        };
    }

    @Override
    public void close() {
        channels.values().forEach(ManagedChannel::shutdownNow);
    }
}
