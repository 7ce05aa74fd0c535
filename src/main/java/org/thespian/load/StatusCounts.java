package org.thespian.load;

import io.grpc.Status;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** Calls counted by the gRPC status code they ended with; written from any transport thread. */
final class StatusCounts {
    private final LongAdder[] byCode = new LongAdder[Status.Code.values().length];

    StatusCounts() {
        for (int i = 0; i < byCode.length; i++) {
            byCode[i] = new LongAdder();
        }
    }

    void add(Status.Code code) {
        byCode[code.ordinal()].increment();
    }

    /** The codes seen so far, in the order of their numbers (OK first). */
    Map<Status.Code, Long> snapshot() {
        Map<Status.Code, Long> counts = new EnumMap<>(Status.Code.class);
        for (Status.Code code : Status.Code.values()) {
            long count = byCode[code.ordinal()].sum();
            if (count > 0) {
                counts.put(code, count);
            }
        }
        return counts;
    }

    long notOk() {
        long errors = 0;
        for (Status.Code code : Status.Code.values()) {
            if (code != Status.Code.OK) {
                errors += byCode[code.ordinal()].sum();
            }
        }
        return errors;
    }
}
