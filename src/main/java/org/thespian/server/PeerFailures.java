package org.thespian.server;

import io.grpc.Metadata;
import io.grpc.Status;
import java.net.ConnectException;
import java.net.UnknownHostException;
import org.thespian.config.Action.CallService;
import org.thespian.config.FailureCode;
import org.thespian.engine.ActionFailure;

/**
 * What a failed peer call means for the calling action. A Thespian that fails a request marks its answer
 * with {@link #ANSWERED_BY_THESPIAN}: such an answer is the peer's failure, already reported there, and is
 * relayed with the peer's code so a chain shows which hop's code surfaced. Anything else (unreachable, a
 * port that does not speak gRPC, a deadline) happened on the way and is this action's own failure: INTERNAL
 * naming the peer, as the original answered, except a deadline, which stays DEADLINE_EXCEEDED.
 */
final class PeerFailures {

    /** Trailer on every failure a Thespian answers: "this status is my configured behaviour's". */
    static final Metadata.Key<String> ANSWERED_BY_THESPIAN =
            Metadata.Key.of("thespian-failure", Metadata.ASCII_STRING_MARSHALLER);

    private PeerFailures() {
    }

    /** The trailers a Thespian sends with a failure of its own. */
    static Metadata answeredByThespian() {
        Metadata trailers = new Metadata();
        trailers.put(ANSWERED_BY_THESPIAN, "1");
        return trailers;
    }

    /**
     * @param missedDeadline the deadline that applied, for a peer that did not answer in time: {@code within
     *                       timeout_ms 100}, {@code before the deadline} (the caller's), or the default's
     */
    static ActionFailure of(CallService action, Status status, Metadata trailers, String missedDeadline) {
        String peer = "peer " + action.peer().display() + " (" + action.method().fullName() + ")";
        String description = status.getDescription() == null ? "" : ": " + status.getDescription();
        if (trailers != null && trailers.containsKey(ANSWERED_BY_THESPIAN)) {
            return ActionFailure.reportedByPeer(action, FailureCode.valueOf(status.getCode().name()),
                    peer + " answered " + status.getCode() + description);
        }
        FailureCode seen = FailureCode.valueOf(status.getCode().name());
        return switch (status.getCode()) {
            case UNAVAILABLE -> ActionFailure.onTheWay(action, FailureCode.INTERNAL, seen,
                    peer + " is unavailable: " + transportProblem(action, status));
            case DEADLINE_EXCEEDED -> ActionFailure.at(action, FailureCode.DEADLINE_EXCEEDED,
                    peer + " did not answer " + missedDeadline);
            case CANCELLED -> ActionFailure.cancelled(action);
            default -> ActionFailure.onTheWay(action, FailureCode.INTERNAL, seen, peer + " failed the call with "
                    + status.getCode() + description + causeText(status));
        };
    }

    /** Says what grpc-java's "io exception" hides: refused, unknown host, or the transport's own words. */
    private static String transportProblem(CallService action, Status status) {
        String hostPort = action.peer().host() + ":" + action.peer().port();
        for (Throwable cause = status.getCause(); cause != null; cause = cause.getCause()) {
            if (cause instanceof ConnectException) {
                return "connection refused by " + hostPort;
            }
            if (cause instanceof UnknownHostException) {
                return "unknown host " + action.peer().host();
            }
        }
        String description = status.getDescription() == null ? "no reason given" : status.getDescription();
        return description + causeText(status) + " (" + hostPort + ")";
    }

    private static String causeText(Status status) {
        Throwable cause = status.getCause();
        return cause == null || cause.getMessage() == null ? "" : " (" + cause.getMessage() + ")";
    }
}
