package org.thespian.server;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.ForwardingClientCallListener.SimpleForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import org.thespian.engine.TraceBudget;

/**
 * Puts the current request's hop count (plus one) and fault header on every call to a peer, and lends the
 * callee part of the request's trace budget ({@code thespian-budget}), settled from the callee's answer as
 * {@link TraceBudget} says: the callee's trailer tells what it did not spend.
 */
final class RequestMetadataForwarding implements ClientInterceptor {

    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        RequestMetadata request = RequestMetadata.current();
        return new SimpleForwardingClientCall<>(next.newCall(method, options)) {
            @Override
            public void start(Listener<R> listener, Metadata headers) {
                request.forwardTo(headers);
                if (request.budget().isEmpty()) {
                    super.start(listener, headers);
                    return;
                }
                TraceBudget budget = request.budget().get();
                long lent = budget.lend();
                headers.put(RequestMetadata.BUDGET_HEADER, Long.toString(lent));
                super.start(new SimpleForwardingClientCallListener<>(listener) {
                    @Override
                    public void onClose(Status status, Metadata trailers) {
                        String unspent = trailers == null ? null : trailers.get(RequestMetadata.BUDGET_HEADER);
                        long returned = unspent == null ? -1 : RequestMetadata.wholeNumber(unspent, 18);
                        // Without the callee's account, only the call's own unit is spent.
                        budget.settle(lent, returned < 0 ? lent : returned);
                        super.onClose(status, trailers);
                    }
                }, headers);
            }
        };
    }
}
