package org.thespian.server;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.Status;

/** Ends an incoming call in an interceptor, before its handler ever sees it. */
final class Refusal {

    private Refusal() {
    }

    static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, Status status, Metadata trailers) {
        call.close(status, trailers);
        return new ServerCall.Listener<>() {
        };
    }
}
