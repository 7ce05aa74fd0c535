package org.thespian.server;

import io.grpc.Context;
import io.grpc.Metadata;
import java.util.Optional;
import org.thespian.engine.Execution;
import org.thespian.engine.RequestContext;
import org.thespian.engine.TraceBudget;

/**
 * What a request carries from hop to hop in its metadata: how many calls deep it is, its fault plan, and its
 * trace's budget. {@link RequestMetadataInterceptor} reads it from the call's headers; the service takes it once,
 * on the call's own thread, and from then on it travels with the request's {@link Execution} as its
 * {@link RequestContext}, where {@link GrpcPeerCaller} reads it for every peer call, whatever thread that call
 * starts on. No thread-bound context has to be re-entered for it, so no asynchronous step can lose it.
 */
final class RequestMetadata implements RequestContext {

    static final Metadata.Key<String> HOPS_HEADER = Metadata.Key.of("thespian-hops", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> FAULT_HEADER =
            Metadata.Key.of("thespian-fault", Metadata.ASCII_STRING_MARSHALLER);
    /** On a call: what the callee may spend. On its answer (a trailer): what the callee did not spend. */
    static final Metadata.Key<String> BUDGET_HEADER =
            Metadata.Key.of("thespian-budget", Metadata.ASCII_STRING_MARSHALLER);

    /** Only from the interceptor to the service, on the call's thread: never read across an asynchronous step. */
    private static final Context.Key<RequestMetadata> KEY = Context.key("thespian-request-metadata");

    private final int hops;
    private final String faultHeader;
    private final Optional<FaultPlan> plan;
    /** Lent by the caller, or started here by the first action; set once. */
    private volatile TraceBudget budget;

    /**
     * @param hops        how many Thespian-to-Thespian calls led to this one (0 when a client called)
     * @param faultHeader the {@code thespian-fault} value to forward, or null
     * @param plan        the parsed plan, when fault headers are applied here
     * @param budget      what this request may spend of its trace's budget, when a caller sent
     *                    {@code thespian-budget}; else null, and a request that acts something out starts one
     */
    RequestMetadata(int hops, String faultHeader, Optional<FaultPlan> plan, TraceBudget budget) {
        this.hops = hops;
        this.faultHeader = faultHeader;
        this.plan = plan;
        this.budget = budget;
    }

    /** A request from a client that sent none of the headers, and meets no standing plan. */
    static RequestMetadata fromClient() {
        return new RequestMetadata(0, null, Optional.empty(), null);
    }

    /** What the interceptor read for the call being handled on this thread, or null if there was nothing to read. */
    static RequestMetadata ofCallHere() {
        return KEY.get(Context.current());
    }

    /** The metadata an execution carries; an execution made without a server's (a test's) has none. */
    static RequestMetadata of(Execution execution) {
        return execution.context() instanceof RequestMetadata metadata ? metadata : fromClient();
    }

    Context attachTo(Context context) {
        return context.withValue(KEY, this);
    }

    Optional<FaultPlan> plan() {
        return plan;
    }

    /**
     * The budget the caller lent, or a new one of {@code units}, so that the calls this request makes lend from it.
     * Only requests that act something out get one: a request answered at once costs nothing more.
     */
    @Override
    public TraceBudget traceBudget(long units) {
        TraceBudget known = budget;
        if (known != null) {
            return known;
        }
        synchronized (this) {
            if (budget == null) {
                budget = new TraceBudget(units);
            }
            return budget;
        }
    }

    /** Work that outlives the request (fire-and-forget) carries the same hops and plan, and half the budget. */
    @Override
    public RequestContext forBackground() {
        TraceBudget known = budget;
        if (known == null) {
            return this; // nothing acted out, so nothing to share
        }
        return new RequestMetadata(hops, faultHeader, plan, known.split());
    }

    /** The number {@code text} spells in at most {@code maxDigits} ASCII digits, or -1. */
    static long wholeNumber(String text, int maxDigits) {
        if (text.isEmpty() || text.length() > maxDigits) {
            return -1;
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
        }
        return Long.parseLong(text);
    }

    /**
     * Writes what the next hop must see: one more hop, the fault header exactly as it arrived, and, once the request
     * has a budget, a loan of all that is left of it ({@link TraceBudget#lend}).
     *
     * @return the units lent, for {@link #settle}; -1 when nothing was lent
     */
    long forwardTo(Metadata headers) {
        headers.put(HOPS_HEADER, Integer.toString(hops + 1));
        if (faultHeader != null) {
            headers.put(FAULT_HEADER, faultHeader);
        }
        TraceBudget known = budget;
        if (known == null) {
            return -1;
        }
        long lent = known.lend();
        headers.put(BUDGET_HEADER, Long.toString(lent));
        return lent;
    }

    /**
     * The call that {@link #forwardTo} lent {@code lent} units has ended: its trailer says what the callee did not
     * spend. Without the callee's account, only the call's own unit is spent.
     */
    void settle(long lent, Metadata trailers) {
        if (lent < 0) {
            return;
        }
        String unspent = trailers == null ? null : trailers.get(BUDGET_HEADER);
        long returned = unspent == null ? -1 : wholeNumber(unspent, 18);
        budget.settle(lent, returned < 0 ? lent : returned);
    }
}
