package org.thespian.server;

import io.grpc.ChannelCredentials;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.CallOptions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;
import org.thespian.config.Action.CallService;
import org.thespian.config.Method;
import org.thespian.config.Peer;
import org.thespian.engine.Execution;
import org.thespian.engine.PeerCaller;
import org.thespian.engine.Scheduler;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;

/**
 * Starts peer calls: each on its peer's leased channel ({@link PeerChannels}), with the request's deadline (or
 * the action's {@code timeout_ms}, or THESPIAN_PEER_TIMEOUT) and cancellation, carrying on what the request
 * carries ({@link RequestMetadata}, read from its {@link Execution}), and its outcome classified by
 * {@link PeerFailures}. A peer that cannot be reached fails the call at once with what the connection said;
 * no call waits for a reconnect.
 */
public final class GrpcPeerCaller implements PeerCaller, AutoCloseable {

    private static final Nothing NOTHING = Nothing.getDefaultInstance();

    private static final CompletableFuture<Void> READY = CompletableFuture.completedFuture(null);

    private final Duration defaultTimeout;
    private final Scheduler scheduler;
    private final PeerChannels channels;

    /**
     * @param tls            the credentials for {@code https://} peers
     * @param defaultTimeout the deadline of a call whose request came without one (THESPIAN_PEER_TIMEOUT)
     */
    public GrpcPeerCaller(ChannelCredentials tls, List<ClientInterceptor> interceptors, Duration defaultTimeout,
            Scheduler scheduler) {
        this(tls, interceptors, defaultTimeout, PeerDirectory.AS_CONFIGURED, scheduler);
    }

    /** With grpc's own event loops for the channels. */
    public GrpcPeerCaller(ChannelCredentials tls, List<ClientInterceptor> interceptors, Duration defaultTimeout,
            PeerDirectory directory, Scheduler scheduler) {
        this(tls, interceptors, defaultTimeout, directory, scheduler, UnaryOperator.identity());
    }

    /**
     * @param directory where a configured peer really is (see {@link PeerChannels})
     * @param scheduler where a call that waits for a connect attempt goes on
     * @param loops     puts a channel on the event loops it runs on ({@link TransportThreads#carry})
     */
    GrpcPeerCaller(ChannelCredentials tls, List<ClientInterceptor> interceptors, Duration defaultTimeout,
            PeerDirectory directory, Scheduler scheduler, UnaryOperator<ManagedChannelBuilder<?>> loops) {
        this.defaultTimeout = defaultTimeout;
        this.scheduler = scheduler;
        this.channels = new PeerChannels(tls, interceptors, directory, scheduler, loops);
    }

    /**
     * Ready at once, unless this call made the peer's failing channel try again: then once that attempt is
     * through, at most a quarter of the call's deadline, so even a short deadline leaves the call time to say
     * what the connection said.
     */
    @Override
    public CompletableFuture<Void> ready(CallService action, Execution execution) {
        Optional<CompletableFuture<Void>> attempt = channels.tryAgainIfFailing(action.peer());
        if (attempt.isEmpty()) {
            return READY;
        }
        long wait = Math.max(0, Math.min(PeerChannels.LONGEST_WAIT_FOR_ATTEMPT.toNanos(),
                CallDeadline.of(action, execution, defaultTimeout).nanosFromNow() / 4));
        CompletableFuture<Void> waited = scheduler.delay(wait, execution, action);
        attempt.get().thenRun(() -> scheduler.continuations().execute(() -> waited.complete(null)));
        return waited;
    }

    /**
     * Starts the call unless the request is already cancelled. Cancellation is hooked up only once the call
     * has started (a call cancelled before its start cannot be started), and a cancel that lands between the
     * check and the start still reaches the call, since the hook runs at once on a cancelled request.
     */
    @Override
    public CompletableFuture<Void> call(CallService action, Execution execution) {
        if (execution.isCancelled()) {
            return CompletableFuture.failedFuture(execution.cancellationOf(action));
        }
        CallDeadline deadline = CallDeadline.of(action, execution, defaultTimeout);
        PeerChannels.PeerChannel channel = channels.lease(action.peer());
        CompletableFuture<Void> done = new CompletableFuture<>();
        ClientCall<Nothing, Nothing> call;
        try {
            call = newCall(channel.channel(), action, deadline.options());
            Metadata headers = new Metadata();
            if (!action.policy().waitForAnswer()) {
                headers.put(CallHeaders.FIRE_AND_FORGET, "true");
            }
            RequestMetadata request = RequestMetadata.of(execution);
            long lent = request.forwardTo(headers);
            call.start(new ClientCall.Listener<>() {
                @Override
                public void onClose(Status status, Metadata trailers) {
                    request.settle(lent, trailers);
                    channel.release();
                    if (status.getCode() == Status.Code.DEADLINE_EXCEEDED && deadline.isCallers()
                            && CallDeadline.callersPassed(execution)) {
                        execution.cancel(CallDeadline.CALLERS_DEADLINE_PASSED); // the request is over, not just this call
                    }
                    if (status.isOk()) {
                        done.complete(null);
                    } else {
                        done.completeExceptionally(PeerFailures.of(action, status, trailers, deadline, execution));
                    }
                }
            }, headers);
        } catch (RuntimeException | Error e) {
            channel.release();
            throw e;
        }
        call.request(1);
        call.sendMessage(NOTHING);
        call.halfClose();
        Runnable unregister = execution.onCancel(() -> call.cancel(execution.cancelledBecause(), null));
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

    /** Records that {@code user} (one server of this process) calls {@code peers} from now on. */
    void use(Object user, Set<Peer> peers) {
        channels.use(user, peers);
    }

    /** Connects to every named peer now, waiting at most {@code wait} (see {@link PeerChannels#connectAll}). */
    void connectAll(Duration wait) throws InterruptedException {
        channels.connectAll(wait);
    }

    /** The peers some config of this process names. */
    Set<Peer> connectedPeers() {
        return channels.namedPeers();
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
        channels.close();
    }
}
