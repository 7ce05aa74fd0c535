package org.thespian.engine;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.thespian.config.Action.CallService;

/** Calls another Thespian. The future completes normally on OK and with an {@link ActionFailure} otherwise. */
public interface PeerCaller {

    /**
     * @param withinAction runs code as part of this action (with its trace context current, say); a call
     *                     started later, on another thread, must be started through it
     */
    CompletableFuture<Void> call(CallService action, Execution execution, Executor withinAction);
}
