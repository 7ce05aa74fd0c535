package org.thespian.cast;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Counts one service's incoming calls by status and keeps their durations, for the demo's summary. */
public final class CallOutcomes implements ServerInterceptor {

    private final List<Long> durationsNanos = new ArrayList<>();
    private final Map<Status.Code, Integer> failures = new TreeMap<>();

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        long start = System.nanoTime();
        return next.startCall(new SimpleForwardingServerCall<>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
                record(status.getCode(), System.nanoTime() - start);
                super.close(status, trailers);
            }
        }, headers);
    }

    private synchronized void record(Status.Code code, long nanos) {
        durationsNanos.add(nanos);
        if (code != Status.Code.OK) {
            failures.merge(code, 1, Integer::sum);
        }
    }

    public synchronized int calls() {
        return durationsNanos.size();
    }

    /** Failed calls by status code, e.g. {@code {INTERNAL=2}}. */
    public synchronized Map<Status.Code, Integer> failures() {
        return new TreeMap<>(failures);
    }

    /** The duration below which {@code percent} of the calls ended (nearest rank), in milliseconds. */
    public synchronized double percentileMillis(double percent) {
        if (durationsNanos.isEmpty()) {
            return 0;
        }
        List<Long> sorted = durationsNanos.stream().sorted().toList();
        int rank = (int) Math.ceil(percent / 100 * sorted.size());
        return sorted.get(Math.max(0, rank - 1)) / 1e6;
    }
}
