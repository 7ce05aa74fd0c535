package org.thespian.server;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Decides whether a call may start: not past {@code THESPIAN_MAX_IN_FLIGHT}, not while the heap is nearly
 * full, not once the server drains (while the process runs behind, calls from outside are shed before they get here:
 * {@link #shedding}). A refused call costs a status and nothing else. Admitted calls are
 * counted until they end, so a drain knows when it is done and can cut off, by name, whatever is left.
 * Every call, refused or not, is also counted in its method's {@link CallStats}: one wrapper per call does both.
 */
final class Admission implements ServerInterceptor {

    private static final ServerCall.Listener<Object> NOTHING_TO_HEAR = new ServerCall.Listener<>() {
    };

    private final int maxInFlight;
    private final AdaptiveLimit newWork;
    private final HeapPressure heap;
    private final CallStats stats;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Set<AdmittedCall<?, ?>> admitted = ConcurrentHashMap.newKeySet();
    private volatile boolean draining;
    private volatile Runnable stopFollowing = () -> { };
    /** How long a call may wait for its request; what it gets when that passes. */
    private final long arrivalBoundNanos;
    private final Status arrivalExpired;
    /** What one connection may hold of {@code maxInFlight}; past it, this refusal. */
    private final int connectionShare;
    private final Status connectionShareRefusal;
    private volatile Runnable stopSweeping = () -> { };
    /** Set once the drain cuts off what is left: a call admitted after that is cut off as it arrives. */
    private volatile Status cutOff;

    /** Without the request arrival bound and connection shares, which {@link #Admission(int, AdaptiveLimit,
     * HeapPressure, CallStats, RequestArrival)} adds. */
    Admission(int maxInFlight, AdaptiveLimit newWork, HeapPressure heap, CallStats stats) {
        this(maxInFlight, newWork, heap, stats, null);
    }

    /**
     * @param arrival the bound within which a call's request must arrive after its headers, whose sweep also
     *                looks at this admission's calls; a call from a tracked connection also counts against that
     *                connection's share of {@code maxInFlight} ({@link ServerLimits#connectionShare}). These two
     *                live here rather than in interceptors of their own: one wrapper per call does all of it.
     */
    Admission(int maxInFlight, AdaptiveLimit newWork, HeapPressure heap, CallStats stats, RequestArrival arrival) {
        this.maxInFlight = maxInFlight;
        this.newWork = newWork;
        this.arrivalBoundNanos = arrival == null ? Long.MAX_VALUE : arrival.boundNanos();
        this.arrivalExpired = arrival == null ? null : arrival.expired();
        this.connectionShare = ServerLimits.connectionShare(maxInFlight);
        this.connectionShareRefusal = CallQuota.connectionShareRefusal(maxInFlight, "THESPIAN_MAX_IN_FLIGHT");
        if (arrival != null) {
            stopSweeping = arrival.alsoSweep(this::expireWaiting);
        }
        this.heap = heap;
        this.stats = stats;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        CallStats.MethodCounters counters = stats.countersOf(call.getMethodDescriptor().getFullMethodName());
        counters.started();
        AtomicInteger connectionCalls = connectionCallsOf(call);
        Status refusal = connectionCalls != null && connectionCalls.incrementAndGet() > connectionShare
                ? connectionShareRefusal : refusal();
        if (refusal != null) {
            if (connectionCalls != null) {
                connectionCalls.decrementAndGet();
            }
            counters.finished(refusal.getCode());
            // Marked, so a Thespian calling this one relays the refusal's code instead of blaming itself.
            call.close(refusal, PeerFailures.refusedByThespian());
            return (ServerCall.Listener<Q>) NOTHING_TO_HEAR;
        }
        AdmittedCall<Q, R> admittedCall = new AdmittedCall<>(call, counters, connectionCalls);
        admitted.add(admittedCall);
        Status lateForTheDrain = cutOff;
        if (lateForTheDrain != null) {
            admittedCall.close(lateForTheDrain, PeerFailures.refusedByThespian());
            admittedCall.release();
            return (ServerCall.Listener<Q>) NOTHING_TO_HEAR;
        }
        try {
            return admittedCall.listen(next.startCall(admittedCall, headers));
        } catch (RuntimeException | Error e) {
            admittedCall.release();
            throw e;
        }
    }

    private Status refusal() {
        if (draining) {
            return Status.UNAVAILABLE.withDescription("the server is shutting down");
        }
        int before = inFlight.getAndIncrement();
        if (before >= maxInFlight) {
            inFlight.decrementAndGet();
            return Status.RESOURCE_EXHAUSTED.withDescription(maxInFlight
                    + " calls are in flight, the limit (THESPIAN_MAX_IN_FLIGHT); try again later");
        }
        if (heap.isNearlyFull()) {
            inFlight.decrementAndGet();
            return Status.RESOURCE_EXHAUSTED.withDescription("the heap is nearly full (" + heap.describe()
                    + "); try again later");
        }
        return null;
    }

    int inFlight() {
        return inFlight.get();
    }

    /**
     * What sheds calls from outside, against this admission's calls in flight, while the process runs behind: the
     * outermost interceptor, so that a shed call costs as little as possible.
     */
    ServerInterceptor shedding(RuntimeEvents events) {
        return new Shedding(newWork, inFlight::get, stats, events);
    }

    private static AtomicInteger connectionCallsOf(ServerCall<?, ?> call) {
        Connection connection = call.getAttributes().get(Connections.KEY);
        return connection == null ? null : connection.calls();
    }

    /** Ends, as {@link RequestArrival} would, every call whose request has not arrived in time. */
    private void expireWaiting(long now) {
        for (AdmittedCall<?, ?> call : admitted) {
            if (!call.requestArrived && now - call.requestDueNanos >= 0) {
                call.close(arrivalExpired, new Metadata());
            }
        }
    }

    /** Adapts the limit on new work to how far behind {@code lag} says the process runs, until stopped. */
    void followLag(ProcessLag lag) {
        if (newWork.isOn()) {
            stopFollowing = lag.onWindow(worst -> newWork.onWindow(worst, inFlight.get()));
        }
    }

    /** Stops adapting to the lag and sweeping for requests that never come: the server is stopping. */
    void stopFollowingLag() {
        stopFollowing.run();
        stopSweeping.run();
    }

    /** Refuses every new call from now on, with UNAVAILABLE. */
    void startDraining() {
        draining = true;
    }

    /** Waits until no admitted call is left or {@code timeout} passes; true if none is left. */
    boolean awaitNoneInFlight(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        return inFlight.get() == 0;
    }

    /**
     * Ends every call still running with UNAVAILABLE, saying the server cut it off and why, and every call
     * admitted from now on (one that passed the drain check a moment before the drain began).
     */
    void cutOffAll(String why) {
        Status status = Status.UNAVAILABLE.withDescription("cut off by the server: " + why);
        cutOff = status;
        admitted.forEach(call -> call.close(status, PeerFailures.refusedByThespian()));
    }

    /**
     * One admitted call, counted until it ends. It is closed exactly once, or cancelled: after a cut-off, what the
     * service still sends is dropped instead of failing on a closed call. What it sends is serialized, so the
     * shutdown thread's cut-off never overlaps the request's own answer (a ServerCall is not thread-safe). Its
     * method's stats see the status it was closed with, or CANCELLED.
     */
    private final class AdmittedCall<Q, R> extends SimpleForwardingServerCall<Q, R> {
        private final CallStats.MethodCounters counters;
        private final AtomicInteger connectionCalls;
        private final long requestDueNanos;
        private volatile boolean requestArrived;
        private final AtomicBoolean closed = new AtomicBoolean();
        private final AtomicBoolean released = new AtomicBoolean();

        AdmittedCall(ServerCall<Q, R> call, CallStats.MethodCounters counters, AtomicInteger connectionCalls) {
            super(call);
            this.counters = counters;
            this.connectionCalls = connectionCalls;
            this.requestDueNanos = System.nanoTime() + arrivalBoundNanos;
        }

        @Override
        public synchronized void sendHeaders(Metadata headers) {
            if (!closed.get()) {
                super.sendHeaders(headers);
            }
        }

        @Override
        public synchronized void sendMessage(R message) {
            if (!closed.get()) {
                super.sendMessage(message);
            }
        }

        @Override
        public synchronized void close(Status status, Metadata trailers) {
            if (closed.compareAndSet(false, true)) {
                counters.finished(status.getCode());
                super.close(status, trailers);
            }
        }

        void release() {
            if (released.compareAndSet(false, true)) {
                admitted.remove(this);
                inFlight.decrementAndGet();
                if (connectionCalls != null) {
                    connectionCalls.decrementAndGet();
                }
            }
        }

        ServerCall.Listener<Q> listen(ServerCall.Listener<Q> listener) {
            return new SimpleForwardingServerCallListener<>(listener) {
                // A call closed here (cut off, or its request too late) starts no work, whatever arrives after.
                @Override
                public void onMessage(Q message) {
                    if (!closed.get()) {
                        super.onMessage(message);
                    }
                }

                @Override
                public void onHalfClose() {
                    requestArrived = true; // every method of thespian.Thespian is unary: this is the whole request
                    if (!closed.get()) {
                        super.onHalfClose();
                    }
                }

                @Override
                public void onCancel() {
                    if (closed.compareAndSet(false, true)) {
                        counters.finished(Status.Code.CANCELLED);
                    }
                    try {
                        super.onCancel();
                    } finally {
                        release();
                    }
                }

                @Override
                public void onComplete() {
                    try {
                        super.onComplete();
                    } finally {
                        release();
                    }
                }
            };
        }
    }
}
