package org.thespian.engine;

import java.util.ArrayList;
import java.util.List;
import org.thespian.config.Action;

/**
 * Why an action failed, and where. The path grows by one name for every enclosing function as the failure
 * propagates, so the message a client sees reads {@code checkout > reserve stock: failed by chance (...)}.
 */
public final class ActionFailure extends RuntimeException {

    private final Action origin;
    private final boolean fromPeer;
    private final List<String> path;
    private final String reason;

    private ActionFailure(Action origin, boolean fromPeer, List<String> path, String reason) {
        super(String.join(" > ", path) + ": " + reason, null, false, false);
        this.origin = origin;
        this.fromPeer = fromPeer;
        this.path = List.copyOf(path);
        this.reason = reason;
    }

    /** A failure of {@code origin}'s own making: a failed roll, an unreachable peer, a cancelled request. */
    public static ActionFailure at(Action origin, String reason) {
        return new ActionFailure(origin, false, List.of(origin.tracingName()), reason);
    }

    /** A peer answered with an error: the failure happened downstream and was already reported there. */
    public static ActionFailure reportedByPeer(Action origin, String reason) {
        return new ActionFailure(origin, true, List.of(origin.tracingName()), reason);
    }

    /** The same failure, seen from the enclosing function named {@code functionName}. */
    ActionFailure within(String functionName) {
        List<String> longer = new ArrayList<>(path.size() + 1);
        longer.add(functionName);
        longer.addAll(path);
        return new ActionFailure(origin, fromPeer, longer, reason);
    }

    /** The action where the failure happened (compared by identity: two equal actions are still two places). */
    public Action origin() {
        return origin;
    }

    /** Whether a called peer reported this failure, rather than something in this process. */
    public boolean fromPeer() {
        return fromPeer;
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
