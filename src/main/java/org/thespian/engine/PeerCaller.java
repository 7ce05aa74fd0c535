package org.thespian.engine;

import java.util.concurrent.CompletableFuture;
import org.thespian.config.Action.CallService;

/**
 * Calls another Thespian. The future completes normally on OK and with an {@link ActionFailure} otherwise.
 * The call starts before {@code call} returns, on the calling thread, so the action's trace context (current
 * there) travels with it.
 */
public interface PeerCaller {

    CompletableFuture<Void> call(CallService action, Execution execution);
}
