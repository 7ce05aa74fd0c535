package org.thespian.server;

import io.grpc.Status;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Counts, per method, the calls that arrived, those in flight, and those that ended in each non-OK status. */
final class CallStats {

    /** One method's counters, read by the admin service's GetStats. */
    static final class MethodCounters {
        private final LongAdder calls = new LongAdder();
        private final LongAdder inFlight = new LongAdder();
        private final LongAdder[] failures = new LongAdder[Status.Code.values().length];

        MethodCounters() {
            for (int i = 0; i < failures.length; i++) {
                failures[i] = new LongAdder();
            }
        }

        long calls() {
            return calls.sum();
        }

        long inFlight() {
            return inFlight.sum();
        }

        /** Failures by code name, in the order gRPC numbers the codes; codes that never happened are left out. */
        Map<String, Long> failures() {
            Map<String, Long> byCode = new LinkedHashMap<>();
            for (Status.Code code : Status.Code.values()) {
                long count = failures[code.ordinal()].sum();
                if (count > 0) {
                    byCode.put(code.name(), count);
                }
            }
            return byCode;
        }

        void started() {
            calls.increment();
            inFlight.increment();
        }

        void finished(Status.Code code) {
            inFlight.decrement();
            if (code != Status.Code.OK) {
                failures[code.ordinal()].increment();
            }
        }
    }

    private final Map<String, MethodCounters> methods = new ConcurrentHashMap<>();

    /** The counters of every method called so far (and of those named up front), by full method name. */
    Map<String, MethodCounters> byMethod() {
        return Map.copyOf(methods);
    }

    void track(String fullMethodName) {
        countersOf(fullMethodName);
    }

    /** The counters of one method, by full method name; a call is counted by {@link Admission}. */
    MethodCounters countersOf(String fullMethodName) {
        MethodCounters counters = methods.get(fullMethodName);
        return counters != null ? counters : methods.computeIfAbsent(fullMethodName, name -> new MethodCounters());
    }
}
