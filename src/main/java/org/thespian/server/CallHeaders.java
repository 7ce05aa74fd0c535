package org.thespian.server;

import io.grpc.Metadata;

/** Request headers one Thespian sends another, beside the trace context. */
public final class CallHeaders {

    /**
     * On a fire-and-forget call ({@code "wait": false}): the caller does not wait, so the callee starts a trace
     * of its own linked to the caller's span, instead of hanging below a span that has long ended.
     */
    public static final Metadata.Key<String> FIRE_AND_FORGET =
            Metadata.Key.of("thespian-fire-and-forget", Metadata.ASCII_STRING_MARSHALLER);

    private CallHeaders() {
    }

    /** Whether the call came from another Thespian (which says how many hops deep it is) rather than a client. */
    public static boolean fromThespian(Metadata headers) {
        return headers.containsKey(RequestMetadata.HOPS_HEADER);
    }
}
