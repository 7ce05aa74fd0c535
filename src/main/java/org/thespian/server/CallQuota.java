package org.thespian.server;

import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Admits a call while fewer than {@code limit} calls of the same count are in flight, else refuses it at once with
 * RESOURCE_EXHAUSTED naming the limit; the call's place is given back when it ends. What a call counts against is
 * the quota's choice: one count for the whole server, or one per connection.
 */
final class CallQuota implements ServerInterceptor {

    private static final ServerCall.Listener<Object> NOTHING_TO_HEAR = new ServerCall.Listener<>() {
    };

    private final int limit;
    private final Function<ServerCall<?, ?>, AtomicInteger> countOf;
    private final Status refusal;

    private CallQuota(int limit, Function<ServerCall<?, ?>, AtomicInteger> countOf, String refusal) {
        this.limit = limit;
        this.countOf = countOf;
        this.refusal = Status.RESOURCE_EXHAUSTED.withDescription(refusal + "; try again later");
    }

    /** {@code limit} calls at once on the whole server, described as {@code calls} (e.g. "admin calls"). */
    static CallQuota perServer(int limit, String calls) {
        AtomicInteger inFlight = new AtomicInteger();
        return new CallQuota(limit, call -> inFlight, limit + " " + calls + " are in flight, the most allowed at once");
    }

    /**
     * One connection's share ({@link ServerLimits#connectionShare}) of a budget of {@code budget} calls named
     * {@code budgetName}, counted in the connection by {@code count}; calls without a tracked connection pass.
     */
    static CallQuota perConnection(int budget, String budgetName, Function<Connection, AtomicInteger> count) {
        return new CallQuota(ServerLimits.connectionShare(budget), call -> {
            Connection connection = call.getAttributes().get(Connections.KEY);
            return connection == null ? null : count.apply(connection);
        }, shareText(budget, budgetName));
    }

    /** The refusal of a call past its connection's share of {@code budget} calls named {@code budgetName}. */
    static Status connectionShareRefusal(int budget, String budgetName) {
        return Status.RESOURCE_EXHAUSTED.withDescription(shareText(budget, budgetName) + "; try again later");
    }

    private static String shareText(int budget, String budgetName) {
        return ServerLimits.connectionShare(budget) + " calls of this connection are in flight, its share of "
                + budgetName + " (" + budget + "); other connections still get the rest";
    }

    @Override
    @SuppressWarnings("unchecked")
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        AtomicInteger inFlight = countOf.apply(call);
        if (inFlight == null) {
            return next.startCall(call, headers);
        }
        if (inFlight.incrementAndGet() > limit) {
            inFlight.decrementAndGet();
            call.close(refusal, new Metadata());
            return (ServerCall.Listener<Q>) NOTHING_TO_HEAR;
        }
        ServerCall.Listener<Q> listener;
        try {
            listener = next.startCall(call, headers);
        } catch (RuntimeException | Error e) {
            inFlight.decrementAndGet();
            throw e;
        }
        // gRPC ends every call with exactly one of the two.
        return new SimpleForwardingServerCallListener<>(listener) {
            @Override
            public void onCancel() {
                try {
                    super.onCancel();
                } finally {
                    inFlight.decrementAndGet();
                }
            }

            @Override
            public void onComplete() {
                try {
                    super.onComplete();
                } finally {
                    inFlight.decrementAndGet();
                }
            }
        };
    }
}
