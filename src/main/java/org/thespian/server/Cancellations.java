package org.thespian.server;

import io.grpc.Context;
import io.grpc.Deadline;
import java.util.concurrent.TimeUnit;

/**
 * Why an incoming call was cancelled, as the engine's spans and the request's log line say it. A client whose
 * deadline passes cancels the call itself, a moment before the server's copy of that deadline (which started
 * when the call arrived) expires: a cancel that close to the deadline is the deadline's.
 */
public final class Cancellations {

    public static final String DEADLINE_PASSED = CallDeadline.CALLERS_DEADLINE_PASSED;
    public static final String CALLER_CANCELLED = "the caller cancelled";
    /** More than a call's one-way trip takes on a busy machine, far less than any deadline worth setting. */
    private static final long DEADLINE_SLACK_MS = 100;

    private Cancellations() {
    }

    /** @param call the call's gRPC context, which holds its deadline */
    public static String why(Context call) {
        Deadline deadline = call.getDeadline();
        return deadline != null && deadline.timeRemaining(TimeUnit.MILLISECONDS) < DEADLINE_SLACK_MS
                ? DEADLINE_PASSED : CALLER_CANCELLED;
    }
}
