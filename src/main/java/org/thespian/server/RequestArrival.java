package org.thespian.server;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongConsumer;
import java.util.concurrent.RejectedExecutionException;
import org.thespian.engine.Scheduler;

/**
 * Cancels a call whose request has not arrived within a bound of its headers: a unary or server-streaming call
 * until the client's end of stream, any other until its first message. Without it, a stream that sends headers and
 * nothing more holds its place in admission and in its connection's streams for as long as the client likes (a
 * client's own deadline, when it sent one, still ends the call sooner: gRPC cancels at the deadline).
 *
 * <p>Calls waiting for their request are swept a few times per bound rather than each given a timer: a call costs
 * an entry in a concurrent set while its request is on the way, which for nearly every call is microseconds.
 */
final class RequestArrival implements ServerInterceptor, AutoCloseable {

    private enum State { WAITING, ARRIVED, EXPIRED }

    private final long boundNanos;
    private final Scheduler scheduler;
    private final Status expired;
    private final Set<Awaited<?, ?>> waiting = ConcurrentHashMap.newKeySet();
    /** Others that track calls of their own (the admission of thespian.Thespian calls), swept with these. */
    private final List<LongConsumer> sweepers = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    RequestArrival(Duration bound, Scheduler scheduler) {
        this.boundNanos = bound.toNanos();
        this.scheduler = scheduler;
        this.expired = Status.CANCELLED.withDescription("the request did not arrive within " + describe(bound)
                + " of the call's headers");
        sweepLater();
    }

    private static String describe(Duration bound) {
        return bound.toMillis() % 1000 == 0 ? bound.toSeconds() + " s" : bound.toMillis() + " ms";
    }

    /** A quarter of the bound between sweeps, from 10 ms to 1 s: a call is cancelled at most that late. */
    private long sweepIntervalNanos() {
        return Math.max(Duration.ofMillis(10).toNanos(), Math.min(Duration.ofSeconds(1).toNanos(), boundNanos / 4));
    }

    private void sweepLater() {
        if (closed) {
            return;
        }
        try {
            scheduler.schedule(this::sweep, sweepIntervalNanos());
        } catch (RejectedExecutionException stopped) {
            // the scheduler closed with the resources: nothing is served any more
        }
    }

    long boundNanos() {
        return boundNanos;
    }

    /** What a call whose request came too late is closed with. */
    Status expired() {
        return expired;
    }

    /** Calls {@code sweeper} with the time at each sweep, until the returned handle is run. */
    Runnable alsoSweep(LongConsumer sweeper) {
        sweepers.add(sweeper);
        return () -> sweepers.remove(sweeper);
    }

    private void sweep() {
        try {
            long now = System.nanoTime();
            waiting.forEach(call -> call.expireIfDue(now));
            sweepers.forEach(sweeper -> sweeper.accept(now));
        } finally {
            sweepLater();
        }
    }

    @Override
    public void close() {
        closed = true;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        Awaited<Q, R> awaited = new Awaited<>(call, System.nanoTime() + boundNanos);
        waiting.add(awaited);
        try {
            return awaited.listen(next.startCall(awaited, headers));
        } catch (RuntimeException | Error e) {
            waiting.remove(awaited);
            throw e;
        }
    }

    /**
     * A call until its request arrives or it expires. Once expired, it is closed here and nothing more is passed to
     * the service, so the service and the sweep never act on the call at the same time.
     */
    private final class Awaited<Q, R> extends SimpleForwardingServerCall<Q, R> {
        private final long deadlineNanos;
        private final boolean wholeRequest;
        private State state = State.WAITING; // guarded by this

        Awaited(ServerCall<Q, R> call, long deadlineNanos) {
            super(call);
            this.deadlineNanos = deadlineNanos;
            this.wholeRequest = call.getMethodDescriptor().getType().clientSendsOneMessage();
        }

        /** The wait is over (the request came, or the call ended); false if it had expired already. */
        synchronized boolean arrived() {
            if (state == State.WAITING) {
                state = State.ARRIVED;
                waiting.remove(this);
            }
            return state == State.ARRIVED;
        }

        void expireIfDue(long now) {
            synchronized (this) {
                if (state != State.WAITING || now - deadlineNanos < 0) {
                    return;
                }
                state = State.EXPIRED;
            }
            waiting.remove(this);
            super.close(expired, new Metadata());
        }

        @Override
        public void close(Status status, Metadata trailers) {
            if (arrived()) {
                super.close(status, trailers);
            }
        }

        ServerCall.Listener<Q> listen(ServerCall.Listener<Q> listener) {
            return new SimpleForwardingServerCallListener<>(listener) {
                @Override
                public void onMessage(Q message) {
                    if (!wholeRequest) {
                        if (arrived()) {
                            super.onMessage(message);
                        }
                        return;
                    }
                    // The message of a unary call goes on while the end of stream is awaited, but never after the
                    // call expired: a service that refuses it (a malformed message) closes it under this lock.
                    synchronized (Awaited.this) {
                        if (state != State.EXPIRED) {
                            super.onMessage(message);
                        }
                    }
                }

                @Override
                public void onHalfClose() {
                    if (arrived()) {
                        super.onHalfClose();
                    }
                }

                @Override
                public void onCancel() {
                    arrived();
                    super.onCancel();
                }

                @Override
                public void onComplete() {
                    arrived();
                    super.onComplete();
                }
            };
        }
    }
}
