package org.thespian.server;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.thespian.common.DropReport;

/**
 * Sheds calls from outside while the process runs behind ({@link AdaptiveLimit}), as the first thing a call meets:
 * before telemetry (no span, no request log line), before its metadata is read and before admission wraps it. A
 * shed call costs its status, a method's counters ({@link CallStats}), the metric {@code thespian.requests.shed} and
 * its share of a summary line at most once a minute; under an open-loop load past capacity that is the difference
 * between serving most of what the process can and spending its CPU on refusals.
 *
 * <p>Calls with a hop count continue a request some Thespian already admitted: finishing it is worth more than
 * starting new work, so only the edge of a chain sheds, before anyone did their part of the request. The in-flight
 * count is read, not reserved: calls checked at the same moment on other transport threads may pass together, a few
 * more than the limit, which an adaptive limit does not need to be exact about.
 */
final class Shedding implements ServerInterceptor {

    private static final Logger LOG = LoggerFactory.getLogger("thespian.overload");

    private final AdaptiveLimit newWork;
    private final IntSupplier inFlight;
    private final CallStats stats;
    private final RuntimeEvents events;
    private final DropReport shed = new DropReport();

    Shedding(AdaptiveLimit newWork, IntSupplier inFlight, CallStats stats, RuntimeEvents events) {
        this.newWork = newWork;
        this.inFlight = inFlight;
        this.stats = stats;
        this.events = events;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        int running = inFlight.getAsInt();
        // Headers read last: while the process keeps up, the limit admits everything.
        if (newWork.admits(running) || headers.containsKey(RequestMetadata.HOPS_HEADER)) {
            return next.startCall(call, headers);
        }
        CallStats.MethodCounters counters = stats.countersOf(call.getMethodDescriptor().getFullMethodName());
        counters.started();
        counters.finished(Status.Code.RESOURCE_EXHAUSTED);
        events.callShed();
        report();
        // Marked, so a Thespian calling this one relays the refusal's code instead of blaming itself.
        return Refusal.refuse(call, Status.RESOURCE_EXHAUSTED.withDescription(newWork.describe(running)),
                PeerFailures.refusedByThespian());
    }

    private void report() {
        shed.add(1);
        shed.due(System.nanoTime()).ifPresent(due -> LOG.warn("Shed {} calls from outside since {}: the process ran"
                + " behind (THESPIAN_OVERLOAD_LAG_MS), new work was limited to {} in flight; {} shed since start",
                due.total(), due.since(), newWork.limit(), shed.total()));
    }
}
