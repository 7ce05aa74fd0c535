package org.thespian.server;

import io.grpc.ChannelCredentials;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ConnectivityState;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.CallOptions;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.util.List;
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

    private final ChannelCredentials tls;
    private final List<ClientInterceptor> interceptors;
    private final UnaryOperator<Peer> directory;
    private final ConcurrentHashMap<Peer, ManagedChannel> channels = new ConcurrentHashMap<>();

    /** @param tls the credentials for {@code https://} peers */
    public GrpcPeerCaller(ChannelCredentials tls, List<ClientInterceptor> interceptors) {
        this(tls, interceptors, UnaryOperator.identity());
    }

    /**
     * @param directory where a configured peer really is, e.g. {@code http://checkout:6379} at a loopback port
     *                  when the whole cast runs in one process
     */
    public GrpcPeerCaller(ChannelCredentials tls, List<ClientInterceptor> interceptors, UnaryOperator<Peer> directory) {
        this.tls = tls;
        this.interceptors = List.copyOf(interceptors);
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
        if (execution.deadlineNanos().isPresent()) {
            long remaining = execution.deadlineNanos().getAsLong() - System.nanoTime();
            options = options.withDeadlineAfter(remaining, TimeUnit.NANOSECONDS);
        }
        ClientCall<Nothing, Nothing> call = channel.newCall(descriptor(action.method()), options);
        CompletableFuture<Void> done = new CompletableFuture<>();
        ClientCalls.asyncUnaryCall(call, NOTHING, new StreamObserver<>() {
            @Override
            public void onNext(Nothing value) {
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(PeerFailures.of(action, Status.fromThrowable(error),
                        Status.trailersFromThrowable(error)));
            }

            @Override
            public void onCompleted() {
                done.complete(null);
            }
        });
        Runnable unregister = execution.onCancel(() -> call.cancel("the caller went away", null));
        done.whenComplete((ignored, error) -> unregister.run());
        return done;
    }

    /**
     * The peer's channel, once it is worth calling. A channel that failed to connect waits a backoff (growing
     * to two minutes) before trying again, and fails calls at once meanwhile; but the peer may be back (a
     * container that started later, a restarted pod). So such a channel retries now, and the call waits for
     * that one attempt, at most {@link #RECONNECT_WAIT_MS}, instead of failing on stale news.
     */
    private CompletableFuture<ManagedChannel> connected(Peer peer) {
        ManagedChannel channel = channels.computeIfAbsent(peer, this::open);
        if (channel.getState(false) != ConnectivityState.TRANSIENT_FAILURE) {
            return CompletableFuture.completedFuture(channel);
        }
        CompletableFuture<ManagedChannel> attempted = new CompletableFuture<>();
        channel.notifyWhenStateChanged(ConnectivityState.TRANSIENT_FAILURE, () -> channel.notifyWhenStateChanged(
                ConnectivityState.CONNECTING, () -> attempted.complete(channel)));
        channel.resetConnectBackoff();
        return attempted.completeOnTimeout(channel, RECONNECT_WAIT_MS, TimeUnit.MILLISECONDS);
    }

    /**
     * Starts connecting to {@code peers} now, so the first request does not pay for connection setup and
     * class loading inside a concurrent group, where it would delay its siblings' start.
     */
    void connect(Set<Peer> peers) {
        peers.forEach(peer -> channels.computeIfAbsent(peer, this::open).getState(true));
    }

    private ManagedChannel open(Peer configured) {
        Peer peer = directory.apply(configured);
        ChannelCredentials credentials = peer.tls() ? tls : InsecureChannelCredentials.create();
        return Grpc.newChannelBuilderForAddress(peer.host(), peer.port(), credentials)
                .intercept(interceptors)
                .directExecutor()
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
