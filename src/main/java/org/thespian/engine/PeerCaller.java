package org.thespian.engine;

import java.util.concurrent.CompletableFuture;
import org.thespian.config.Action.CallService;

/** Calls another Thespian. The future completes normally on OK and with an {@link ActionFailure} otherwise. */
public interface PeerCaller {

    CompletableFuture<Void> call(CallService action, Execution execution);
}
