package org.thespian.server;

import io.grpc.Context;
import io.grpc.Metadata;
import java.util.Optional;

/**
 * What a request carries from hop to hop in its metadata: how many calls deep it is, and its fault plan. A
 * server interceptor reads it into the request's {@link Context}; a client interceptor writes it onto every
 * outgoing peer call, so the engine never handles metadata itself.
 *
 * @param hops        how many Thespian-to-Thespian calls led to this one (0 when a client called)
 * @param faultHeader the {@code thespian-fault} value as received, forwarded unchanged
 * @param plan        the parsed plan, when fault headers are applied here
 */
record RequestMetadata(int hops, Optional<String> faultHeader, Optional<FaultPlan> plan) {

    static final Metadata.Key<String> HOPS_HEADER = Metadata.Key.of("thespian-hops", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> FAULT_HEADER =
            Metadata.Key.of("thespian-fault", Metadata.ASCII_STRING_MARSHALLER);

    static final RequestMetadata NONE = new RequestMetadata(0, Optional.empty(), Optional.empty());

    private static final Context.Key<RequestMetadata> KEY = Context.key("thespian-request-metadata");

    /** The metadata of the request whose context is attached to this thread. */
    static RequestMetadata current() {
        RequestMetadata metadata = KEY.get();
        return metadata == null ? NONE : metadata;
    }

    Context attachTo(Context context) {
        return context.withValue(KEY, this);
    }

    /** Writes what the next hop must see: one more hop, and the fault header exactly as it arrived. */
    void forwardTo(Metadata headers) {
        headers.put(HOPS_HEADER, Integer.toString(hops + 1));
        faultHeader.ifPresent(fault -> headers.put(FAULT_HEADER, fault));
    }
}
