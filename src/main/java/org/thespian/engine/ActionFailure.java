package org.thespian.engine;

import java.util.ArrayList;
import java.util.List;
import org.thespian.config.Action;
import org.thespian.config.FailureCode;

/**
 * Why an action failed, where, and with which status. The path grows by one name for every enclosing
 * function as the failure propagates, so the message a client sees reads
 * {@code checkout > reserve stock: failed by chance (...)}.
 */
public final class ActionFailure extends RuntimeException {

    private final Action origin;
    private final boolean fromPeer;
    private final boolean cancellation;
    private final FailureCode code;
    private final FailureCode callStatus;
    private final List<String> path;
    private final String reason;

    private ActionFailure(Action origin, boolean fromPeer, boolean cancellation, FailureCode code,
            FailureCode callStatus, List<String> path, String reason) {
        super(String.join(" > ", path) + ": " + reason, null, false, false);
        this.origin = origin;
        this.fromPeer = fromPeer;
        this.cancellation = cancellation;
        this.code = code;
        this.callStatus = callStatus;
        this.path = List.copyOf(path);
        this.reason = reason;
    }

    /** A failure of {@code origin}'s own making, answered as INTERNAL, as the original did. */
    public static ActionFailure at(Action origin, String reason) {
        return at(origin, FailureCode.INTERNAL, reason);
    }

    /** A failure of {@code origin}'s own making: a failed roll, an unreachable peer, a cap reached. */
    public static ActionFailure at(Action origin, FailureCode code, String reason) {
        return new ActionFailure(origin, false, false, code, code, List.of(origin.tracingName()), reason);
    }

    /**
     * A peer call that ended with {@code callStatus} on the way to the peer (unreachable, say), which the
     * request answers as {@code code}; retries go by the status the call saw.
     */
    public static ActionFailure onTheWay(Action origin, FailureCode code, FailureCode callStatus, String reason) {
        return new ActionFailure(origin, false, false, code, callStatus, List.of(origin.tracingName()), reason);
    }

    /**
     * {@code action} stopped, or never started, because the request ended without it: not a failure of the
     * action, so it is neither logged nor counted as one.
     *
     * @param because who ended the request, e.g. {@code the caller's deadline passed}
     */
    public static ActionFailure cancelled(Action action, String because) {
        return new ActionFailure(action, false, true, FailureCode.CANCELLED, FailureCode.CANCELLED,
                List.of(action.tracingName()), "cancelled: " + because);
    }

    /**
     * A peer answered with an error: the failure happened downstream and was already reported there; it is
     * relayed with the peer's code.
     */
    public static ActionFailure reportedByPeer(Action origin, FailureCode code, String reason) {
        return new ActionFailure(origin, true, false, code, code, List.of(origin.tracingName()), reason);
    }

    /** The same failure, seen from the enclosing function named {@code functionName}. */
    ActionFailure within(String functionName) {
        List<String> longer = new ArrayList<>(path.size() + 1);
        longer.add(functionName);
        longer.addAll(path);
        return new ActionFailure(origin, fromPeer, cancellation, code, callStatus, longer, reason);
    }

    /** The action where the failure happened (compared by identity: two equal actions are still two places). */
    public Action origin() {
        return origin;
    }

    /** Whether a called peer reported this failure, rather than something in this process. */
    public boolean fromPeer() {
        return fromPeer;
    }

    /** Whether the request was cancelled (by its caller, its deadline or a shutdown) rather than failed. */
    public boolean isCancellation() {
        return cancellation;
    }

    /** The status the request answers with when this failure reaches it. */
    public FailureCode code() {
        return code;
    }

    /** The status a peer call ended with, as its caller saw it; {@link #code()} for any other failure. */
    public FailureCode callStatus() {
        return callStatus;
    }

    /** The tracing names from the outermost function down to the origin. */
    public List<String> path() {
        return path;
    }

    /** What went wrong at the origin, without the path. */
    public String reason() {
        return reason;
    }
}
