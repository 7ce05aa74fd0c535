package org.thespian.server;

import io.grpc.Metadata;
import io.grpc.Status;
import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.util.Locale;
import org.thespian.config.Action.CallService;
import org.thespian.config.FailureCode;
import org.thespian.engine.ActionFailure;
import org.thespian.engine.Execution;

/**
 * What a failed peer call means for the calling action. A Thespian that fails or refuses a request marks its
 * answer with {@link #ANSWERED_BY_THESPIAN}: such an answer is the peer's own (already reported there), and is
 * relayed with the peer's code, so a chain shows which hop's code surfaced and a peer shedding load reaches the
 * edge as RESOURCE_EXHAUSTED. Anything else (unreachable, a port that does not speak gRPC, a missed timeout)
 * happened on the way and is this action's own failure: INTERNAL naming the peer, as the original answered,
 * except a missed timeout, which stays DEADLINE_EXCEEDED. A call that ended because this request ended (its
 * caller went away, its deadline passed) is a cancellation, not a failure.
 */
final class PeerFailures {

    /** Trailer on every failure a Thespian answers: "this status is my configured behaviour's". */
    static final Metadata.Key<String> ANSWERED_BY_THESPIAN =
            Metadata.Key.of("thespian-failure", Metadata.ASCII_STRING_MARSHALLER);
    /** {@link #ANSWERED_BY_THESPIAN}'s value on a call refused before it started (load shed, drain, limits). */
    private static final String REFUSED = "refused";

    private PeerFailures() {
    }

    /** The trailers a Thespian sends with a failure of its own. */
    static Metadata answeredByThespian() {
        return marked("1");
    }

    /** The trailers a Thespian sends with a call it refused to start. */
    static Metadata refusedByThespian() {
        return marked(REFUSED);
    }

    private static Metadata marked(String value) {
        Metadata trailers = new Metadata();
        trailers.put(ANSWERED_BY_THESPIAN, value);
        return trailers;
    }

    static ActionFailure of(CallService action, Status status, Metadata trailers, CallDeadline deadline,
            Execution execution) {
        if (execution.isCancelled()) {
            return execution.cancellationOf(action);
        }
        String peer = "peer " + action.peer().display() + " (" + action.method().fullName() + ")";
        String description = status.getDescription() == null ? "" : ": " + StatusText.capped(status.getDescription());
        FailureCode seen = StatusCodes.failureCodeOf(status.getCode());
        String byThespian = trailers == null ? null : trailers.get(ANSWERED_BY_THESPIAN);
        if (byThespian != null) {
            return ActionFailure.reportedByPeer(action, seen, peer + (REFUSED.equals(byThespian)
                    ? " refused the call with " : " answered ") + status.getCode() + description);
        }
        return switch (status.getCode()) {
            case UNAVAILABLE -> ActionFailure.onTheWay(action, FailureCode.INTERNAL, seen,
                    peer + " is unavailable: " + transportProblem(action, status));
            case DEADLINE_EXCEEDED -> ActionFailure.at(action, FailureCode.DEADLINE_EXCEEDED,
                    peer + " did not answer " + deadline.missed());
            case CANCELLED -> ActionFailure.onTheWay(action, FailureCode.INTERNAL, seen,
                    peer + " ended the call: cancelled by the peer" + description);
            default -> ActionFailure.onTheWay(action, FailureCode.INTERNAL, seen, peer + " failed the call with "
                    + status.getCode() + description + causeText(status));
        };
    }

    /** Says what grpc-java's "io exception" hides, as the system call's error (errno) said it. */
    private static String transportProblem(CallService action, Status status) {
        String hostPort = action.peer().host() + ":" + action.peer().port();
        for (Throwable cause = status.getCause(); cause != null; cause = cause.getCause()) {
            if (cause instanceof UnknownHostException) {
                return "unknown host " + action.peer().host();
            }
            // Netty reports ECONNREFUSED, EHOSTUNREACH, ETIMEDOUT and its own connect timeout all as a
            // ConnectException: only the message tells them apart.
            String problem = cause instanceof IOException ? errno(cause.getMessage()) : null;
            if (problem != null) {
                return problem + " " + hostPort;
            }
            if (cause instanceof ConnectException) {
                return "could not connect to " + hostPort + " (" + cause.getMessage() + ")";
            }
        }
        String description = status.getDescription() == null ? "no reason given" : status.getDescription();
        // What grpc-java says when the peer closed the connection (a reset, say) before or right after the
        // HTTP/2 preface, with no error of the socket's to name.
        if (description.startsWith("Connection closing while performing protocol negotiation")) {
            return "connection closed by " + hostPort + " during the HTTP/2 handshake";
        }
        if (description.startsWith("Network closed for unknown reason")) {
            return "connection closed by " + hostPort;
        }
        return description + causeText(status) + " (" + hostPort + ")";
    }

    private static String errno(String message) {
        String text = message == null ? "" : message.toLowerCase(Locale.ROOT);
        if (text.contains("connection refused")) {
            return "connection refused by";
        }
        if (text.contains("connection reset")) {
            return "connection reset by";
        }
        if (text.contains("no route to host")) {
            return "host unreachable (no route to host):";
        }
        if (text.contains("network is unreachable")) {
            return "network unreachable:";
        }
        if (text.contains("timed out")) {
            return "connect timed out:";
        }
        return null;
    }

    private static String causeText(Status status) {
        Throwable cause = status.getCause();
        return cause == null || cause.getMessage() == null ? "" : " (" + cause.getMessage() + ")";
    }
}
