package org.thespian.telemetry;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapPropagator;

/**
 * Puts the current trace context into every outgoing call, so the peer's spans join this trace. The span of
 * the call itself is the CallService action's span, current while the call starts.
 */
final class ClientPropagation implements ClientInterceptor {

    private final TextMapPropagator propagator;

    ClientPropagation(TextMapPropagator propagator) {
        this.propagator = propagator;
    }

    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        return new SimpleForwardingClientCall<>(next.newCall(method, options)) {
            @Override
            public void start(Listener<R> listener, Metadata headers) {
                propagator.inject(Context.current(), headers, MetadataCarrier.INSTANCE);
                super.start(listener, headers);
            }
        };
    }
}
