package org.thespian.server;

import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.InputStream;

/**
 * A request that does not parse is the caller's mistake: INVALID_ARGUMENT, and no stack trace. (gRPC parses
 * before the service sees anything, and reports a failed parse as UNKNOWN "Application error" with a logged
 * stack trace per message, which a hostile client turns into a log flood.) Each method's request marshaller is
 * wrapped so that a failed parse becomes a value the call's listener answers; responses keep their own
 * marshaller, so an answer costs no extra copy.
 */
final class MalformedMessages {

    private MalformedMessages() {
    }

    static ServerServiceDefinition refusedIn(ServerServiceDefinition service) {
        ServiceDescriptor original = service.getServiceDescriptor();
        ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(original.getName())
                .setSchemaDescriptor(original.getSchemaDescriptor());
        var guardedMethods = service.getMethods().stream().map(MalformedMessages::guarded).toList();
        guardedMethods.forEach(method -> descriptor.addMethod(method.getMethodDescriptor()));
        ServerServiceDefinition.Builder guarded = ServerServiceDefinition.builder(descriptor.build());
        guardedMethods.forEach(guarded::addMethod);
        return guarded.build();
    }

    private static <Q, R> ServerMethodDefinition<Parsed<Q>, R> guarded(ServerMethodDefinition<Q, R> method) {
        MethodDescriptor<Q, R> descriptor = method.getMethodDescriptor();
        MethodDescriptor<Parsed<Q>, R> guarded = descriptor
                .toBuilder(new GuardedMarshaller<>(descriptor.getRequestMarshaller()), descriptor.getResponseMarshaller())
                .build();
        return ServerMethodDefinition.create(guarded, new GuardedHandler<>(method.getServerCallHandler()));
    }

    /** A request as it came off the wire: its message, or why it is not one. */
    private record Parsed<Q>(Q message, String problem) {
    }

    private record GuardedMarshaller<Q>(MethodDescriptor.Marshaller<Q> original)
            implements MethodDescriptor.Marshaller<Parsed<Q>> {

        @Override
        public InputStream stream(Parsed<Q> value) {
            return original.stream(value.message());
        }

        @Override
        public Parsed<Q> parse(InputStream stream) {
            try {
                return new Parsed<>(original.parse(stream), null);
            } catch (StatusRuntimeException unparsable) {
                return new Parsed<>(null, unparsable.getStatus().getDescription());
            }
        }
    }

    private record GuardedHandler<Q, R>(ServerCallHandler<Q, R> original) implements ServerCallHandler<Parsed<Q>, R> {

        @Override
        @SuppressWarnings("unchecked")
        public ServerCall.Listener<Parsed<Q>> startCall(ServerCall<Parsed<Q>, R> call, Metadata headers) {
            // A ServerCall uses its request type only in getMethodDescriptor(), which the service's generated
            // handler reads for the call's kind alone; handing the same call on saves a forwarding layer per call.
            ServerCall.Listener<Q> listener = original.startCall((ServerCall<Q, R>) (ServerCall<?, ?>) call, headers);
            return new Listener<>(call, listener);
        }
    }

    private static final class Listener<Q> extends ServerCall.Listener<Parsed<Q>> {
        private final ServerCall<?, ?> call;
        private final ServerCall.Listener<Q> delegate;
        private boolean refused;

        Listener(ServerCall<?, ?> call, ServerCall.Listener<Q> delegate) {
            this.call = call;
            this.delegate = delegate;
        }

        @Override
        public void onMessage(Parsed<Q> request) {
            if (refused) {
                return;
            }
            if (request.problem() != null) {
                refused = true;
                call.close(Status.INVALID_ARGUMENT.withDescription("the request message is not a valid "
                        + call.getMethodDescriptor().getFullMethodName() + " request: " + request.problem()),
                        new Metadata());
                return;
            }
            delegate.onMessage(request.message());
        }

        @Override
        public void onHalfClose() {
            if (!refused) {
                delegate.onHalfClose();
            }
        }

        @Override
        public void onReady() {
            if (!refused) {
                delegate.onReady();
            }
        }

        @Override
        public void onCancel() {
            delegate.onCancel();
        }

        @Override
        public void onComplete() {
            delegate.onComplete();
        }
    }
}
