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

    /**
     * Completes when a call to {@code action}'s peer had best start: at once for almost every call; but when the
     * connection to the peer is trying again just now, once that attempt is through (briefly: the caller bounds
     * the wait), so that the call gets the peer's answer as it is now rather than a connect error from up to a
     * second ago. Fails with the action's cancellation if the request is cancelled meanwhile.
     */
    default CompletableFuture<Void> ready(CallService action, Execution execution) {
        return CompletableFuture.completedFuture(null);
    }
}
