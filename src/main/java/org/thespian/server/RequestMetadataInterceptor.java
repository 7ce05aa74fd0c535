package org.thespian.server;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Optional;
import org.thespian.config.Excerpt;
import org.thespian.engine.TraceBudget;

/**
 * Reads {@code thespian-hops}, {@code thespian-fault} and {@code thespian-budget} from an incoming call into its
 * {@link RequestMetadata} (handed to the service in the call's context), and refuses at once a call that has made
 * too many hops (a cycle, most likely), whose trace has no budget left, or that carries a malformed value (or, where
 * plans are only forwarded, a plan too long to forward). A call from a client (no {@code thespian-hops}) gets the {@link StandingFaults standing plan} after its
 * own entries. A call from another Thespian is answered with a description cut to {@link StatusText#MAX_CHARS}
 * and, when it lent a budget, with what was left of it (a trailer).
 */
final class RequestMetadataInterceptor implements ServerInterceptor {

    private final int maxHops;
    private final boolean applyFaults;
    private final long maxActionsPerTrace;
    private final StandingFaults standing;

    /**
     * @param applyFaults        whether fault plans from headers are parsed and applied here, or only forwarded; the
     *                           standing plan, set by the operator, applies either way
     * @param maxActionsPerTrace the most a call may spend, whatever budget it says it was lent
     */
    RequestMetadataInterceptor(int maxHops, boolean applyFaults, long maxActionsPerTrace, StandingFaults standing) {
        this.maxHops = maxHops;
        this.applyFaults = applyFaults;
        this.maxActionsPerTrace = maxActionsPerTrace;
        this.standing = standing;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        String hopsText = headers.get(RequestMetadata.HOPS_HEADER);
        String fault = headers.get(RequestMetadata.FAULT_HEADER);
        String budgetText = headers.get(RequestMetadata.BUDGET_HEADER);
        if (hopsText == null && fault == null && budgetText == null && standing.isEmpty()) {
            return next.startCall(call, headers);
        }
        int hops = hopsText == null ? 0 : (int) RequestMetadata.wholeNumber(hopsText, 9);
        if (hops < 0) {
            return refuse(call, Status.INVALID_ARGUMENT.withDescription(
                    "thespian-hops must be a whole number from 0, got \"" + Excerpt.of(hopsText, 40) + "\""));
        }
        long budget = budgetText == null ? maxActionsPerTrace : RequestMetadata.wholeNumber(budgetText, 18);
        if (budget < 0) {
            return refuse(call, Status.INVALID_ARGUMENT.withDescription(
                    "thespian-budget must be a whole number from 0, got \"" + Excerpt.of(budgetText, 40) + "\""));
        }
        if (hops >= maxHops) {
            return refuse(call, Status.FAILED_PRECONDITION.withDescription("hop limit reached: this call arrived"
                    + " after " + hops + " hops, and THESPIAN_MAX_HOPS is " + maxHops + ": a call cycle (a service"
                    + " that calls itself, directly or through others) or a too-deep chain hit the hop limit"));
        }
        if (budget == 0) {
            return refuse(call, Status.RESOURCE_EXHAUSTED.withDescription("trace budget spent: this call arrived"
                    + " with thespian-budget 0, as its trace had spent THESPIAN_MAX_ACTIONS_PER_TRACE actions and"
                    + " peer calls: a call cycle that fans out, or a trace too large for the budget"));
        }
        Optional<FaultPlan> plan = Optional.empty();
        String forwarded = fault;
        try {
            if (fault != null && !applyFaults) {
                FaultPlan.checkSize(fault);
            }
            Optional<StandingFaults.Merged> merged = hopsText == null
                    ? standing.mergeInto(applyFaults ? fault : null)
                    : Optional.empty();
            if (merged.isPresent()) {
                plan = Optional.of(merged.get().plan());
                forwarded = applyFaults || fault == null ? merged.get().header() : fault + "," + merged.get().header();
            } else if (fault != null && applyFaults) {
                plan = Optional.of(FaultPlan.parse(fault));
            }
        } catch (FaultPlan.InvalidFaultPlan e) {
            return refuse(call, Status.INVALID_ARGUMENT.withDescription(e.getMessage()));
        }
        TraceBudget lent = budgetText == null ? null : new TraceBudget(Math.min(budget, maxActionsPerTrace));
        Context context = new RequestMetadata(hops, forwarded, plan, lent).attachTo(Context.current());
        return Contexts.interceptCall(context, new AnswerToThespian<>(call, lent), headers, next);
    }

    /** Marked as a Thespian's own answer, so callers up the chain relay its code (a cycle ends as FAILED_PRECONDITION). */
    private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, Status status) {
        return Refusal.refuse(call, StatusText.capped(status), PeerFailures.answeredByThespian());
    }

    /** The answer to a call from another Thespian: a description that fits in metadata, and what is left of the budget. */
    private static final class AnswerToThespian<Q, R> extends SimpleForwardingServerCall<Q, R> {
        private final TraceBudget lent;

        /** @param lent the budget the caller lent, or null */
        AnswerToThespian(ServerCall<Q, R> call, TraceBudget lent) {
            super(call);
            this.lent = lent;
        }

        @Override
        public void close(Status status, Metadata trailers) {
            if (lent != null) {
                trailers.put(RequestMetadata.BUDGET_HEADER, Long.toString(lent.giveBack()));
            }
            super.close(StatusText.capped(status), trailers);
        }
    }
}
