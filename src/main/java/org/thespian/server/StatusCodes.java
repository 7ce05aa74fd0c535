package org.thespian.server;

import io.grpc.Status;
import java.util.EnumMap;
import java.util.Map;
import org.thespian.config.FailureCode;

/** The one mapping between the config's failure codes and gRPC's status codes: the same names, OK aside. */
final class StatusCodes {

    private static final Map<FailureCode, Status> STATUS = new EnumMap<>(FailureCode.class);
    private static final Map<Status.Code, FailureCode> FAILURE = new EnumMap<>(Status.Code.class);

    static {
        for (FailureCode code : FailureCode.values()) {
            Status.Code grpc = Status.Code.valueOf(code.name());
            STATUS.put(code, grpc.toStatus());
            FAILURE.put(grpc, code);
        }
    }

    private StatusCodes() {
    }

    static Status statusOf(FailureCode code) {
        return STATUS.get(code);
    }

    /** @param code any code but OK */
    static FailureCode failureCodeOf(Status.Code code) {
        FailureCode failure = FAILURE.get(code);
        if (failure == null) {
            throw new IllegalArgumentException(code + " is not a failure");
        }
        return failure;
    }
}
