package org.thespian.server;

import io.grpc.Context;
import io.grpc.Metadata;
import java.util.Optional;
import org.thespian.engine.TraceBudget;

/**
 * What a request carries from hop to hop in its metadata: how many calls deep it is, its fault plan, and its
 * trace's budget. A server interceptor reads it into the request's {@link Context}; a client interceptor writes
 * it onto every outgoing peer call, so the engine never handles metadata itself.
 *
 * @param hops        how many Thespian-to-Thespian calls led to this one (0 when a client called)
 * @param faultHeader the {@code thespian-fault} value as received, forwarded unchanged
 * @param plan        the parsed plan, when fault headers are applied here
 * @param budget      what this request may spend of its trace's budget, when it is known: as soon as a caller
 *                    sent {@code thespian-budget}, or once the engine started a trace's first request
 */
record RequestMetadata(int hops, Optional<String> faultHeader, Optional<FaultPlan> plan,
        Optional<TraceBudget> budget) {

    static final Metadata.Key<String> HOPS_HEADER = Metadata.Key.of("thespian-hops", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> FAULT_HEADER =
            Metadata.Key.of("thespian-fault", Metadata.ASCII_STRING_MARSHALLER);
    /** On a call: what the callee may spend. On its answer (a trailer): what the callee did not spend. */
    static final Metadata.Key<String> BUDGET_HEADER =
            Metadata.Key.of("thespian-budget", Metadata.ASCII_STRING_MARSHALLER);

    static final RequestMetadata NONE = new RequestMetadata(0, Optional.empty(), Optional.empty(), Optional.empty());

    private static final Context.Key<RequestMetadata> KEY = Context.key("thespian-request-metadata");

    /** The metadata of the request whose context is attached to this thread. */
    static RequestMetadata current() {
        return in(Context.current());
    }

    /** The metadata of the request whose context is {@code context}. */
    static RequestMetadata in(Context context) {
        RequestMetadata metadata = KEY.get(context);
        return metadata == null ? NONE : metadata;
    }

    Context attachTo(Context context) {
        return context.withValue(KEY, this);
    }

    /** The same metadata, with the budget of the trace the request starts. */
    RequestMetadata withBudget(TraceBudget budget) {
        return new RequestMetadata(hops, faultHeader, plan, Optional.of(budget));
    }

    /** The number {@code text} spells in at most {@code maxDigits} ASCII digits, or -1. */
    static long wholeNumber(String text, int maxDigits) {
        if (text.isEmpty() || text.length() > maxDigits || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return -1;
        }
        return Long.parseLong(text);
    }

    /** Writes what the next hop must see: one more hop, and the fault header exactly as it arrived. */
    void forwardTo(Metadata headers) {
        headers.put(HOPS_HEADER, Integer.toString(hops + 1));
        faultHeader.ifPresent(fault -> headers.put(FAULT_HEADER, fault));
    }
}
