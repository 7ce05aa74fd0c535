package org.thespian.server;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Optional;
import org.thespian.config.Excerpt;

/**
 * Reads {@code thespian-hops} and {@code thespian-fault} from an incoming call into its context, and refuses
 * at once a call that has made too many hops (a cycle, most likely) or carries a malformed fault plan (or,
 * where plans are only forwarded, one too long to forward).
 */
final class RequestMetadataInterceptor implements ServerInterceptor {

    private final int maxHops;
    private final boolean applyFaults;

    /** @param applyFaults whether fault plans are parsed and applied here, or only forwarded */
    RequestMetadataInterceptor(int maxHops, boolean applyFaults) {
        this.maxHops = maxHops;
        this.applyFaults = applyFaults;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        String hopsText = headers.get(RequestMetadata.HOPS_HEADER);
        String fault = headers.get(RequestMetadata.FAULT_HEADER);
        if (hopsText == null && fault == null) {
            return next.startCall(call, headers);
        }
        int hops = hopsText == null ? 0 : hops(hopsText);
        if (hops < 0) {
            return refuse(call, Status.INVALID_ARGUMENT.withDescription(
                    "thespian-hops must be a whole number from 0, got \"" + Excerpt.of(hopsText, 40) + "\""));
        }
        if (hops >= maxHops) {
            return refuse(call, Status.FAILED_PRECONDITION.withDescription("hop limit reached: this call arrived"
                    + " after " + hops + " hops, and THESPIAN_MAX_HOPS is " + maxHops + ": a call cycle (a service"
                    + " that calls itself, directly or through others) or a too-deep chain hit the hop limit"));
        }
        Optional<FaultPlan> plan = Optional.empty();
        if (fault != null) {
            try {
                if (applyFaults) {
                    plan = Optional.of(FaultPlan.parse(fault));
                } else {
                    FaultPlan.checkSize(fault);
                }
            } catch (FaultPlan.InvalidFaultPlan e) {
                return refuse(call, Status.INVALID_ARGUMENT.withDescription(e.getMessage()));
            }
        }
        Context context = new RequestMetadata(hops, Optional.ofNullable(fault), plan).attachTo(Context.current());
        return Contexts.interceptCall(context, call, headers, next);
    }

    private static int hops(String text) {
        if (text.isEmpty() || text.length() > 9 || !text.chars().allMatch(Character::isDigit)) {
            return -1;
        }
        return Integer.parseInt(text);
    }

    /** Marked as a Thespian's own answer, so callers up the chain relay its code (a cycle ends as FAILED_PRECONDITION). */
    private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, Status status) {
        return Refusal.refuse(call, status, PeerFailures.answeredByThespian());
    }
}
