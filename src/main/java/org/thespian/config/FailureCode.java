package org.thespian.config;

import java.util.Arrays;
import java.util.List;

/**
 * The status an action fails with: the canonical gRPC code names except OK, so configs, the engine and
 * fault plans name codes the way grpcurl prints them, while the engine stays free of gRPC itself.
 */
public enum FailureCode {
    CANCELLED,
    UNKNOWN,
    INVALID_ARGUMENT,
    DEADLINE_EXCEEDED,
    NOT_FOUND,
    ALREADY_EXISTS,
    PERMISSION_DENIED,
    RESOURCE_EXHAUSTED,
    FAILED_PRECONDITION,
    ABORTED,
    OUT_OF_RANGE,
    UNIMPLEMENTED,
    INTERNAL,
    UNAVAILABLE,
    DATA_LOSS,
    UNAUTHENTICATED;

    /** The names a user may write, in the order gRPC numbers them. */
    public static List<String> names() {
        return Arrays.stream(values()).map(Enum::name).toList();
    }
}
