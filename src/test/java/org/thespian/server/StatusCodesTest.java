package org.thespian.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.grpc.Status;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.thespian.config.FailureCode;

/** The one mapping between the config's failure codes and gRPC's: every code both ways, OK in neither. */
class StatusCodesTest {

    @Test
    void everyFailureCodeIsTheGrpcCodeOfTheSameNameAndBack() {
        for (FailureCode code : FailureCode.values()) {
            Status.Code grpc = StatusCodes.statusOf(code).getCode();
            assertEquals(code.name(), grpc.name());
            assertEquals(code, StatusCodes.failureCodeOf(grpc));
        }
    }

    @Test
    void everyGrpcCodeButOkIsAFailureCode() {
        assertEquals(Arrays.stream(Status.Code.values()).filter(code -> code != Status.Code.OK).map(Enum::name)
                .toList(), FailureCode.names());
        assertThrows(IllegalArgumentException.class, () -> StatusCodes.failureCodeOf(Status.Code.OK));
    }
}
