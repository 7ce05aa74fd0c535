package org.thespian.server;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Optional;

/**
 * Reads {@code thespian-hops} and {@code thespian-fault} from an incoming call into its context, and refuses
 * at once a call that has made too many hops (a cycle, most likely) or carries a malformed fault plan. A call
 * from a client (no {@code thespian-hops}) gets the {@link StandingFaults standing plan} after its own entries.
 */
final class RequestMetadataInterceptor implements ServerInterceptor {

    private final int maxHops;
    private final boolean applyFaults;
    private final StandingFaults standing;

    /**
     * @param applyFaults whether fault plans from headers are parsed and applied here, or only forwarded; the
     *                    standing plan, set by the operator, applies either way
     */
    RequestMetadataInterceptor(int maxHops, boolean applyFaults, StandingFaults standing) {
        this.maxHops = maxHops;
        this.applyFaults = applyFaults;
        this.standing = standing;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        String hopsText = headers.get(RequestMetadata.HOPS_HEADER);
        String fault = headers.get(RequestMetadata.FAULT_HEADER);
        if (hopsText == null && fault == null && standing.isEmpty()) {
            return next.startCall(call, headers);
        }
        int hops = hopsText == null ? 0 : hops(hopsText);
        if (hops < 0) {
            return refuse(call, Status.INVALID_ARGUMENT.withDescription(
                    "thespian-hops must be a whole number from 0, got \"" + abbreviated(hopsText) + "\""));
        }
        if (hops >= maxHops) {
            return refuse(call, Status.FAILED_PRECONDITION.withDescription("hop limit reached: this call arrived"
                    + " after " + hops + " hops, and THESPIAN_MAX_HOPS is " + maxHops + ": a call cycle (a service"
                    + " that calls itself, directly or through others) or a too-deep chain hit the hop limit"));
        }
        Optional<FaultPlan> plan = Optional.empty();
        String forwarded = fault;
        try {
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
        Context context = new RequestMetadata(hops, Optional.ofNullable(forwarded), plan).attachTo(Context.current());
        return Contexts.interceptCall(context, call, headers, next);
    }

    private static int hops(String text) {
        if (text.isEmpty() || text.length() > 9 || !text.chars().allMatch(Character::isDigit)) {
            return -1;
        }
        return Integer.parseInt(text);
    }

    private static String abbreviated(String text) {
        return text.length() > 40 ? text.substring(0, 40) + "..." : text;
    }

    /** Marked as a Thespian's own answer, so callers up the chain relay its code (a cycle ends as FAILED_PRECONDITION). */
    private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, Status status) {
        return Refusal.refuse(call, status, PeerFailures.answeredByThespian());
    }
}
