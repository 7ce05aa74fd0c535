package org.thespian.server;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/** Lets an admin call through only with {@code authorization: Bearer <THESPIAN_ADMIN_TOKEN>}. */
final class AdminAuthentication implements ServerInterceptor {

    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final byte[] expected;

    AdminAuthentication(String token) {
        this.expected = ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        String presented = headers.get(AUTHORIZATION);
        // Constant time, so the answer's timing does not reveal how much of a guess was right.
        if (presented != null && MessageDigest.isEqual(expected, presented.getBytes(StandardCharsets.UTF_8))) {
            return next.startCall(call, headers);
        }
        return Refusal.refuse(call, Status.UNAUTHENTICATED.withDescription(presented == null
                ? "the admin service needs metadata authorization: Bearer <THESPIAN_ADMIN_TOKEN>"
                : "the admin token in authorization: Bearer ... is wrong"), new Metadata());
    }
}
