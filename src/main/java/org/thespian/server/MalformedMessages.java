package org.thespian.server;

import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * A request that does not parse is the caller's mistake: INVALID_ARGUMENT, and no stack trace. (gRPC parses
 * before the service sees anything, and reports a failed parse as UNKNOWN "Application error" with a logged
 * stack trace per message, which a hostile client turns into a log flood.) The service is re-plumbed to
 * receive raw bytes and parse them inside its listener, where the failure can be caught and answered.
 */
final class MalformedMessages implements ServerInterceptor {

    private static final MalformedMessages INSTANCE = new MalformedMessages();

    private MalformedMessages() {
    }

    static ServerServiceDefinition refusedIn(ServerServiceDefinition service) {
        return ServerInterceptors.intercept(ServerInterceptors.useInputStreamMessages(service), INSTANCE);
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        return new SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
            private boolean refused;

            @Override
            public void onMessage(Q message) {
                if (refused) {
                    return;
                }
                try {
                    super.onMessage(message);
                } catch (StatusRuntimeException unparsable) {
                    refused = true;
                    call.close(Status.INVALID_ARGUMENT.withDescription("the request message is not a valid "
                            + call.getMethodDescriptor().getFullMethodName() + " request: "
                            + unparsable.getStatus().getDescription()), new Metadata());
                }
            }

            @Override
            public void onHalfClose() {
                if (!refused) {
                    super.onHalfClose();
                }
            }

            @Override
            public void onReady() {
                if (!refused) {
                    super.onReady();
                }
            }
        };
    }
}
